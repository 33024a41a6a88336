import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  augmentClip,
  DEFAULT_AUGMENT_CONFIG,
  maskFeatures,
  meanPower,
  mixAtSnr,
  NO_AUGMENT,
  resolveAugmentConfig,
  Rng,
  timeShift,
} from '../../src/data/index.js';
import { fitToLength, resampleMono } from '../../src/audio/index.js';
import { colouredNoise } from '../../src/synth/index.js';
import { sine } from '../helpers/signals.js';

const tone = (): Float32Array => Float32Array.from(sine(440, 16_000, 1, 0.3));

describe('augmentation', () => {
  it('mixes noise at the requested SNR within 0.01 dB', () => {
    const rng = new Rng(5);
    for (const snrDb of [0, 5, 12.5, 20]) {
      const clean = tone();
      const noisy = clean.slice();
      const noise = colouredNoise('pink', 16_000, 0.05, rng);
      mixAtSnr(noisy, noise, snrDb);
      const added = noisy.map((v, i) => v - clean[i]!);
      const measured = 10 * Math.log10(meanPower(clean) / meanPower(added));
      assert.ok(Math.abs(measured - snrDb) < 0.01, `${measured} dB vs ${snrDb} dB`);
    }
  });

  it('adds nothing to a silent clip, whose SNR is undefined', () => {
    const silent = new Float32Array(16_000);
    assert.equal(mixAtSnr(silent, colouredNoise('white', 16_000, 0.1, new Rng(1)), 10), 0);
    assert.ok(silent.every((v) => v === 0));
  });

  it('shifts in time with zero fill, keeping the length', () => {
    const clip = Float32Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(Array.from(timeShift(clip, 3)), [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(timeShift(clip, -2)), [3, 4, 5, 6, 7, 8, 9, 10, 0, 0]);
  });

  it('keeps 16000 samples in [-1, 1] under the default augmentation, speed changes included', async () => {
    const rng = new Rng(9);
    const noises = [colouredNoise('brown', 48_000, 0.2, rng)];
    let changed = 0;
    for (let i = 0; i < 30; i++) {
      const clip = tone();
      const out = await augmentClip(clip, DEFAULT_AUGMENT_CONFIG, noises, rng);
      assert.equal(out.length, 16_000);
      assert.ok(out.every((v) => v >= -1 && v <= 1));
      if (out.some((v, j) => v !== clip[j])) changed++;
    }
    assert.equal(changed, 30);
  });

  it('is deterministic for a seed, and an identity with NO_AUGMENT-like settings', async () => {
    const noises = [colouredNoise('white', 32_000, 0.1, new Rng(2))];
    const a = await augmentClip(tone(), DEFAULT_AUGMENT_CONFIG, noises, new Rng(77));
    const b = await augmentClip(tone(), DEFAULT_AUGMENT_CONFIG, noises, new Rng(77));
    assert.deepEqual(a, b);
    assert.deepEqual(await augmentClip(tone(), NO_AUGMENT, noises, new Rng(1)), tone());
  });

  it('changes the level by the drawn gain: a fixed +6.02 dB doubles the amplitude', async () => {
    const out = await augmentClip(tone(), { ...NO_AUGMENT, gainDb: [6.0206, 6.0206] }, [], new Rng(3));
    const expected = tone().map((v) => v * 2);
    out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5));
  });

  it('speeds up by resampling: 1.1 turns a 440 Hz tone into 484 Hz', async () => {
    const out = await augmentClip(
      tone(),
      { ...NO_AUGMENT, speedProbability: 1, speedRange: [1.1, 1.1] },
      [],
      new Rng(4),
    );
    let crossings = 0;
    for (let i = 1000; i < 13_000; i++) if (out[i - 1]! < 0 && out[i]! >= 0) crossings++;
    assert.ok(Math.abs(crossings / 0.75 - 484) < 3, `${crossings / 0.75} Hz`);
  });

  it('resamples the speed change with the configured converter (linear by default, or sinc)', async () => {
    const speed = { ...NO_AUGMENT, speedProbability: 1, speedRange: [1.1, 1.1] as const };
    const linear = await augmentClip(tone(), speed, [], new Rng(4));
    const sinc = await augmentClip(tone(), { ...speed, speedResampler: 'sinc' }, [], new Rng(4));
    assert.deepEqual(linear, fitToLength(await resampleMono(tone(), 17_600, 16_000, 'linear'), 16_000));
    assert.deepEqual(sinc, fitToLength(await resampleMono(tone(), 17_600, 16_000, 'fastest'), 16_000));
    assert.notDeepEqual(linear, sinc);
    assert.throws(() => resolveAugmentConfig({ speedResampler: 'cubic' as never }), {
      code: 'INVALID_ARGUMENT',
      message: 'AugmentConfig.speedResampler must be one of linear, sinc, got "cubic"',
    });
  });

  it('validates the config, naming the field and value', () => {
    assert.deepEqual(resolveAugmentConfig({ timeShiftMs: 50 }).gainDb, [-6, 6]);
    assert.throws(() => resolveAugmentConfig({ noiseProbability: 1.5 }), {
      code: 'INVALID_ARGUMENT',
      message: 'AugmentConfig.noiseProbability must be a probability from 0 to 1, got 1.5',
    });
    assert.throws(() => resolveAugmentConfig({ speedRange: [1.2, 0.8] }), {
      code: 'INVALID_ARGUMENT',
      message: /speedRange must be \[low, high\]/,
    });
    assert.throws(() => resolveAugmentConfig({ pitch: 2 } as never), {
      code: 'INVALID_ARGUMENT',
      message: 'AugmentConfig.pitch is not a known field',
    });
    assert.deepEqual(
      resolveAugmentConfig(JSON.parse(JSON.stringify(DEFAULT_AUGMENT_CONFIG)) as typeof DEFAULT_AUGMENT_CONFIG),
      DEFAULT_AUGMENT_CONFIG,
    );
  });

  it('SpecAugment masks whole frames and whole bins with the clip mean, and nothing when off', () => {
    const frames = 20;
    const bins = 8;
    // Two clips side by side; the second must stay untouched.
    const features = Float32Array.from({ length: 2 * frames * bins }, (_, i) => i % (frames * bins));
    const original = features.slice();
    maskFeatures(
      features,
      0,
      frames,
      bins,
      { ...NO_AUGMENT, timeMasks: 1, timeMaskFrames: 6, freqMasks: 1, freqMaskBins: 3 },
      new Rng(11),
    );
    const mean = (frames * bins - 1) / 2;
    const masked = (t: number, b: number): boolean =>
      features[t * bins + b] === mean && original[t * bins + b] !== mean;
    const maskedFrames = Array.from({ length: frames }, (_, t) => t).filter((t) =>
      Array.from({ length: bins }, (_, b) => b).every((b) => masked(t, b)),
    );
    const maskedBins = Array.from({ length: bins }, (_, b) => b).filter((b) =>
      Array.from({ length: frames }, (_, t) => t).every((t) => masked(t, b)),
    );
    let changed = 0;
    for (let i = 0; i < frames * bins; i++) if (features[i] !== original[i]) changed++;
    assert.ok(maskedFrames.length <= 6 && maskedBins.length <= 3);
    // Every changed cell lies in a fully masked frame or a fully masked bin.
    assert.equal(
      changed,
      maskedFrames.length * bins + maskedBins.length * frames - maskedFrames.length * maskedBins.length,
    );
    assert.ok(changed > 0, 'seed 11 draws a non-empty mask');
    for (let t = 1; t < maskedFrames.length; t++)
      assert.equal(maskedFrames[t], maskedFrames[t - 1]! + 1, 'a time mask is contiguous');
    assert.deepEqual(features.subarray(frames * bins), original.subarray(frames * bins));
    const untouched = original.slice();
    maskFeatures(untouched, 0, frames, bins, DEFAULT_AUGMENT_CONFIG, new Rng(11));
    assert.deepEqual(untouched, original);
    assert.throws(() => resolveAugmentConfig({ timeMasks: 1.5 }), {
      code: 'INVALID_ARGUMENT',
      message: 'AugmentConfig.timeMasks must be an integer from 0 to 10, got 1.5',
    });
  });
});
