import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FEATURE_CONFIG, FeatureExtractor, resolveFeatureConfig } from '../../src/features/index.js';
import { pcen } from '../../src/features/pcen.js';
import { BUNDLED_MODELS } from '../helpers/models.js';
import { sine } from '../helpers/signals.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

/** Uniform noise in ±amplitude/2 from a linear congruential generator: the same clip on every run. */
const noise = (seed: number, amplitude = 0.2): Float32Array => {
  let state = seed;
  return Float32Array.from({ length: 16_000 }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * amplitude;
  });
};

/** A "word": two tones from 0.25 s to 0.75 s over faint noise (-75 dBFS). */
const word = (): Float32Array => {
  const clip = noise(5, 0.002);
  const high = sine(1000, 16_000, 1, 0.3);
  const low = sine(300, 16_000, 1, 0.2);
  for (let i = 4000; i < 12_000; i++) clip[i] = clip[i]! + high[i]! + low[i]!;
  return clip;
};

const P = DEFAULT_FEATURE_CONFIG;

describe('PCEN (Wang et al. 2017)', () => {
  it('computes M and PCEN of 3 frames x 2 bins as the formula does by hand', () => {
    // E = [[1, 4], [2, 0], [8, 16]], s = 0.025, α = 0.98, δ = 2, r = 0.5, ε = 1e-6.
    // M(0) = E(0) = [1, 4]; M(1) = 0.975·M(0) + 0.025·E(1) = [1.025, 3.9];
    // M(2) = 0.975·M(1) + 0.025·E(2) = [0.999375 + 0.2, 3.8025 + 0.4] = [1.199375, 4.2025].
    const M = [
      [1, 4],
      [1.025, 3.9],
      [1.199375, 4.2025],
    ];
    const E = [
      [1, 4],
      [2, 0],
      [8, 16],
    ];
    const byHand = (t: number, f: number): number => (E[t]![f]! / (1e-6 + M[t]![f]!) ** 0.98 + 2) ** 0.5 - Math.SQRT2;
    const out = pcen(E.flat(), 3, 2, P);
    for (let t = 0; t < 3; t++) for (let f = 0; f < 2; f++) close(out[t * 2 + f]!, byHand(t, f), 1e-15, `(${t}, ${f})`);
    // The same numbers, worked out once more in float64 outside this code (Python).
    const expected = [
      0.3178369622944073, 0.32593401032533587, 0.5737958686532576, 0, 1.5344186770490131, 1.0185135753817278,
    ];
    expected.forEach((value, i) => close(out[i]!, value, 1e-15, `index ${i}`));
  });

  it('gives the steady state (E/(ε+E)^α + δ)^r − δ^r in every frame of a constant input, from the first frame on', () => {
    for (const energy of [1e-3, 1, 1000]) {
      const steady = (energy / (1e-6 + energy) ** 0.98 + 2) ** 0.5 - Math.SQRT2;
      const out = pcen(new Float64Array(5 * 3).fill(energy), 5, 3, P);
      out.forEach((value, i) => close(value, steady, 1e-15, `E = ${energy}, index ${i}`));
    }
    close(pcen([1], 1, 1, P)[0]!, 0.3178369622944073, 1e-15, 'E = 1');
    close(pcen([1000], 1, 1, P)[0]!, 0.3600901377785144, 1e-15, 'E = 1000');
    assert.deepEqual(Array.from(pcen([0, 0, 0, 0], 2, 2, P)), [0, 0, 0, 0], 'zero energy is 0');
  });

  it('changes far less than the log when the energies are scaled by 10^3', () => {
    const E = [0.5, 2, 3, 0.1, 40, 25, 8, 1];
    const scaled = E.map((e) => e * 1000);
    const a = pcen(E, 4, 2, P);
    const b = pcen(scaled, 4, 2, P);
    E.forEach((e, i) => close(Math.log(scaled[i]!) - Math.log(e), 6.907755278982137, 1e-12, `log change at ${i}`));
    // With ε negligible, PCEN(k·E) = ((k^(1−α))·y + δ)^r − δ^r for y = E / M^α: it grows by a factor
    // between k^((1−α)·r) = 1000^0.01 = 1.0715 (large y) and k^(1−α) = 1000^0.02 = 1.1482 (small y).
    a.forEach((v, i) => {
      const ratio = b[i]! / v;
      assert.ok(ratio >= 1000 ** 0.01 - 1e-6 && ratio <= 1000 ** 0.02 + 1e-6, `ratio ${ratio} at ${i}`);
    });
    // The largest move, 3.8829 -> 4.2356 (frame 2, bin 0), worked out in Python: 0.353 against 6.908.
    const largest = Math.max(...Array.from(a, (v, i) => Math.abs(b[i]! - v)));
    close(largest, 0.35268500388340485, 1e-12, 'largest PCEN change');
  });

  it('refuses energies that are not frames x bins with SHAPE_MISMATCH', () => {
    assert.throws(() => pcen([1, 2, 3], 2, 2, P), {
      name: 'FeatureError',
      code: 'SHAPE_MISMATCH',
      message: 'PCEN of 2 frames × 2 bins needs 4 energies, got 3',
    });
  });
});

describe("FeatureExtractor with type 'pcen'", () => {
  it('gives 98 x 40 PCEN of the mel energies whose log the log-mel is, with the smoother restarting at each clip', () => {
    const extractor = new FeatureExtractor({ type: 'pcen' });
    assert.deepEqual(extractor.shape, { frames: 98, bins: 40 });
    const clip = word();
    const features = extractor.compute(clip);
    const logMel = new FeatureExtractor({ logFloor: 1e-30 }).compute(clip);
    const expected = pcen(Array.from(logMel, Math.exp), 98, 40, P);
    let worst = 0;
    for (let i = 0; i < features.length; i++) worst = Math.max(worst, Math.abs(features[i]! - expected[i]!));
    assert.ok(worst < 1e-4, `largest difference ${worst}`); // the log-mel is float32, so its exp is to ~1e-6 relative
    extractor.compute(noise(3));
    assert.deepEqual(extractor.compute(clip), features, 'the same clip after another gives the same features');
  });

  it('gives 0 for digital silence and stays near 0 for 16-bit quantisation noise, which ε keeps from the AGC', () => {
    const extractor = new FeatureExtractor({ type: 'pcen' });
    assert.ok(extractor.compute(new Float32Array(16_000)).every((v) => v === 0));
    const dither = extractor.compute(noise(9, 2 / 65_536)); // ±half an LSB: -101 dBFS
    const speech = extractor.compute(word());
    const max = (x: Float32Array): number => x.reduce((a, b) => Math.max(a, b), 0);
    assert.ok(max(dither) < 0.06, `dither peaks at ${max(dither)}`);
    assert.ok(max(speech) > 5, `the word peaks at ${max(speech)}`);
  });

  it('moves by 0.034 on average when the clip is 30 dB louder (energies x 10^3), where log-mel moves by 6.908 everywhere', () => {
    const clip = word();
    const louder = clip.map((v) => v * Math.sqrt(1000));
    const change = (type: 'log-mel' | 'pcen'): { mean: number; max: number } => {
      const extractor = new FeatureExtractor({ type });
      const a = extractor.compute(clip);
      const b = extractor.compute(louder);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(b[i]! - a[i]!);
        sum += d;
        max = Math.max(max, d);
      }
      return { mean: sum / a.length, max };
    };
    const logMel = change('log-mel');
    const pcenChange = change('pcen');
    close(logMel.mean, Math.log(1000), 1e-4, 'log-mel mean change');
    close(pcenChange.mean, 0.0342, 5e-4, 'PCEN mean change');
    assert.ok(pcenChange.max < 0.5, `PCEN largest change ${pcenChange.max}`);
  });

  it('applies utterance CMVN after PCEN', () => {
    const features = new FeatureExtractor({ type: 'pcen', normalization: 'utterance-cmvn' }).compute(word());
    for (const bin of [0, 13, 39]) {
      const column = Array.from({ length: 98 }, (_, t) => features[t * 40 + bin]!);
      const mean = column.reduce((a, b) => a + b, 0) / 98;
      const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / 98);
      assert.ok(Math.abs(mean) < 1e-5 && Math.abs(std - 1) < 1e-4, `bin ${bin}: mean ${mean}, std ${std}`);
    }
  });

  it('leaves log-mel and MFCC bit-identical to the features computed before PCEN existed', () => {
    // sha256 of the Float32 bytes, computed with the extractor of commit b55de83 (before PCEN).
    const clip = noise(11);
    const tone = Float32Array.from(sine(1000, 16_000, 1));
    for (let i = 4001; i < 12_000; i++) clip[i] = clip[i]! + 0.5 * tone[i]!;
    const expected: Array<[Record<string, string>, string]> = [
      [{}, 'a9cff5534fa96a99b48f8675e88bf0e3f070b40730c8588bf6a2ac0a932593ea'],
      [{ type: 'mfcc' }, '9d831808117be0a6e353c61a2e2be3e42f052c706db4db254f4b80fbea8c5995'],
      [{ normalization: 'utterance-cmvn' }, '823c900647945d61b990830a44034e19b59311969784247dd395909539f65950'],
      [
        { type: 'mfcc', normalization: 'utterance-cmvn' },
        'efd67bffa0cfeb1db1b1202831688463f8ee98c0c3819610755be3f6e3098810',
      ],
    ];
    for (const [config, sha256] of expected) {
      const features = new FeatureExtractor(config).compute(clip);
      assert.equal(
        createHash('sha256').update(new Uint8Array(features.buffer)).digest('hex'),
        sha256,
        JSON.stringify(config),
      );
    }
  });
});

describe('FeatureConfig PCEN fields', () => {
  it('defaults to s = 0.025, α = 0.98, δ = 2, r = 0.5, ε = 1e-6, and an old config without them resolves to the same config', () => {
    const { pcenSmoothing, pcenGain, pcenBias, pcenPower, pcenEpsilon } = DEFAULT_FEATURE_CONFIG;
    assert.deepEqual(
      { pcenSmoothing, pcenGain, pcenBias, pcenPower, pcenEpsilon },
      { pcenSmoothing: 0.025, pcenGain: 0.98, pcenBias: 2, pcenPower: 0.5, pcenEpsilon: 1e-6 },
    );
    // models/1/version.json's featureConfig, stored before the PCEN fields existed.
    const stored = (
      JSON.parse(readFileSync(join(BUNDLED_MODELS, '1', 'version.json'), 'utf8')) as {
        featureConfig: Record<string, unknown>;
      }
    ).featureConfig;
    assert.ok(!('pcenGain' in stored), 'stored before the PCEN fields');
    assert.deepEqual(resolveFeatureConfig(stored), DEFAULT_FEATURE_CONFIG);
  });

  it('survives a JSON round trip as a pcen config', () => {
    const config = resolveFeatureConfig({
      type: 'pcen',
      pcenSmoothing: 0.04,
      pcenPower: 0.25,
      normalization: 'utterance-cmvn',
    });
    assert.deepEqual(resolveFeatureConfig(JSON.parse(JSON.stringify(config)) as typeof config), config);
  });

  const bad: Array<[Record<string, unknown>, string]> = [
    [{ pcenSmoothing: 0 }, 'FeatureConfig.pcenSmoothing must be a number in (0, 1], got 0'],
    [{ pcenSmoothing: 1.5 }, 'FeatureConfig.pcenSmoothing must be a number in (0, 1], got 1.5'],
    [{ pcenGain: -0.1 }, 'FeatureConfig.pcenGain must be a number in [0, 1], got -0.1'],
    [{ pcenGain: 1.01 }, 'FeatureConfig.pcenGain must be a number in [0, 1], got 1.01'],
    [{ pcenBias: 0 }, 'FeatureConfig.pcenBias must be a finite number > 0, got 0'],
    [{ pcenBias: Number.POSITIVE_INFINITY }, 'FeatureConfig.pcenBias must be a finite number > 0, got Infinity'],
    [{ pcenPower: 0 }, 'FeatureConfig.pcenPower must be a number in (0, 1], got 0'],
    [{ pcenPower: 2 }, 'FeatureConfig.pcenPower must be a number in (0, 1], got 2'],
    [{ pcenEpsilon: 0 }, 'FeatureConfig.pcenEpsilon must be a finite number > 0, got 0'],
    [{ pcenEpsilon: '1e-6' }, 'FeatureConfig.pcenEpsilon must be a finite number > 0, got "1e-6"'],
    [{ pcenGain: Number.NaN }, 'FeatureConfig.pcenGain must be a number in [0, 1], got NaN'],
    [{ type: 'pcen2' }, 'FeatureConfig.type must be one of log-mel, mfcc, pcen, waveform, got "pcen2"'],
  ];
  for (const [partial, message] of bad) {
    it(`rejects ${JSON.stringify(partial)} with INVALID_FEATURE_CONFIG naming the field`, () => {
      assert.throws(() => resolveFeatureConfig(partial), {
        name: 'FeatureError',
        code: 'INVALID_FEATURE_CONFIG',
        message,
      });
    });
  }

  it('accepts both closed ends: pcenGain 0 and 1, pcenSmoothing and pcenPower 1', () => {
    for (const partial of [{ pcenGain: 0 }, { pcenGain: 1 }, { pcenSmoothing: 1 }, { pcenPower: 1 }])
      assert.doesNotThrow(() => resolveFeatureConfig(partial), JSON.stringify(partial));
  });
});
