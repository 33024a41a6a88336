import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { scanSpeechCommands } from '../../src/data/index.js';
import { COMMAND_WORDS, LABELS } from '../../src/labels/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { createEnsemble, loadVersion, trainVersion } from '../../src/training/tfjs/index.js';
import { runKws } from '../helpers/cli.js';
import { modelRepository } from '../helpers/models.js';
import { clipForm, graphql, graphqlUpload, testServer } from '../helpers/server.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

describe('a model of every word (kws train --all-words, GraphQL retrain allWords)', () => {
  const corpus = join(tempDir('kws-all-words-'), 'corpus');
  const models = modelRepository();
  let registry: ModelRegistry;
  let version: number;
  const options = {
    dataDir: corpus,
    epochs: 1,
    batchSize: 16,
    seed: 2,
    allowMissingClasses: true,
    dataset: { validationPercentage: 25, testingPercentage: 25 },
  };

  before(async () => {
    await synthesizeCorpus({
      outDir: corpus,
      perWord: 6,
      seed: 5,
      realNoiseDir: null,
      words: ['yes', 'no', 'cat', 'dog', 'marvin'],
    });
    registry = ModelRegistry.open(models);
    version = (await trainVersion(registry, { ...options, allWords: true })).record.version;
  });
  after(() => registry.close());

  it('trains one class per word on every clip of every word, and records the words and the label each counts for', async () => {
    const manifest = registry.manifest(version);
    assert.deepEqual(manifest.words?.vocabulary, [...COMMAND_WORDS, 'silence', '_unknown_', 'cat', 'dog', 'marvin']);
    assert.deepEqual(manifest.words?.groups, [...COMMAND_WORDS.map((_, i) => i), 10, 11, 11, 11, 11]);
    assert.deepEqual(manifest.labels, [...LABELS]);
    assert.equal(manifest.training.options['allWords'], true);
    // Every cat, dog and marvin clip of the training split trains, not a 10 % sample of them.
    const dataset = await scanSpeechCommands(corpus, { seed: 2, ...options.dataset });
    const commandsAndSilence = dataset.examples.training.filter((e) => e.label !== 'unknown').length;
    assert.ok(dataset.otherWords.training.length > dataset.examples.training.length - commandsAndSilence);
    assert.equal(manifest.training.counts.training, commandsAndSilence + dataset.otherWords.training.length);
  });

  it('serves the 12 labels as sums of its words’ probabilities, with the top word', async () => {
    const loaded = await loadVersion(registry, version);
    try {
      const x = tf.tidy(() => tf.randomNormal([3 * 98 * 40], -4, 2, 'float32', 7).dataSync() as Float32Array);
      const raw = await loaded.raw(x, 3);
      const words = tf.tidy(
        () => (loaded.model!.predict(tf.tensor4d(x, [3, 98, 40, 1])) as tf.Tensor).arraySync() as number[][],
      );
      const groups = loaded.manifest.words!.groups;
      for (let r = 0; r < 3; r++) {
        LABELS.forEach((_, c) => {
          const sum = words[r]!.reduce((a, p, w) => a + (groups[w] === c ? p : 0), 0);
          assert.ok(Math.abs(raw.probabilities[r * 12 + c]! - sum) < 1e-5, `row ${r} label ${c}`);
        });
        const top = words[r]!.indexOf(Math.max(...words[r]!));
        assert.equal(raw.topWord?.[r], top);
      }
    } finally {
      await loaded.dispose();
    }
  });

  it('answers the top word over REST, GraphQL and kws classify, and stores it', async () => {
    const server = await testServer({ modelsDir: models, dataDir: tempDir('kws-all-words-serve-') });
    try {
      const file = join(realDataDir(), 'tflite-micro/testdata', 'yes_1000ms.wav');
      const bytes = readFileSync(file);
      const vocabulary = registry.manifest(version).words!.vocabulary;
      const rest = (await (
        await fetch(`${server.url}/v1/clips?modelVersion=${version}`, {
          method: 'POST',
          body: clipForm([{ name: 'yes.wav', bytes }]),
        })
      ).json()) as { clips: Array<{ id: string; prediction: { topWord: string; label: string } }> };
      const answer = rest.clips[0]!.prediction;
      assert.ok(vocabulary.includes(answer.topWord), answer.topWord);
      const uploaded = await graphqlUpload(
        server.url,
        `mutation ($files: [Upload!]!) { classifyClips(files: $files, modelVersion: ${version}) { clip { id } prediction { topWord label } } }`,
        [{ name: 'yes.wav', bytes }],
      );
      const row = (
        uploaded.data?.['classifyClips'] as Array<{
          clip: { id: string };
          prediction: { topWord: string; label: string };
        }>
      )[0]!;
      assert.deepEqual(row.prediction, { topWord: answer.topWord, label: answer.label });
      const listed = await graphql(server.url, `{ modelVersion(version: ${version}) { words } }`);
      assert.deepEqual((listed.data?.['modelVersion'] as { words: string[] }).words, vocabulary);
      const stored = await graphql(
        server.url,
        `{ clip(id: "${rest.clips[0]!.id}") { prediction(modelVersion: ${version}) { topWord } } }`,
      );
      assert.equal((stored.data?.['clip'] as { prediction: { topWord: string } }).prediction.topWord, answer.topWord);
      const plain = await graphql(
        server.url,
        `{ clip(id: "${rest.clips[0]!.id}") { prediction(modelVersion: 1) { topWord } } }`,
      );
      assert.equal((plain.data?.['clip'] as { prediction: { topWord: string | null } }).prediction.topWord, null);
      const cli = await runKws(
        'classify',
        file,
        '--json',
        '--model',
        String(version),
        ...['--models-dir', models, '--data-dir', tempDir('kws-all-words-cli-')],
      );
      assert.equal(cli.status, 0, cli.stderr);
      assert.equal((JSON.parse(cli.stdout) as { topWord: string }).topWord, answer.topWord);
    } finally {
      await server.stop();
    }
  });

  it('fine-tunes from its own words, ensembles as sessions, and refuses what does not fit; nothing is registered', async () => {
    const tuned = await trainVersion(registry, { ...options, baseVersion: version });
    assert.deepEqual(tuned.manifest.words, registry.manifest(version).words);
    const ensemble = await createEnsemble(registry, { members: [1, version], dataDir: corpus });
    assert.equal(ensemble.manifest.ensemble?.form, 'sessions');
    assert.equal(ensemble.manifest.words, undefined);
    const loaded = await loadVersion(registry, ensemble.record.version);
    try {
      const out = await loaded.predict(new Float32Array(98 * 40).fill(-5), 1);
      assert.equal(out.probabilities.length, 12);
      assert.ok(Math.abs(out.probabilities.reduce((a, p) => a + p, 0) - 1) < 1e-5);
    } finally {
      await loaded.dispose();
    }
    const count = registry.list().length;
    for (const [extra, message] of [
      [{ allWords: true, distillFrom: 1 }, /^allWords: a teacher answers the 12 labels/],
      [{ allWords: true, outlierExposure: 0.5 }, /^allWords: outlier exposure works on the 12 labels/],
      [
        { allWords: true, baseVersion: 1 },
        /from scratch or from an all-words base version; version 1 answers the 12 labels$/,
      ],
    ] as const)
      await assert.rejects(trainVersion(registry, { ...options, ...extra }), { code: 'INVALID_ARGUMENT', message });
    assert.equal(registry.list().length, count);
  });
});
