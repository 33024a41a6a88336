import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_FEATURE_CONFIG,
  FeatureExtractor,
  featureShape,
  resolveFeatureConfig,
} from '../../src/features/index.js';
import { realFft, RealFft } from '../../src/features/real-fft.js';
import { sine } from '../helpers/signals.js';

const noise = (seed: number): Float32Array => {
  let state = seed;
  return Float32Array.from({ length: 16_000 }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 0.2;
  });
};

describe('FeatureExtractor', () => {
  it('gives 98 frames x 40 mel bins for 1 s at 16 kHz by default', () => {
    const extractor = new FeatureExtractor();
    assert.deepEqual(extractor.shape, { frames: 98, bins: 40 });
    assert.equal(extractor.compute(noise(1)).length, 98 * 40);
  });

  it('is deterministic: the same clip gives bit-identical features, from this or a new extractor', () => {
    const clip = noise(7);
    const a = new FeatureExtractor().compute(clip);
    const b = new FeatureExtractor().compute(clip);
    const extractor = new FeatureExtractor();
    extractor.compute(noise(8));
    assert.deepEqual(extractor.compute(clip), a);
    assert.deepEqual(b, a);
  });

  it('fills one [batch, frames, bins] buffer identical to computing clip by clip', () => {
    const extractor = new FeatureExtractor();
    const clips = [noise(1), noise(2), noise(3)];
    const batch = extractor.computeBatch(clips);
    assert.equal(batch.length, 3 * 98 * 40);
    clips.forEach((clip, b) => assert.deepEqual(batch.subarray(b * 3920, (b + 1) * 3920), extractor.compute(clip)));
    const preallocated = new Float32Array(4 * 3920).fill(9);
    assert.equal(extractor.computeBatch(clips, preallocated), preallocated);
    assert.ok(
      preallocated.subarray(3 * 3920).every((v) => v === 9),
      'leaves the rest of a larger buffer alone',
    );
  });

  it('gives ln(logFloor) everywhere for digital silence', () => {
    const features = new FeatureExtractor().compute(new Float32Array(16_000));
    assert.ok(features.every((v) => v === Math.fround(Math.log(1e-6))));
  });

  it('puts a 1 kHz sine in mel bin 13 at the log of its filtered power, computed here by a direct DFT', () => {
    const clip = Float32Array.from(sine(1000, 16_000, 1));
    const features = new FeatureExtractor().compute(clip);
    const t = 50;
    const frame = Array.from(features.subarray(t * 40, (t + 1) * 40));
    assert.equal(frame.indexOf(Math.max(...frame)), 13);
    // |X[k]|² by the DFT definition over the Hann-windowed frame (zero-padded to 512), for the bins
    // filter 13 covers, weighted with the hand-worked weights of test/features/mel.test.ts.
    const power = (k: number): number => {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 480; n++) {
        const x = clip[t * 160 + n]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 480));
        re += x * Math.cos((2 * Math.PI * k * n) / 512);
        im -= x * Math.sin((2 * Math.PI * k * n) / 512);
      }
      return re * re + im * im;
    };
    const weights: Array<[number, number]> = [
      [28, 0.127317],
      [29, 0.456808],
      [30, 0.77995],
      [31, 0.903017],
      [32, 0.591865],
      [33, 0.286382],
    ];
    const energy = weights.reduce((sum, [k, w]) => sum + w * power(k), 0);
    assert.ok(Math.abs(power(32) - 3600) < 1, 'peak bin holds (A·N/4)² = (0.5·480/4)² = 3600');
    assert.ok(Math.abs(frame[13]! - Math.log(energy)) < 1e-4, `${frame[13]} vs ${Math.log(energy)}`);
  });

  it('computes 13 MFCCs per frame: c0 = √40 · mean log-mel, the rest 0 for a flat log-mel', () => {
    const extractor = new FeatureExtractor({ type: 'mfcc' });
    assert.deepEqual(extractor.shape, { frames: 98, bins: 13 });
    const features = extractor.compute(new Float32Array(16_000));
    const flat = Math.log(1e-6);
    for (let t = 0; t < 98; t++) {
      assert.ok(Math.abs(features[t * 13]! - Math.sqrt(40) * flat) < 1e-4);
      for (let k = 1; k < 13; k++) assert.ok(Math.abs(features[t * 13 + k]!) < 1e-4);
    }
  });

  it('normalises each bin to mean 0 and standard deviation 1 with utterance CMVN', () => {
    const features = new FeatureExtractor({ normalization: 'utterance-cmvn' }).compute(noise(3));
    for (const bin of [0, 17, 39]) {
      const column = Array.from({ length: 98 }, (_, t) => features[t * 40 + bin]!);
      const mean = column.reduce((a, b) => a + b, 0) / 98;
      const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / 98);
      assert.ok(Math.abs(mean) < 1e-5 && Math.abs(std - 1) < 1e-4, `bin ${bin}: mean ${mean}, std ${std}`);
    }
  });

  it('rejects a clip of the wrong length or a short output buffer with SHAPE_MISMATCH', () => {
    const extractor = new FeatureExtractor();
    assert.throws(() => extractor.compute(new Float32Array(15_999)), {
      name: 'FeatureError',
      code: 'SHAPE_MISMATCH',
      message: /expected 16000 samples per clip, got 15999/,
    });
    assert.throws(() => extractor.compute(new Float32Array(16_000), new Float32Array(100)), {
      code: 'SHAPE_MISMATCH',
      message: /needs 3920 floats from offset 0, but has length 100/,
    });
    assert.throws(() => extractor.computeBatch([noise(1), noise(2)], new Float32Array(3920)), {
      code: 'SHAPE_MISMATCH',
    });
  });
});

describe('FeatureConfig', () => {
  it('survives a JSON round trip unchanged, as it will when stored with a model version', () => {
    const config = resolveFeatureConfig({
      type: 'mfcc',
      melBins: 64,
      fftSize: 1024,
      windowSamples: 640,
      hopSamples: 320,
    });
    const restored = resolveFeatureConfig(JSON.parse(JSON.stringify(config)) as typeof config);
    assert.deepEqual(restored, config);
    assert.deepEqual(featureShape(restored), { frames: 49, bins: 13 });
  });

  it('defaults to the documented values', () => {
    assert.deepEqual(
      { ...DEFAULT_FEATURE_CONFIG },
      {
        schemaVersion: 1,
        type: 'log-mel',
        sampleRateHz: 16000,
        clipSamples: 16000,
        windowSamples: 480,
        hopSamples: 160,
        fftSize: 512,
        window: 'hann',
        melBins: 40,
        fMinHz: 20,
        fMaxHz: 7600,
        melScale: 'htk',
        spectrum: 'power',
        logFloor: 1e-6,
        mfccCoefficients: 13,
        pcenSmoothing: 0.025,
        pcenGain: 0.98,
        pcenBias: 2,
        pcenPower: 0.5,
        pcenEpsilon: 1e-6,
        normalization: 'none',
      },
    );
  });

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ fftSize: 500 }, /fftSize must be a power of two, got 500/],
    [{ fftSize: 256 }, /fftSize must be an integer from 480 to 65536, got 256/],
    [
      { windowSamples: 16, hopSamples: 8, fftSize: 16, melBins: 4, fMinHz: 20, fMaxHz: 4000 },
      /fftSize must be an integer from 32 to 65536, got 16/,
    ],
    [{ fMaxHz: 9000 }, /fMaxHz must be above fMinHz \(20\) and at most the Nyquist frequency \(8000\), got 9000/],
    [{ melBins: 0 }, /melBins must be an integer from 1 to 256, got 0/],
    [{ type: 'spectrogram' }, /type must be one of log-mel, mfcc, pcen, waveform, got "spectrogram"/],
    [{ logFloor: 0 }, /logFloor must be a finite number > 0, got 0/],
    [{ schemaVersion: 2 }, /schemaVersion must be 1/],
    [{ hopMs: 10 }, /hopMs is not a known field/],
    [{ mfccCoefficients: 41 }, /mfccCoefficients must be an integer from 1 to 40, got 41/],
    [{ type: 'waveform', normalization: 'utterance-cmvn' }, /normalization must be none for waveform features/],
  ];

  it('gives the samples themselves as waveform features, [clipSamples, 1]', () => {
    const extractor = new FeatureExtractor({ type: 'waveform' });
    assert.deepEqual(extractor.shape, { frames: 16000, bins: 1 });
    const clip = Float32Array.from({ length: 16000 }, (_, i) => Math.sin(i / 3) * 0.5);
    const batch = extractor.computeBatch([clip, clip.map((v) => -v)]);
    assert.deepEqual(batch.subarray(0, 16000), clip);
    assert.equal(batch[16000 + 5], -clip[5]!);
  });
  for (const [partial, message] of bad) {
    it(`rejects ${JSON.stringify(partial)} with INVALID_FEATURE_CONFIG`, () => {
      assert.throws(() => resolveFeatureConfig(partial), {
        name: 'FeatureError',
        code: 'INVALID_FEATURE_CONFIG',
        message,
      });
    });
  }
});

describe('RealFft (PFFFT in WebAssembly)', () => {
  it('matches a direct DFT on every bin of a random 512-point frame, DC and Nyquist included', () => {
    const n = 512;
    const fft = realFft(n);
    assert.equal(realFft(n), fft, 'one shared instance per size');
    const frame = noise(7).subarray(0, n);
    fft.input.set(frame);
    const out = fft.transform();
    const bin = (k: number): [number, number] =>
      k === 0 ? [out[0]!, 0] : k === n / 2 ? [out[1]!, 0] : [out[2 * k]!, out[2 * k + 1]!];
    let worst = 0;
    for (let k = 0; k <= n / 2; k++) {
      let re = 0;
      let im = 0;
      for (let t = 0; t < n; t++) {
        re += frame[t]! * Math.cos((2 * Math.PI * k * t) / n);
        im -= frame[t]! * Math.sin((2 * Math.PI * k * t) / n);
      }
      const [fr, fi] = bin(k);
      worst = Math.max(worst, Math.hypot(fr - re, fi - im));
    }
    assert.ok(worst < 1e-5, `largest bin error ${worst}`); // float32 rounding; bins here are of order 1
  });

  it('refuses a size PFFFT cannot transform', () => {
    assert.throws(() => new RealFft(48), {
      name: 'FeatureError',
      code: 'INVALID_FEATURE_CONFIG',
      message: 'the FFT size must be a multiple of 32, got 48',
    });
    assert.throws(() => new RealFft(16), { code: 'INVALID_FEATURE_CONFIG' });
  });
});
