import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelRegistry } from '../../src/registry/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import { calibrateVersion } from '../../src/training/tfjs/index.js';
import { runKws } from '../helpers/cli.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_PRODUCTION, FIRST_NEW_VERSION, modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

/** The version kws calibrate registers in a repository beside the bundled ones. */
const NEW = FIRST_NEW_VERSION;

const sha1 = (path: string): string => createHash('sha1').update(readFileSync(path)).digest('hex');
const manifestOf = (models: string, version: number): VersionManifest =>
  JSON.parse(readFileSync(join(models, String(version), 'version.json'), 'utf8')) as VersionManifest;

describe('calibrateVersion (kws calibrate)', () => {
  // 6 real clips of each of the 12 classes: 72, enough to fit a temperature (50 or more).
  const set = kaggleFolder(6);
  const models = modelRepository();
  let registry: ModelRegistry;
  const v1Before = readFileSync(join(models, '1', 'version.json'), 'utf8');

  before(() => {
    registry = ModelRegistry.open(models);
  });
  after(() => registry.close());

  it('registers a new version with version 1’s weights, a fitted temperature, thresholds at the target recall and where they came from', async () => {
    const result = await calibrateVersion(registry, { baseVersion: 1, dataDir: set.dir, unknownTargetRecall: 0.9 });
    assert.equal(result.record.version, NEW);
    for (const file of ['model.json', 'weights.bin', 'model.onnx'])
      assert.equal(sha1(join(models, String(NEW), file)), sha1(join(models, '1', file)), file);
    const manifest = manifestOf(models, NEW);
    const temperature = manifest.calibration.temperature ?? Number.NaN;
    assert.ok(temperature > 0.05 && temperature < 20 && temperature !== 1, `temperature ${temperature}`);
    assert.equal(manifest.calibration.operatingPoint?.targetRecall, 0.9);
    assert.equal(manifest.metrics.validation.examples, 72);
    assert.equal(manifest.metrics.testing, null);
    assert.ok(manifest.metrics.validation.trust !== undefined);
    const from = manifest.training.options['calibratedFrom'] as { version: number; dataDir: string; clips: number };
    assert.deepEqual(
      { version: from.version, dataDir: from.dataDir, clips: from.clips },
      {
        version: 1,
        dataDir: set.dir,
        clips: 72,
      },
    );
    assert.equal(manifest.training.options['unknownTargetRecall'], 0.9);
    assert.equal(manifest.architecture, manifestOf(models, 1).architecture);
    assert.deepEqual(manifest.featureConfig, manifestOf(models, 1).featureConfig);
    // Versions are immutable: version 1 is as it was.
    assert.equal(readFileSync(join(models, '1', 'version.json'), 'utf8'), v1Before);
    assert.equal(registry.resolve(NEW).state, 'ready');
  });

  it('refuses a target recall outside (0, 1] and a folder with no labelled clip, registering nothing', async () => {
    const count = registry.list().length;
    await assert.rejects(calibrateVersion(registry, { baseVersion: 1, dataDir: set.dir, unknownTargetRecall: 0 }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'unknownTargetRecall must be in (0, 1], got 0',
    });
    const empty = tempDir('kws-calibrate-empty-');
    mkdirSync(join(empty, 'audio'));
    writeFileSync(join(empty, 'labels.csv'), 'fname,label\n');
    await assert.rejects(calibrateVersion(registry, { baseVersion: 1, dataDir: empty }), {
      code: 'INVALID_ARGUMENT',
      message: `${empty} has no labelled clips to score`,
    });
    await assert.rejects(calibrateVersion(registry, { baseVersion: 7, dataDir: set.dir }), { code: 'NOT_FOUND' });
    assert.equal(registry.list().length, count);
  });

  it('kws calibrate prints the new version as JSON; a missing repository is reported, and a bad recall is a usage error', async () => {
    const repo = modelRepository();
    const run = await runKws(
      'calibrate',
      '--data',
      set.dir,
      '--models-dir',
      repo,
      '--data-dir',
      tempDir('kws-cal-cli-'),
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as {
      version: number;
      calibratedFrom: number;
      clips: number;
      temperature: number;
    };
    // Without --model it recalibrates the production version: the bundled default.
    assert.deepEqual([summary.version, summary.calibratedFrom, summary.clips], [NEW, BUNDLED_PRODUCTION, 72]);
    assert.equal(summary.temperature, manifestOf(repo, NEW).calibration.temperature);
    const missing = join(tempDir('kws-cal-missing-'), 'models');
    const none = await runKws('calibrate', '--data', set.dir, '--models-dir', missing);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /model repository .* does not exist/);
    assert.equal(existsSync(missing), false, 'a missing repository is reported, not created');
    const bad = await runKws('calibrate', '--data', set.dir, '--models-dir', repo, '--unknown-target-recall', '0');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--unknown-target-recall/);
  });
});
