import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { openModelSession } from '../../src/engine/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import { averageVersions, createEnsemble, loadVersion, trainVersion } from '../../src/training/tfjs/index.js';
import { runKws } from '../helpers/cli.js';
import { threeWordCorpus } from '../helpers/corpus.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_PRODUCTION, FIRST_NEW_VERSION } from '../helpers/models.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

const BUNDLED = join(import.meta.dirname, '..', '..', 'models');
const manifestOf = (models: string, version: number): VersionManifest =>
  JSON.parse(readFileSync(join(models, String(version), 'version.json'), 'utf8')) as VersionManifest;

/**
 * A repository holding copies of the bundled versions 1 and 2 (two different models, temperatures 1 and 1.124). The
 * bundled overlay also shows the other bundled versions (production, `BUNDLED_PRODUCTION`, is an ensemble of 1, 2
 * and 3), so the first version made there is `FIRST_NEW_VERSION`.
 */
function twoModels(): string {
  const dir = tempDir('kws-ensemble-models-');
  for (const v of ['1', '2']) cpSync(join(BUNDLED, v), join(dir, v), { recursive: true });
  return dir;
}

describe('createEnsemble (kws ensemble create)', () => {
  const corpus = join(tempDir('kws-ensemble-corpus-'), 'corpus');
  const models = twoModels();
  let registry: ModelRegistry;

  before(async () => {
    await threeWordCorpus(corpus);
    registry = ModelRegistry.open(models);
  });
  after(() => registry.close());

  it('registers one model that serves softmax((Σ w·z/T) / T_ensemble) of its members, calibrated on the dataset, listed as an ensemble', async () => {
    const result = await createEnsemble(registry, { members: [1, 2], weights: [1, 3], dataDir: corpus });
    assert.equal(result.record.version, FIRST_NEW_VERSION);
    assert.equal(result.record.architecture, 'ensemble');
    const manifest = manifestOf(models, FIRST_NEW_VERSION);
    assert.deepEqual(manifest.ensemble, {
      members: [1, 2],
      weights: [0.25, 0.75],
      combine: 'mean-logit',
      memberTemperatures: [1, manifestOf(models, 2).calibration.temperature],
      form: 'graph',
    });
    assert.ok(manifest.metrics.validation.examples > 0 && manifest.metrics.testing !== null);
    const ensembleTemperature = manifest.calibration.temperature ?? 1;
    // Fewer than MIN_TEMPERATURE_CLIPS validation clips here: the ensemble keeps T = 1 (its members' are folded in).
    assert.equal(ensembleTemperature, 1);
    // Served probabilities, from the version as serving loads it, against its members' logits.
    const [one, two, three] = await Promise.all([1, 2, FIRST_NEW_VERSION].map((v) => loadVersion(registry, v)));
    const features = tf.tidy(() => tf.randomNormal([3 * 98 * 40], 0, 2, 'float32', 5).dataSync() as Float32Array);
    const z1 = (await one!.predict(features, 3)).logits!;
    const z2 = (await two!.predict(features, 3)).logits!;
    const served = (await three!.predict(features, 3)).probabilities;
    const t2 = manifest.ensemble!.memberTemperatures[1]!;
    for (let r = 0; r < 3; r++) {
      const z = Array.from(
        { length: 12 },
        (_, c) => (0.25 * z1[r * 12 + c]! + (0.75 * z2[r * 12 + c]!) / t2) / ensembleTemperature,
      );
      const top = Math.max(...z);
      const sum = z.reduce((a, v) => a + Math.exp(v - top), 0);
      z.forEach((v, c) =>
        assert.ok(Math.abs(served[r * 12 + c]! - Math.exp(v - top) / sum) < 1e-5, `row ${r} class ${c}`),
      );
    }
    for (const v of [one, two, three]) await v!.dispose();
    assert.equal(registry.list().find((r) => r.version === FIRST_NEW_VERSION)?.state, 'ready');
  });

  it('exports an ensemble of three members to ONNX (their logits summed by Sum), which onnxruntime serves as TF.js does', async () => {
    const repo = twoModels();
    cpSync(join(repo, '2'), join(repo, '3'), { recursive: true });
    const third = join(repo, '3', 'version.json');
    writeFileSync(third, JSON.stringify({ ...(JSON.parse(readFileSync(third, 'utf8')) as object), version: 3 }));
    const own = ModelRegistry.open(repo);
    try {
      const made = await createEnsemble(own, { members: [1, 2, 3], dataDir: corpus });
      const geometry = { frames: 98, bins: 40, classes: 12 };
      const session = await openModelSession('onnx', made.record.dir, geometry, 'cpu');
      const loaded = await loadVersion(own, made.record.version);
      try {
        const x = tf.tidy(() => tf.randomNormal([2 * 98 * 40], -4, 2, 'float32', 11).dataSync() as Float32Array);
        const onnx = await session.run(x, 2);
        const tfjs = await loaded.raw(x, 2);
        onnx.probabilities.forEach((p, i) => assert.ok(Math.abs(p - tfjs.probabilities[i]!) < 1e-4, `${i}`));
      } finally {
        await session.dispose();
        await loaded.dispose();
      }
    } finally {
      own.close();
    }
  });

  it('ensembles members of different features: fed the waveform, each computes its own, as the winners mixed inputs', async () => {
    const repo = twoModels();
    const own = ModelRegistry.open(repo);
    try {
      const mfcc = await trainVersion(own, {
        dataDir: corpus,
        epochs: 1,
        batchSize: 8,
        allowMissingClasses: true,
        features: { type: 'mfcc' },
      });
      const made = await createEnsemble(own, { members: [2, mfcc.record.version], dataDir: corpus });
      assert.equal(made.manifest.featureConfig.type, 'waveform');
      assert.equal(made.manifest.ensemble?.form, 'sessions');
      const spec = JSON.parse(readFileSync(join(made.record.dir, 'ensemble.json'), 'utf8')) as {
        members: Array<{ features: { type: string } }>;
      };
      assert.deepEqual(
        spec.members.map((m) => m.features.type),
        ['log-mel', 'mfcc'],
      );
      const [two, other, both] = await Promise.all(
        [2, mfcc.record.version, made.record.version].map((v) => loadVersion(own, v)),
      );
      try {
        const clip = Float32Array.from({ length: 16000 }, (_, i) => 0.2 * Math.sin(i / 9) * Math.sin(i / 700));
        const z2 = (await two!.raw(two!.extractor.compute(clip), 1)).logits!;
        const zm = (await other!.raw(other!.extractor.compute(clip), 1)).logits!;
        const [t2, tm] = made.manifest.ensemble!.memberTemperatures;
        const t = made.manifest.calibration.temperature ?? 1;
        const z = Array.from({ length: 12 }, (_, c) => (0.5 * z2[c]!) / t2! + (0.5 * zm[c]!) / tm!);
        const top = Math.max(...z);
        const sum = z.reduce((a, v) => a + Math.exp((v - top) / t), 0);
        const served = await both!.predictClips([clip]);
        z.forEach((v, c) =>
          assert.ok(Math.abs(served.probabilities[c]! - Math.exp((v - top) / t) / sum) < 1e-4, `${c}`),
        );
      } finally {
        await Promise.all([two, other, both].map((l) => l!.dispose()));
      }
      await assert.rejects(averageVersions(own, { members: [2, mfcc.record.version], dataDir: corpus }), {
        message: /feature config differs/,
      });
    } finally {
      own.close();
    }
  });

  it('refuses to archive a member of a ready ensemble, naming it, and allows it once the ensemble is archived', async () => {
    const repo = twoModels();
    const own = ModelRegistry.open(repo);
    try {
      const made = (await createEnsemble(own, { members: [1, 2], combine: 'mean-prob', dataDir: corpus })).record
        .version;
      assert.equal(made, FIRST_NEW_VERSION);
      // Version 2 is a member of the new ensemble. The bundled ensemble (production) was made of the
      // bundled versions, so this repository's own folder 2 is none of its members.
      assert.throws(() => own.archive(2), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: `model version 2 is a member of ensemble version ${made}; archive it first`,
      });
      own.archive(made);
      assert.equal(own.archive(2).state, 'archived');
    } finally {
      own.close();
    }
  });

  it('keeps the bundled ensemble whole in a repository of its own: its bundled members cannot be archived first', () => {
    const own = ModelRegistry.open(tempDir('kws-ensemble-empty-'));
    try {
      assert.deepEqual(own.manifest(BUNDLED_PRODUCTION).ensemble?.members, [1, 2, 3]);
      for (const member of [2, 3])
        assert.throws(() => own.archive(member), {
          name: 'KwsError',
          code: 'INVALID_ARGUMENT',
          message: `model version ${member} is a member of ensemble version ${BUNDLED_PRODUCTION}; archive it first`,
        });
    } finally {
      own.close();
    }
  });

  it('refuses an ensemble as a member or a base version, unequal weights with mean-prob and a single member, registering nothing', async () => {
    const count = registry.list().length;
    const cases: Array<[Parameters<typeof createEnsemble>[1], string]> = [
      [
        // The ensemble the first test registered.
        { members: [FIRST_NEW_VERSION, 1], dataDir: corpus },
        `version ${FIRST_NEW_VERSION} is an ensemble (of versions 1, 2) and cannot be a member of another ensemble; name its members instead`,
      ],
      [
        { members: [1, 2], weights: [1, 2], combine: 'mean-prob', dataDir: corpus },
        'mean-prob averages the members equally: weights need mean-logit',
      ],
      [{ members: [2, 2], dataDir: corpus }, 'an ensemble needs two or more distinct versions, got only version 2'],
    ];
    for (const [options, message] of cases)
      await assert.rejects(createEnsemble(registry, options), { name: 'KwsError', code: 'INVALID_ARGUMENT', message });
    await assert.rejects(trainVersion(registry, { dataDir: corpus, baseVersion: FIRST_NEW_VERSION }), {
      code: 'INVALID_ARGUMENT',
      message: `version ${FIRST_NEW_VERSION} is an ensemble (of versions 1, 2) and cannot be a base version; distil it instead (distillFrom)`,
    });
    // The bundled ensemble (production) is refused alike.
    await assert.rejects(trainVersion(registry, { dataDir: corpus, baseVersion: BUNDLED_PRODUCTION }), {
      code: 'INVALID_ARGUMENT',
      message: `version ${BUNDLED_PRODUCTION} is an ensemble (of versions 1, 2, 3) and cannot be a base version; distil it instead (distillFrom)`,
    });
    assert.equal(registry.list().length, count);
  });

  it('calibrates on a labelled folder (audio/ and labels.csv) or the official test-set layout with nothing held out, and refuses a dataset without validation clips', async () => {
    const repo = twoModels();
    const own = ModelRegistry.open(repo);
    try {
      const { dir } = kaggleFolder(3);
      const result = await createEnsemble(own, { members: [1, 2], dataDir: dir });
      const manifest = manifestOf(repo, result.record.version);
      assert.equal(manifest.metrics.validation.examples, 36);
      assert.equal(manifest.metrics.testing, null);
      assert.deepEqual(manifest.training.options, { ensembleOf: [1, 2] });
      assert.equal(manifest.training.dataDir, dir);
      // The official test-set layout (class folders, _silence_ and _unknown_) all calibrates too.
      const testSet = tempDir('kws-ensemble-testset-');
      const pico = join(realDataDir(), 'pico-testset-v0.02');
      for (const folder of readdirSync(pico, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)) {
        mkdirSync(join(testSet, folder));
        for (const clip of readdirSync(join(pico, folder)).sort().slice(0, 2))
          copyFileSync(join(pico, folder, clip), join(testSet, folder, clip));
      }
      const fromTestSet = manifestOf(
        repo,
        (await createEnsemble(own, { members: [1, 2], dataDir: testSet })).record.version,
      );
      assert.equal(fromTestSet.metrics.validation.examples, 24);
      assert.equal(fromTestSet.metrics.testing, null);
      // A dataset whose lists put its only clip in testing.
      const noValidation = tempDir('kws-ensemble-noval-');
      const clip = readdirSync(join(corpus, 'yes')).find((f) => f.endsWith('.wav'))!;
      mkdirSync(join(noValidation, 'yes'));
      copyFileSync(join(corpus, 'yes', clip), join(noValidation, 'yes', clip));
      writeFileSync(join(noValidation, 'testing_list.txt'), `yes/${clip}\n`);
      writeFileSync(join(noValidation, 'validation_list.txt'), '');
      const count = own.list().length;
      await assert.rejects(createEnsemble(own, { members: [1, 2], dataDir: noValidation }), {
        code: 'INVALID_ARGUMENT',
        message: `${noValidation} has no validation clips to calibrate on (a Speech Commands dataset, or a folder with audio/ and labels.csv)`,
      });
      assert.equal(own.list().length, count);
    } finally {
      own.close();
    }
  });

  it('teaches a student (distillFrom: the ensemble), which is an ordinary version', async () => {
    const repo = twoModels();
    const own = ModelRegistry.open(repo);
    try {
      const ensemble = await createEnsemble(own, { members: [1, 2], dataDir: corpus });
      const student = await trainVersion(own, {
        dataDir: corpus,
        epochs: 1,
        batchSize: 8,
        allowMissingClasses: true,
        distillFrom: ensemble.record.version,
      });
      const manifest = manifestOf(repo, student.record.version);
      assert.equal(manifest.training.options['distillFrom'], ensemble.record.version);
      assert.equal(manifest.ensemble, undefined);
      assert.equal(student.record.architecture, 'tc-resnet8');
    } finally {
      own.close();
    }
  });

  it('kws ensemble create prints the new version as JSON, and kws models lists it as an ensemble', async () => {
    const repo = twoModels();
    const data = tempDir('kws-ensemble-cli-');
    const run = await runKws(
      'ensemble',
      'create',
      '--members',
      '1,2',
      '--combine',
      'mean-prob',
      '--data',
      corpus,
      '--models-dir',
      repo,
      '--data-dir',
      data,
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      version: number;
      members: number[];
      weights: number[];
      combine: string;
    };
    assert.deepEqual(
      [summary.version, summary.members, summary.weights, summary.combine],
      [FIRST_NEW_VERSION, [1, 2], [0.5, 0.5], 'mean-prob'],
    );
    const listed = await runKws('models', '--models-dir', repo, '--data-dir', data);
    assert.match(listed.stdout, new RegExp(`^ {3}${FIRST_NEW_VERSION} {2}ready {4}ensemble `, 'm'));
    const refused = await runKws(
      'ensemble',
      'create',
      '--members',
      '1,2',
      '--combine',
      'median',
      '--models-dir',
      repo,
      '--data-dir',
      data,
    );
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /--combine.*median.*mean-prob, mean-logit/);
  });
});
