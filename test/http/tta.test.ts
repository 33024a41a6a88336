import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { DEFAULT_TTA, ttaViews } from '../../src/engine/index.js';
import { LABELS } from '../../src/labels/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { calibrateVersion, evaluateVersion, loadVersion } from '../../src/training/tfjs/index.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { modelRepository } from '../helpers/models.js';
import { runKws } from '../helpers/cli.js';
import { clipForm, graphql, graphqlUpload, testServer } from '../helpers/server.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

interface RestPrediction {
  label: string;
  modelVersion: number;
  probabilities: Record<string, number>;
  energy: number | null;
  tta: string | null;
}

describe('test-time augmentation per request (REST ?tta=true, GraphQL classifyClips(tta: true), kws classify --tta)', () => {
  // A real "left" of 0.8 s or so: the shifts move its word inside the 1 s window.
  const file = join(realDataDir(), 'pico-testset-v0.02', 'left', '022cd682_nohash_0.wav');
  const bytes = readFileSync(file);
  let server: Awaited<ReturnType<typeof testServer>>;

  before(async () => {
    server = await testServer();
  });
  after(() => server.stop());

  const rest = async (
    query: string,
  ): Promise<{ status: number; body: { clips: Array<{ id: string; prediction: RestPrediction }> } }> => {
    const response = await fetch(`${server.url}/v1/clips${query}`, {
      method: 'POST',
      body: clipForm([{ name: 'left.wav', bytes }]),
    });
    return { status: response.status, body: (await response.json()) as never };
  };

  it('answers the mean of the clip and its DEFAULT_TTA views, the same over REST, GraphQL and the CLI, and stores the clip’s own prediction', async () => {
    const plain = (await rest('')).body.clips[0]!.prediction;
    const answered = await rest('?tta=true');
    assert.equal(answered.status, 200);
    const tta = answered.body.clips[0]!.prediction;
    assert.equal(plain.tta, null);
    assert.equal(tta.tta, 'shifts -100, 100 ms; gains 6 dB');
    assert.equal(tta.modelVersion, plain.modelVersion);
    // The mean over the four views, each run alone through the version.
    const registry = ModelRegistry.open(join(server.dataDir, 'models'));
    const loaded = await loadVersion(registry, tta.modelVersion);
    try {
      const clip = fitToLength((await decodeAudio(bytes)).samples, loaded.extractor.config.clipSamples);
      const views = ttaViews(clip, DEFAULT_TTA, 16_000);
      assert.equal(views.length, 4);
      const outputs = await Promise.all(views.map((v) => loaded.predict(loaded.extractor.compute(v), 1)));
      LABELS.forEach((label, c) => {
        const mean = outputs.reduce((a, o) => a + o.probabilities[c]!, 0) / 4;
        assert.ok(
          Math.abs(tta.probabilities[label]! - mean) < 1e-4,
          `${label}: ${tta.probabilities[label]} against ${mean}`,
        );
      });
      const energy = outputs.reduce((a, o) => a + o.energy[0]!, 0) / 4;
      assert.ok(Math.abs(tta.energy! - energy) < 1e-3);
    } finally {
      await loaded.dispose();
      registry.close();
    }
    assert.ok(
      Math.abs(tta.energy! - plain.energy!) > 0.01,
      `the views change the answer: ${tta.energy} ${plain.energy}`,
    );
    // GraphQL: the same answer; the clip's stored prediction is its own, not the TTA mean.
    const uploaded = await graphqlUpload(
      server.url,
      'mutation ($files: [Upload!]!) { classifyClips(files: $files, tta: true) { clip { id } prediction { label tta probabilities { label probability } } } }',
      [{ name: 'left.wav', bytes }],
    );
    assert.equal(uploaded.errors, undefined, JSON.stringify(uploaded.errors));
    const row = (
      uploaded.data?.['classifyClips'] as Array<{
        clip: { id: string };
        prediction: { label: string; tta: string; probabilities: Array<{ label: string; probability: number }> };
      }>
    )[0]!;
    assert.equal(row.prediction.tta, tta.tta);
    assert.equal(row.prediction.label, tta.label);
    for (const { label, probability } of row.prediction.probabilities)
      assert.ok(Math.abs(probability - tta.probabilities[label]!) < 1e-6, label);
    const stored = await graphql(
      server.url,
      `{ clip(id: "${row.clip.id}") { prediction { tta probabilities { label probability } } } }`,
    );
    const storedPrediction = (
      stored.data?.['clip'] as {
        prediction: { tta: string | null; probabilities: Array<{ label: string; probability: number }> };
      }
    ).prediction;
    assert.equal(storedPrediction.tta, null);
    for (const { label, probability } of storedPrediction.probabilities)
      assert.ok(Math.abs(probability - plain.probabilities[label]!) < 1e-6, label);
    // The CLI (TF.js in process) agrees with the server (onnxruntime).
    const cli = await runKws(
      'classify',
      file,
      '--tta',
      '--json',
      '--model',
      String(tta.modelVersion),
      '--models-dir',
      join(server.dataDir, 'models'),
      '--data-dir',
      server.dataDir,
    );
    assert.equal(cli.status, 0, cli.stderr);
    const printed = JSON.parse(cli.stdout) as RestPrediction;
    assert.equal(printed.tta, tta.tta);
    for (const label of LABELS)
      assert.ok(Math.abs(printed.probabilities[label]! - tta.probabilities[label]!) < 1e-4, label);
  });

  it('refuses a query parameter it does not know (a misspelt TTA would silently change nothing), naming it', async () => {
    const refused = await rest('?TTA=true');
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.body as unknown as { error: unknown }).error, {
      code: 'INVALID_ARGUMENT',
      message:
        'unknown query parameter "TTA"; known: modelVersion, unknownThreshold, silenceThresholdDbfs, unknownScore, unknownEnergyThreshold, nonSpeechRule, tta',
    });
  });

  it('refuses a tta parameter that is not true or false, naming it, before any work', async () => {
    const refused = await rest('?tta=yes');
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.body as unknown as { error: unknown }).error, {
      code: 'INVALID_ARGUMENT',
      message: 'query parameter tta must be true or false, got "yes"',
    });
  });
});

describe('a version calibrated with test-time augmentation (kws calibrate --tta)', () => {
  it('records the views, keeps the base temperature, and scores with them everywhere unless told not to', async () => {
    const models = modelRepository();
    const calibration = kaggleFolder(3);
    const registry = ModelRegistry.open(models);
    let version: number;
    try {
      const made = await calibrateVersion(registry, { baseVersion: 2, dataDir: calibration.dir, tta: DEFAULT_TTA });
      version = made.record.version;
      assert.deepEqual(made.manifest.tta, DEFAULT_TTA);
      assert.equal(made.manifest.calibration.temperature, registry.manifest(2).calibration.temperature);
      // kws eval scores as the version serves: its recorded calibration accuracy is what eval finds on the same clips.
      const report = await evaluateVersion(registry, calibration.dir, version);
      assert.ok(Math.abs(report.accuracy - made.manifest.calibration.accuracy) < 1e-9, `${report.accuracy}`);
    } finally {
      registry.close();
    }
    const server = await testServer({ modelsDir: models, dataDir: tempDir('kws-tta-version-') });
    try {
      const bytes = readFileSync(join(realDataDir(), 'pico-testset-v0.02', 'left', '022cd682_nohash_0.wav'));
      const answer = async (query: string): Promise<RestPrediction> =>
        (
          (await (
            await fetch(`${server.url}/v1/clips?modelVersion=${version}${query}`, {
              method: 'POST',
              body: clipForm([{ name: 'left.wav', bytes }]),
            })
          ).json()) as { clips: Array<{ prediction: RestPrediction }> }
        ).clips[0]!.prediction;
      const own = await answer('');
      assert.equal(own.tta, 'shifts -100, 100 ms; gains 6 dB');
      assert.equal((await answer('&tta=false')).tta, null);
      // What is stored is the version's own answer, the mean of its views, read back the same.
      const uploaded = (await (
        await fetch(`${server.url}/v1/clips?modelVersion=${version}`, {
          method: 'POST',
          body: clipForm([{ name: 'left.wav', bytes }]),
        })
      ).json()) as { clips: Array<{ id: string }> };
      const stored = await graphql(
        server.url,
        `{ clip(id: "${uploaded.clips[0]!.id}") { prediction(modelVersion: ${version}) { tta probabilities { label probability } } } }`,
      );
      const read = (
        stored.data?.['clip'] as {
          prediction: { tta: string; probabilities: Array<{ label: string; probability: number }> };
        }
      ).prediction;
      assert.equal(read.tta, own.tta);
      for (const { label, probability } of read.probabilities)
        assert.ok(Math.abs(probability - own.probabilities[label]!) < 1e-6, label);
      const listed = await graphql(server.url, `{ modelVersion(version: ${version}) { tta } }`);
      assert.deepEqual(listed.data?.['modelVersion'], { tta: 'shifts -100, 100 ms; gains 6 dB' });
    } finally {
      await server.stop();
    }
    const registryArgs = ['--models-dir', models, '--data-dir', tempDir('kws-tta-version-cli-')];
    const file = join(realDataDir(), 'pico-testset-v0.02', 'left', '022cd682_nohash_0.wav');
    const classified = await runKws('classify', file, '--json', '--model', String(version), ...registryArgs);
    assert.equal((JSON.parse(classified.stdout) as RestPrediction).tta, 'shifts -100, 100 ms; gains 6 dB');
    const plain = await runKws('classify', file, '--json', '--no-tta', '--model', String(version), ...registryArgs);
    assert.equal((JSON.parse(plain.stdout) as RestPrediction).tta, null);
    const out = join(tempDir('kws-tta-version-score-'), 'submission.csv');
    for (const [flags, expected] of [
      [[], DEFAULT_TTA],
      [['--no-tta'], null],
    ] as const) {
      const scored = await runKws(
        'score',
        calibration.dir,
        '--out',
        out,
        '--model',
        String(version),
        '--no-progress',
        '--json',
        ...flags,
        ...registryArgs,
      );
      assert.equal(scored.status, 0, scored.stderr);
      assert.deepEqual((JSON.parse(scored.stdout) as { tta: unknown }).tta, expected);
    }
  });
});
