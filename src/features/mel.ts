/**
 * HTK mel scale: mel = 2595 · log10(1 + f / 700) (S. Young et al., The HTK Book, section 5.4;
 * the same constants as `tf.signal` and librosa with `htk=True`).
 *
 * @param hz Frequency, Hz.
 * @returns Mel.
 */
export function hzToMelHtk(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

/** Inverse of {@link hzToMelHtk}: f = 700 · (10^(mel / 2595) − 1), Hz. */
export function melToHzHtk(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

/** One triangular filter, stored sparsely: the weights of FFT bins `startBin ..< startBin + weights.length`. */
export interface MelFilter {
  readonly startBin: number;
  readonly weights: Float32Array;
  /** Centre frequency, Hz. */
  readonly centerHz: number;
}

/**
 * Triangular mel filterbank as `tf.signal.linear_to_mel_weight_matrix` builds it: `melBins + 2`
 * edges equally spaced in mel from `fMinHz` to `fMaxHz`; filter m rises linearly in mel from edge m
 * to edge m+1 and falls to edge m+2; peak weight 1, no area normalisation; the DC bin gets weight 0.
 *
 * @param fftSize FFT size; the spectrum has `fftSize / 2 + 1` bins at k · sampleRateHz / fftSize Hz.
 * @returns `melBins` sparse filters; dense, they would be the `[melBins, fftSize / 2 + 1]` weight matrix.
 */
export function melFilterbank(
  sampleRateHz: number,
  fftSize: number,
  melBins: number,
  fMinHz: number,
  fMaxHz: number,
): MelFilter[] {
  const spectrumBins = fftSize / 2 + 1;
  const minMel = hzToMelHtk(fMinHz);
  const step = (hzToMelHtk(fMaxHz) - minMel) / (melBins + 1);
  const binMel = Array.from({ length: spectrumBins }, (_, k) => hzToMelHtk((k * sampleRateHz) / fftSize));
  const filters: MelFilter[] = [];
  for (let m = 0; m < melBins; m++) {
    const lower = minMel + m * step;
    const center = lower + step;
    const upper = center + step;
    const dense: number[] = [];
    let startBin = -1;
    for (let k = 1; k < spectrumBins; k++) {
      const mel = binMel[k] as number;
      const weight = Math.max(0, Math.min((mel - lower) / (center - lower), (upper - mel) / (upper - center)));
      if (weight > 0) {
        if (startBin < 0) startBin = k;
        dense[k - startBin] = weight;
      } else if (startBin >= 0) {
        break;
      }
    }
    filters.push({
      startBin: Math.max(startBin, 0),
      weights: Float32Array.from(dense, (w) => w ?? 0),
      centerHz: melToHzHtk(center),
    });
  }
  return filters;
}

/**
 * Orthonormal DCT-II matrix, row-major `[coefficients, inputs]`:
 * C[k][n] = s_k · cos(π · k · (2n + 1) / (2N)), s_0 = √(1/N), s_k = √(2/N) for k > 0.
 * This is `scipy.fft.dct(type=2, norm='ortho')`; `tf.signal.mfccs_from_log_mel_spectrograms` uses the
 * same basis except that its c0 is larger by √2.
 */
export function dctIIOrthonormal(coefficients: number, inputs: number): Float32Array {
  const matrix = new Float32Array(coefficients * inputs);
  for (let k = 0; k < coefficients; k++) {
    const scale = Math.sqrt((k === 0 ? 1 : 2) / inputs);
    for (let n = 0; n < inputs; n++)
      matrix[k * inputs + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * inputs));
  }
  return matrix;
}

/** Periodic Hann window of `length` samples: w[n] = 0.5 − 0.5 · cos(2πn / length), as `tf.signal.hann_window(periodic=True)`. */
export function hannWindow(length: number): Float64Array {
  const window = new Float64Array(length);
  for (let n = 0; n < length; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / length);
  return window;
}
