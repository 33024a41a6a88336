import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import FFT from 'fft.js';
import { decodeAudio, fitToLength, resampleMono } from '../../src/audio/index.js';
import { FeatureExtractor } from '../../src/features/index.js';
import { encodeWav, rms, sine } from '../helpers/signals.js';

/** Index of the largest value. */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** HTK mel of a frequency, written out here independently of src/features. */
const mel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);

// 40 filters from 20 to 7600 Hz: centres at mel(20) + (m + 1) · step, step = (mel(7600) − mel(20)) / 41
// = (2786.98 − 31.75) / 41 = 67.20. mel(1000) = 1000.0 is 14.41 steps above mel(20): nearest centre m = 13.
const step = (mel(7600) - mel(20)) / 41;
const EXPECTED_MEL_BIN = Math.round((mel(1000) - mel(20)) / step) - 1;

describe('resampling to 16 kHz', () => {
  it('offers libsamplerate’s linear interpolator: exact on a ramp, one input sample behind; the sinc converter is not', async () => {
    // A ramp read at 17.6 kHz and written at 16 kHz: output k is input 1.1·k − 1 (linear interpolation
    // reproduces a line, with SRC_LINEAR's one-sample latency); the windowed sinc lands near 1.1·k.
    const ramp = Float32Array.from({ length: 1600 }, (_, i) => i / 1600);
    const linear = await resampleMono(ramp, 17_600, 16_000, 'linear');
    const sinc = await resampleMono(ramp, 17_600, 16_000, 'fastest');
    for (const k of [100, 500, 1000, 1400]) {
      assert.ok(Math.abs(linear[k]! - (1.1 * k - 1) / 1600) < 1e-6, `linear ${k}: ${linear[k]}`);
      assert.ok(Math.abs(sinc[k]! - (1.1 * k) / 1600) < 1e-4, `sinc ${k}: ${sinc[k]}`);
    }
  });

  it('maps 1 kHz to mel filter 13 under the default filterbank (worked out from the HTK formula)', () => {
    assert.equal(EXPECTED_MEL_BIN, 13);
  });

  for (const rateHz of [8_000, 22_050, 44_100, 48_000]) {
    it(`keeps a 1 kHz sine from ${rateHz} Hz at 1 kHz: FFT bin 32 of 512 and mel bin 13 peak`, async () => {
      const decoded = await decodeAudio(encodeWav([sine(1000, rateHz, 1)], rateHz, 'float32'));
      assert.equal(decoded.samples.length, 16_000);
      assert.ok(Math.abs(rms(decoded.samples.subarray(400, 15_600)) / (0.5 / Math.SQRT2) - 1) < 0.005);

      const fft = new FFT(512);
      const spectrum = fft.createComplexArray();
      fft.realTransform(spectrum, Array.from(decoded.samples.subarray(8000, 8512)));
      const power = Array.from(
        { length: 257 },
        (_, k) => (spectrum[2 * k] as number) ** 2 + (spectrum[2 * k + 1] as number) ** 2,
      );
      assert.equal(argmax(power), 32); // 1000 Hz / (16000 Hz / 512) = bin 32

      const extractor = new FeatureExtractor();
      const features = extractor.compute(fitToLength(decoded.samples, 16_000));
      const middleFrame = features.subarray(49 * 40, 50 * 40);
      assert.equal(argmax(middleFrame), EXPECTED_MEL_BIN);
    });
  }

  it('removes a 12 kHz tone from 48 kHz audio instead of aliasing it to 4 kHz', async () => {
    const decoded = await decodeAudio(encodeWav([sine(12_000, 48_000, 1)], 48_000, 'float32'));
    // A 12 kHz tone is above 8 kHz; linear interpolation would alias it to 4 kHz at full level.
    assert.ok(rms(decoded.samples.subarray(400, 15_600)) < 0.005, `residual RMS ${rms(decoded.samples)}`);
  });
});
