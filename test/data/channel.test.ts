import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  augmentClip,
  bandLimit,
  DEFAULT_AUGMENT_CONFIG,
  meanPower,
  resolveAugmentConfig,
  reverberate,
  Rng,
  roomImpulseResponse,
  vtlpFactor,
} from '../../src/data/index.js';
import { convolve, FeatureExtractor, melFilterbank, vtlpWarpHz } from '../../src/features/index.js';
import { sine } from '../helpers/signals.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
const tone = (hz: number, amplitude = 0.3): Float32Array => Float32Array.from(sine(hz, 16_000, 1, amplitude));
const db = (after: Float32Array, before: Float32Array): number => 10 * Math.log10(meanPower(after) / meanPower(before));

describe('FFT convolution', () => {
  it('equals the direct sum on a small input, truncated to the signal length', () => {
    const out = convolve(Float32Array.from([1, 2, 3, 0, 0]), Float32Array.from([1, 0.5, -0.25]));
    // [1, 2 + 0.5, 3 + 1 - 0.25, 1.5 - 0.5, -0.75]
    const expected = [1, 2.5, 3.75, 1, -0.75];
    expected.forEach((v, i) => close(out[i]!, v, 1e-6, `out[${i}]`));
    assert.equal(out.length, 5);
  });
});

describe('simulated room (Polack)', () => {
  it('has a unit direct path, a 5 ms gap, an RT60-long tail and exactly the requested DRR', () => {
    const ir = roomImpulseResponse(400, 6, 16_000, new Rng(3));
    assert.equal(ir[0], 1);
    assert.equal(ir.length, 1 + 80 + 6400);
    for (let n = 1; n <= 80; n++) assert.equal(ir[n], 0, `gap sample ${n}`);
    let tail = 0;
    for (let n = 81; n < ir.length; n++) tail += ir[n]! ** 2;
    close(10 * Math.log10(1 / tail), 6, 1e-4, 'DRR dB');
  });

  it('decays 60 dB over RT60: the second half of the tail holds about 30 dB less energy than the first', () => {
    const ir = roomImpulseResponse(500, 0, 16_000, new Rng(7));
    const start = 81;
    const half = (ir.length - start) / 2;
    let first = 0;
    let second = 0;
    for (let n = 0; n < 2 * half; n++) {
      if (n < half) first += ir[start + n]! ** 2;
      else second += ir[start + n]! ** 2;
    }
    close(10 * Math.log10(first / second), 30, 1.5, 'first half over second half, dB');
  });

  it('keeps the clip level and length, and a unit impulse response changes nothing', () => {
    const clip = tone(440);
    const wet = reverberate(clip, roomImpulseResponse(300, 3, 16_000, new Rng(1)));
    assert.equal(wet.length, clip.length);
    close(db(wet, clip), 0, 1e-3, 'level change, dB');
    const dry = reverberate(clip, Float32Array.of(1));
    clip.forEach((v, i) => close(dry[i]!, v, 1e-6, `sample ${i}`));
  });

  it('refuses a room without a reverberation time', () => {
    assert.throws(() => roomImpulseResponse(0, 0, 16_000, new Rng(1)), { code: 'INVALID_ARGUMENT' });
  });
});

describe('band-limited channel', () => {
  it('removes a 6 kHz tone behind a 4 kHz edge (> 40 dB) and passes a 500 Hz tone (within 0.1 dB)', async () => {
    const high = tone(6000);
    assert.ok(db(await bandLimit(high, 4000, 16_000), high) < -40);
    const low = tone(500);
    close(db(await bandLimit(low, 4000, 16_000), low), 0, 0.1, '500 Hz, dB');
  });

  it('leaves a clip alone when the edge is at or above Nyquist', async () => {
    const clip = tone(6000);
    assert.deepEqual(await bandLimit(clip, 8000, 16_000), clip);
  });
});

describe('vocal tract length perturbation', () => {
  it('warps linearly below the boundary and maps Nyquist to itself', () => {
    close(vtlpWarpHz(1000, 1.1, 8000), 1100, 1e-9, 'f = 1000, α = 1.1');
    close(vtlpWarpHz(1000, 0.9, 8000), 900, 1e-9, 'f = 1000, α = 0.9');
    close(vtlpWarpHz(8000, 1.1, 8000), 8000, 1e-9, 'Nyquist, α = 1.1');
    close(vtlpWarpHz(8000, 0.9, 8000), 8000, 1e-9, 'Nyquist, α = 0.9');
    // α = 1.1: knee at 4800 / 1.1 = 4363.64 Hz, which maps to 4800 Hz from both sides.
    close(vtlpWarpHz(4800 / 1.1, 1.1, 8000), 4800, 1e-9, 'knee');
    close(vtlpWarpHz(4800 / 1.1 + 1e-6, 1.1, 8000), 4800, 1e-5, 'just above the knee');
    close(vtlpWarpHz(3000, 1, 8000), 3000, 0, 'α = 1 is the identity');
    // At 8 kHz audio the boundary is 0.6 of its 4000 Hz Nyquist (2400 Hz): Nyquist still maps to itself.
    close(vtlpWarpHz(4000, 1.4, 4000), 4000, 1e-9, 'Nyquist at 8 kHz, α = 1.4');
    close(vtlpWarpHz(1000, 1.4, 4000), 1400, 1e-9, 'below the knee at 8 kHz');
    assert.ok(vtlpWarpHz(3900, 1.4, 4000) < vtlpWarpHz(3950, 1.4, 4000), 'monotonic above the knee');
  });

  it('leaves the filterbank unwarped at α = 1 and moves a 1 kHz tone up one mel bin at α = 1.1', () => {
    assert.deepEqual(melFilterbank(16_000, 512, 40, 20, 7600, 1), melFilterbank(16_000, 512, 40, 20, 7600));
    const peak = (extractor: FeatureExtractor): number => {
      const features = extractor.compute(tone(1000));
      let best = 0;
      for (let m = 0; m < 40; m++) if (features[50 * 40 + m]! > features[50 * 40 + best]!) best = m;
      return best;
    };
    assert.equal(peak(new FeatureExtractor()), 13);
    assert.equal(peak(new FeatureExtractor({}, 1.1)), 14);
    assert.equal(peak(new FeatureExtractor({}, 0.9)), 12);
    assert.throws(() => new FeatureExtractor({}, 3), { code: 'INVALID_FEATURE_CONFIG' });
  });

  it('draws a factor in range, rounded to 0.01, and draws nothing when off', () => {
    const on = resolveAugmentConfig({ vtlpProbability: 1 });
    const rng = new Rng(4);
    for (let i = 0; i < 50; i++) {
      const alpha = vtlpFactor(on, rng);
      assert.ok(alpha >= 0.9 && alpha <= 1.1, String(alpha));
      close(alpha * 100, Math.round(alpha * 100), 1e-9, 'rounded');
    }
    const a = new Rng(9);
    const b = new Rng(9);
    assert.equal(vtlpFactor(DEFAULT_AUGMENT_CONFIG, a), 1);
    assert.equal(a.float(), b.float(), 'no draw when off');
  });
});

describe('augmentation with the room and the channel', () => {
  it('augments exactly as before they existed when they are off, and changes the clip when on', async () => {
    const clip = tone(440);
    const plain = await augmentClip(clip, DEFAULT_AUGMENT_CONFIG, [], new Rng(2));
    // SHA-256 of this draw computed by the code before the room, channel and VTLP existed (abd00bc).
    assert.equal(
      createHash('sha256').update(Buffer.from(plain.buffer)).digest('hex'),
      'fc7bc0853842af67b7cf0cf02194bfdcc17012b00bc3e5cff58e983b68983a17',
    );
    const rangesOnly = resolveAugmentConfig({
      reverbRt60Ms: [200, 300],
      bandLimitHz: [3000, 3500],
      vtlpRange: [0.8, 0.9],
    });
    assert.deepEqual(await augmentClip(clip, rangesOnly, [], new Rng(2)), plain);
    const on = resolveAugmentConfig({ reverbProbability: 1, bandLimitProbability: 1 });
    const changed = await augmentClip(clip, on, [], new Rng(2));
    assert.equal(changed.length, 16_000);
    assert.ok(changed.every((v) => v >= -1 && v <= 1));
    assert.notDeepEqual(changed, plain);
  });

  it('validates the new fields, naming them', () => {
    assert.throws(() => resolveAugmentConfig({ reverbProbability: 2 }), /reverbProbability/);
    assert.throws(() => resolveAugmentConfig({ reverbRt60Ms: [5, 100] }), /reverbRt60Ms/);
    assert.throws(() => resolveAugmentConfig({ bandLimitHz: [4000, 3000] }), /bandLimitHz/);
    assert.throws(() => resolveAugmentConfig({ vtlpRange: [0.5, 1.1] }), /vtlpRange/);
  });
});
