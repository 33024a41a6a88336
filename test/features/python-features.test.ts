import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { FeatureExtractor } from '../../src/features/index.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'kws_features.py');
/** Debian's python3 with NumPy (`.ci/run` installs python3-numpy); the test is skipped without it. */
const PYTHON = '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

/** The NumPy reference's features of `samples` under `config`, through its command line (see scripts/kws_features.py). */
function reference(samples: Float32Array, config: object): Float32Array {
  const configFile = join(tempDir('kws-pyfeatures-'), 'features.json');
  writeFileSync(configFile, JSON.stringify(config));
  const run = spawnSync(PYTHON, [SCRIPT, configFile], {
    input: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength),
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, run.stderr.toString());
  return new Float32Array(Uint8Array.from(run.stdout).buffer);
}

describe(
  'scripts/kws_features.py, the NumPy reference for models trained elsewhere',
  { skip: hasNumpy ? false : 'no python3 with NumPy' },
  () => {
    for (const [name, config] of [
      ['the default log-mel', {}],
      ['64 mel bins up to 8 kHz, 25 ms windows', { melBins: 64, fMaxHz: 8000, windowSamples: 400, fftSize: 512 }],
    ] as const) {
      it(`computes kws-serve's features within 1e-3 on real clips: ${name}`, async () => {
        const extractor = new FeatureExtractor(config);
        for (const file of ['yes_1000ms.wav', 'no_1000ms.wav', 'silence_1000ms.wav']) {
          const bytes = readFileSync(join(realDataDir(), 'tflite-micro/testdata', file));
          const samples = fitToLength((await decodeAudio(bytes)).samples, 16_000);
          const ours = extractor.computeBatch([samples]);
          const theirs = reference(samples, config);
          assert.equal(theirs.length, ours.length, file);
          let most = 0;
          ours.forEach((v, i) => (most = Math.max(most, Math.abs(v - theirs[i]!))));
          assert.ok(most < 1e-3, `${file}: largest difference ${most}`);
        }
      });
    }
  },
);
