import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { lines, runKws, spawnKwsAsync } from '../helpers/cli.js';
import type { KwsRun } from '../helpers/cli.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_LISTING, BUNDLED_PRODUCTION, FIRST_NEW_VERSION } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

/** `kws train`, `eval` and `classify` as child processes (their contract is the process), side by side: training takes a while. */
const spawnLong = (...args: string[]): Promise<KwsRun> => spawnKwsAsync(args, { timeoutMs: 300_000 });

const TRAIN = ['--allow-missing-classes', '--epochs', '1', '--batch-size', '16', '--backend', 'wasm', '--json'];

interface Listed {
  version: number;
  state: string;
  aliases: string[];
}

const listed = (run: KwsRun): Listed[] => lines(run).map((l) => JSON.parse(l) as Listed);

interface Registry {
  readonly models: string;
  readonly data: string;
}

// The tests are independent (each works on what `before` made, or on its own copy), so they run side by side.
describe('kws train, kws models and kws eval', { concurrency: true }, () => {
  const work = tempDir('kws-cli-train-');
  const data = join(work, 'corpus');
  /** A repository holding one version trained by `kws train` in `before`; tests that add versions work on a copy. */
  const trained: Registry = { models: join(work, 'trained', 'models'), data: join(work, 'trained', 'var') };
  const registryOf = (r: Registry): string[] => ['--models-dir', r.models, '--data-dir', r.data];
  let first: KwsRun;

  /** A fresh registry (own state folder) starting from a copy of `trained` (its one trained version). */
  function copyOfTrained(name: string): Registry {
    const copy = { models: join(work, name, 'models'), data: join(work, name, 'var') };
    cpSync(trained.models, copy.models, { recursive: true });
    return copy;
  }

  before(async () => {
    await synthesizeCorpus({
      outDir: data,
      perWord: 8,
      words: ['yes', 'no', 'up', 'dog'],
      seed: 5,
      realNoiseDir: null,
    });
    first = await spawnLong('train', '--data', data, ...TRAIN, ...registryOf(trained));
  });

  describe('a second version, trained from the first (--base-version)', () => {
    let own: Registry;
    let second: KwsRun;

    before(async () => {
      own = copyOfTrained('second-version');
      second = await spawnLong(
        'train',
        '--data',
        data,
        ...TRAIN,
        '--base-version',
        String(FIRST_NEW_VERSION),
        '--lr',
        '0.0002',
        ...registryOf(own),
      );
    });

    it('trains versions after the bundled ones, and the bundled default stays production until a promotion', async () => {
      for (const [result, expected] of [
        [first, FIRST_NEW_VERSION],
        [second, FIRST_NEW_VERSION + 1],
      ] as const) {
        assert.equal(result.status, 0, result.stderr);
        const summary = JSON.parse(result.stdout) as {
          version: number;
          architecture: string;
          validationAccuracy: number;
        };
        assert.equal(summary.version, expected);
        assert.equal(summary.architecture, 'tc-resnet8');
        assert.ok(summary.validationAccuracy >= 0 && summary.validationAccuracy <= 1);
      }
      assert.ok(
        existsSync(join(own.models, String(FIRST_NEW_VERSION + 1), 'model.onnx')),
        'every version is exported to ONNX',
      );
      assert.ok(!existsSync(join(own.models, '1')), 'the bundled version is read where it is, not copied');
      const versions = listed(await spawnLong('models', '--json', ...registryOf(own)));
      assert.deepEqual(
        versions.map((v) => [v.version, v.state, v.aliases]),
        [
          [FIRST_NEW_VERSION + 1, 'ready', []],
          [FIRST_NEW_VERSION, 'ready', []],
          ...BUNDLED_LISTING.map(([v, aliases]) => [v, 'ready', aliases]),
        ],
      );
    });

    it('continues training from a base version (--base-version), and names a missing one', async () => {
      assert.equal(second.status, 0, second.stderr);
      const version = (JSON.parse(second.stdout) as { version: number }).version;
      assert.equal(version, FIRST_NEW_VERSION + 1);
      const manifest = JSON.parse(readFileSync(join(own.models, String(version), 'version.json'), 'utf8')) as {
        training: { options: { baseVersion: number; learningRate: number } };
      };
      assert.deepEqual(
        [manifest.training.options.baseVersion, manifest.training.options.learningRate],
        [FIRST_NEW_VERSION, 0.0002],
      );
      const missing = await spawnLong(
        'train',
        '--data',
        data,
        '--allow-missing-classes',
        '--base-version',
        '99',
        '--epochs',
        '1',
        '--backend',
        'wasm',
        ...registryOf(copyOfTrained('missing-base')),
      );
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /kws train: NOT_FOUND: model version 99 does not exist/);
    });
  });

  it('distils from a teacher version in a fresh process (--distill-from), and records the teacher', async () => {
    // The teacher's TF.js model is loaded to check it before the run takes a version number; a fresh
    // process has no TF.js backend initialised yet at that point (this once failed with INTERNAL).
    const own = copyOfTrained('distilled');
    const run = await spawnLong(
      'train',
      '--data',
      data,
      ...TRAIN,
      '--distill-from',
      String(FIRST_NEW_VERSION),
      '--distill-weight',
      '0.3',
      ...registryOf(own),
    );
    assert.equal(run.status, 0, run.stderr);
    const version = (JSON.parse(run.stdout) as { version: number }).version;
    assert.equal(version, FIRST_NEW_VERSION + 1);
    const manifest = JSON.parse(readFileSync(join(own.models, String(version), 'version.json'), 'utf8')) as {
      training: { options: { distillFrom: number; distillWeight: number } };
    };
    assert.deepEqual(
      [manifest.training.options.distillFrom, manifest.training.options.distillWeight],
      [FIRST_NEW_VERSION, 0.3],
    );
  });

  it('refuses bad input before taking a version number, and marks a run that fails midway failed', async () => {
    const registry = registryOf(copyOfTrained('refused'));
    const refused = await spawnLong(
      'train',
      '--data',
      join(work, 'missing'),
      '--epochs',
      '1',
      '--backend',
      'wasm',
      ...registry,
    );
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /kws train: FILE_NOT_FOUND: dataset folder .*missing does not exist/);
    const partial = await spawnLong('train', '--data', data, '--epochs', '1', '--backend', 'wasm', ...registry);
    assert.equal(partial.status, 1);
    assert.match(
      partial.stderr,
      /kws train: INVALID_ARGUMENT: .*corpus has no training examples of down, left, right, on, off, stop, go: the model could never predict those classes/,
    );
    const badAugment = await runKws('train', '--data', data, '--augment', '{"noiseProbability":5}', ...registry);
    assert.equal(badAugment.status, 2);
    assert.match(badAugment.stderr, /AugmentConfig.noiseProbability must be a probability from 0 to 1, got 5/);
    // A corrupt clip is found only when training loads the audio: that run fails after registering.
    const broken = join(work, 'broken');
    cpSync(data, broken, { recursive: true });
    writeFileSync(join(broken, 'yes', 'deadbeef_nohash_0.wav'), 'not a recording');
    const failed = await spawnLong(
      'train',
      '--data',
      broken,
      '--allow-missing-classes',
      '--epochs',
      '1',
      '--backend',
      'wasm',
      ...registry,
    );
    assert.equal(failed.status, 1);
    assert.match(
      failed.stderr,
      /kws train: NOT_AUDIO: yes\/deadbeef_nohash_0.wav: the bytes are not a recognised audio format/,
      'the error names the clip',
    );
    const versions = listed(await runKws('models', '--json', ...registry));
    assert.deepEqual(
      versions.map((v) => [v.version, v.state]),
      [[FIRST_NEW_VERSION + 1, 'failed'], [FIRST_NEW_VERSION, 'ready'], ...BUNDLED_LISTING.map(([v]) => [v, 'ready'])],
      'refused runs registered nothing',
    );
    assert.deepEqual(versions.find((v) => v.aliases.includes('production'))?.version, BUNDLED_PRODUCTION);
  });

  it('does not create a model repository that a read-only command names by mistake', async () => {
    const result = await runKws(
      'classify',
      join(data, 'yes', readdirSync(join(data, 'yes'))[0]!),
      '--models-dir',
      join(work, 'typo'),
      '--data-dir',
      join(work, 'var'),
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /kws classify: FILE_NOT_FOUND: model repository .*typo does not exist/);
    assert.ok(!existsSync(join(work, 'typo')));
  });

  it('evaluates on a Kaggle-layout folder with labels.csv, in the documented JSON shape', async () => {
    const result = await spawnLong(
      'eval',
      '--data',
      kaggleFolder(2).dir,
      '--model',
      String(FIRST_NEW_VERSION),
      '--json',
      ...registryOf(trained),
    ); // 24 real clips
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown> & {
      perClass: unknown[];
      confusion: number[][];
      labels: string[];
      hardExamples: unknown[];
      examples: number;
      accuracy: number;
    };
    for (const key of ['accuracy', 'perClass', 'confusion', 'labels', 'hardExamples']) assert.ok(key in report, key);
    assert.equal(report['modelVersion'], FIRST_NEW_VERSION);
    assert.equal(report['source'], 'kaggle-labels');
    assert.equal(report.examples, 24);
    assert.equal(
      report.confusion.flat().reduce((a, b) => a + b, 0),
      24,
    );
    assert.equal(report.perClass.length, 12);
    const correct = report.confusion.reduce((sum, row, i) => sum + row[i]!, 0);
    assert.equal(report.accuracy, correct / 24, 'accuracy is the confusion diagonal over all clips');
  });

  it('classifies files with the production version: label, confidence, all 12 probabilities, reason', async () => {
    const registry = registryOf(trained);
    const clip = join(data, 'yes', readdirSync(join(data, 'yes'))[0]!);
    const result = await spawnLong('classify', '--json', clip, join(work, 'missing.wav'), ...registry);
    assert.equal(result.status, 1, 'one file failed');
    const [ok, failed] = lines(result).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(Object.keys(ok!).sort(), [
      'confidence',
      'energy',
      'file',
      'isSilence',
      'isUnknown',
      'label',
      'modelVersion',
      'ok',
      'peakConcentration',
      'probabilities',
      'rawLabel',
      'reason',
      'rmsDbfs',
      'stationarity',
      'thresholds',
      'topWord',
      'tta',
    ]);
    assert.equal(ok!['tta'], null);
    assert.deepEqual(Object.keys(ok!['thresholds'] as object).sort(), [
      'nonSpeechRule',
      'silenceThresholdDbfs',
      'unknownEnergyThreshold',
      'unknownScore',
      'unknownThreshold',
    ]);
    assert.equal(ok!['topWord'], null, 'a 12-label version has no words');
    assert.ok(
      typeof ok!['energy'] === 'number' && Number.isFinite(ok!['energy']),
      'a trained version exports its logits',
    );
    assert.equal(ok!['modelVersion'], BUNDLED_PRODUCTION);
    const probabilities = ok!['probabilities'] as Record<string, number>;
    assert.equal(Object.keys(probabilities).length, 12);
    assert.ok(Math.abs(Object.values(probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.equal(ok!['confidence'], Math.max(...Object.values(probabilities)));
    assert.deepEqual(failed, {
      file: join(work, 'missing.wav'),
      ok: false,
      code: 'FILE_NOT_FOUND',
      message: `${join(work, 'missing.wav')} does not exist`,
    });
    // The energy rule on request: a threshold below every energy makes any clip unknown.
    const strict = JSON.parse(
      (
        await runKws(
          'classify',
          '--json',
          '--unknown-score',
          'energy',
          '--unknown-energy-threshold',
          '-1000',
          clip,
          ...registry,
        )
      ).stdout,
    ) as Record<string, unknown>;
    assert.deepEqual(
      [strict['label'], strict['reason'], strict['energy']],
      ['unknown', strict['rawLabel'] === 'unknown' ? 'MODEL' : 'LOW_CONFIDENCE', ok!['energy']],
    );
    const bad = await runKws('classify', '--unknown-score', 'entropy', clip, ...registry);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /argument 'entropy' is invalid\. Allowed choices are maxSoftmax, energy/);
  });

  it('names a missing model version', async () => {
    const result = await runKws('eval', '--data', data, '--model', '9', ...registryOf(trained));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /kws eval: NOT_FOUND: model version 9 does not exist/);
  });
});
