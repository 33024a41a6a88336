import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelRegistry } from '../../src/registry/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import { averageVersions, memberWeights } from '../../src/training/tfjs/index.js';
import { resolveFeatureConfig } from '../../src/features/index.js';
import { runKws } from '../helpers/cli.js';
import { threeWordCorpus } from '../helpers/corpus.js';
import { FIRST_NEW_VERSION, modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

const sha1 = (path: string): string => createHash('sha1').update(readFileSync(path)).digest('hex');
const manifestOf = (models: string, version: number): VersionManifest =>
  JSON.parse(readFileSync(join(models, String(version), 'version.json'), 'utf8')) as VersionManifest;

describe('averageVersions (kws average)', () => {
  const corpus = join(tempDir('kws-average-corpus-'), 'corpus');
  // Version 2 is the bundled model with every weight (batch-norm statistics included) plus 1, so the
  // average is version 1's weights plus 0.5.
  const models = modelRepository(2);
  const weightsOf = (version: number): Float32Array => {
    const bytes = readFileSync(join(models, String(version), 'weights.bin'));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  };
  writeFileSync(
    join(models, '2', 'weights.bin'),
    weightsOf(1).map((w) => w + 1),
  );
  let registry: ModelRegistry;

  before(async () => {
    await threeWordCorpus(corpus);
    registry = ModelRegistry.open(models);
  });
  after(() => registry.close());

  it('registers the element-wise mean of the members’ weights (a real mean of two different models), calibrated and scored on the dataset', async () => {
    const result = await averageVersions(registry, { members: [1, 2], dataDir: corpus });
    assert.equal(result.record.version, FIRST_NEW_VERSION);
    const [one, two, mean] = [1, 2, FIRST_NEW_VERSION].map(weightsOf) as [Float32Array, Float32Array, Float32Array];
    assert.equal(mean.length, one.length);
    mean.forEach((w, i) => assert.ok(Math.abs(w - (one[i]! + two[i]!) / 2) <= 1e-6 * (1 + Math.abs(w)), `weight ${i}`));
    assert.notEqual(
      sha1(join(models, String(FIRST_NEW_VERSION), 'weights.bin')),
      sha1(join(models, '1', 'weights.bin')),
    );
    const manifest = manifestOf(models, FIRST_NEW_VERSION);
    assert.deepEqual(manifest.training.options['averagedFrom'], [1, 2]);
    assert.equal(manifest.training.dataDir, corpus);
    assert.ok(manifest.metrics.validation.examples > 0);
    assert.ok(manifest.metrics.testing !== null && manifest.metrics.testing.examples > 0);
    assert.equal(manifest.architecture, manifestOf(models, 1).architecture);
    assert.equal(registry.resolve(FIRST_NEW_VERSION).state, 'ready');
  });

  it('weights make it a weighted mean (WiSE-FT interpolation), normalised and recorded', async () => {
    const repo = modelRepository(2);
    writeFileSync(join(repo, '2', 'weights.bin'), weightsOf(2));
    // Version 2's manifest spells out a feature field version 1's leaves to its default: still one config.
    const path = join(repo, '2', 'version.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as VersionManifest;
    writeFileSync(path, JSON.stringify({ ...manifest, featureConfig: resolveFeatureConfig(manifest.featureConfig) }));
    const weighted = ModelRegistry.open(repo);
    try {
      const result = await averageVersions(weighted, { members: [1, 2], weights: [3, 1], dataDir: corpus });
      const bytes = readFileSync(join(result.record.dir, 'weights.bin'));
      const mixed = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const one = weightsOf(1);
      // 0.75 w + 0.25 (w + 1) = w + 0.25.
      mixed.forEach((w, i) => assert.ok(Math.abs(w - (one[i]! + 0.25)) <= 1e-6 * (1 + Math.abs(w)), `weight ${i}`));
      assert.deepEqual(manifestOf(repo, FIRST_NEW_VERSION).training.options['averageWeights'], [0.75, 0.25]);
    } finally {
      weighted.close();
    }
  });

  it('memberWeights normalises and names bad weights', () => {
    assert.deepEqual(memberWeights(undefined, 4), [0.25, 0.25, 0.25, 0.25]);
    assert.deepEqual(memberWeights([1, 0, 3], 3), [0.25, 0, 0.75]);
    for (const [weights, message] of [
      [[1], 'expected 2 weights (one per member), got 1'],
      [[1, -1], 'weights must be finite and >= 0, got -1'],
      [[1, Number.NaN], 'weights must be finite and >= 0, got NaN'],
      [[0, 0], 'weights must not all be 0'],
      [[1.7e308, 1.7e308], 'weights must have a finite sum, got 1.7e+308, 1.7e+308'],
    ] as const)
      assert.throws(() => memberWeights(weights, 2), { name: 'KwsError', code: 'INVALID_ARGUMENT', message });
  });

  it('refuses fewer than two distinct members and members with another feature config, registering nothing', async () => {
    const count = registry.list().length;
    await assert.rejects(averageVersions(registry, { members: [1, 1], dataDir: corpus }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'averaging needs two or more distinct versions, got only version 1',
    });
    await assert.rejects(averageVersions(registry, { members: [1, 2, 2], dataDir: corpus }), {
      code: 'INVALID_ARGUMENT',
      message: 'members must be distinct versions, got 1, 2, 2',
    });
    const other = modelRepository(2);
    const path = join(other, '2', 'version.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as VersionManifest;
    writeFileSync(path, JSON.stringify({ ...manifest, featureConfig: { ...manifest.featureConfig, melBins: 32 } }));
    const otherRegistry = ModelRegistry.open(other);
    try {
      await assert.rejects(averageVersions(otherRegistry, { members: [1, 2], dataDir: corpus }), {
        code: 'INVALID_ARGUMENT',
        message: "version 2's feature config differs from version 1's",
      });
    } finally {
      otherRegistry.close();
    }
    assert.equal(registry.list().length, count);
  });

  it('kws average prints the new version as JSON', async () => {
    const repo = modelRepository(2);
    const run = await runKws(
      'average',
      '--members',
      '1,2',
      '--data',
      corpus,
      '--models-dir',
      repo,
      '--data-dir',
      tempDir('kws-average-cli-'),
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { version: number; averagedFrom: number[] };
    assert.deepEqual([summary.version, summary.averagedFrom], [FIRST_NEW_VERSION, [1, 2]]);
  });
});
