import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { EnginePool } from '../../src/engine/index.js';
import { DEFAULT_FEATURE_CONFIG, FeatureExtractor } from '../../src/features/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { readServingVersion } from '../../src/serving/index.js';
import { modelRepository } from '../helpers/models.js';
import { realDataDir } from '../helpers/signals.js';

const yes = readFileSync(join(realDataDir(), 'tflite-micro', 'testdata', 'yes_1000ms.wav'));

describe('a model version with PCEN features', () => {
  let models: string;
  let registry: ModelRegistry;
  let pool: EnginePool;
  const pcenConfig = { type: 'pcen', pcenSmoothing: 0.04 } as const;

  before(() => {
    models = modelRepository(2);
    // Version 2: the bundled manifest (stored before the PCEN fields existed) with PCEN features.
    const path = join(models, '2', 'version.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { featureConfig: Record<string, unknown> };
    writeFileSync(path, JSON.stringify({ ...manifest, featureConfig: { ...manifest.featureConfig, ...pcenConfig } }));
    registry = ModelRegistry.open(models);
    pool = new EnginePool({ threads: 1 });
  });
  after(async () => {
    registry.close();
    await pool.close();
  });

  it('serves PCEN from its version.json, and the old version without the PCEN fields still serves log-mel', async () => {
    const clip = fitToLength((await decodeAudio(yes)).samples, 16_000);
    const old = readServingVersion(registry, 1);
    assert.equal('pcenGain' in old.manifest.featureConfig, false, 'version 1 predates the PCEN fields');
    assert.deepEqual(old.geometry, { frames: 98, bins: 40, classes: 12 });
    assert.deepEqual(
      (await pool.prepare(yes, old.manifest.featureConfig)).features,
      new FeatureExtractor(DEFAULT_FEATURE_CONFIG).compute(clip),
    );
    const pcen = readServingVersion(registry, 2);
    assert.equal(pcen.manifest.featureConfig.type, 'pcen');
    assert.deepEqual(pcen.geometry, { frames: 98, bins: 40, classes: 12 });
    const served = (await pool.prepare(yes, pcen.manifest.featureConfig)).features;
    assert.deepEqual(served, new FeatureExtractor(pcenConfig).compute(clip), 'the engine thread computes PCEN');
    assert.notDeepEqual(served, new FeatureExtractor().compute(clip));
  });
});
