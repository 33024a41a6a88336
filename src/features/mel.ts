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

/**
 * Upper boundary of the VTLP warp as a fraction of the Nyquist frequency: Jaitly and Hinton (2013)
 * use 4800 Hz for 16 kHz audio, 0.6 of its 8000 Hz Nyquist; other rates keep the same fraction, so
 * the warp stays monotonic and maps Nyquist to itself at any rate.
 */
export const VTLP_BOUNDARY_FRACTION = 0.6;

/**
 * Vocal tract length perturbation's frequency warp (Jaitly and Hinton, 2013, "Vocal Tract Length
 * Perturbation (VTLP) improves speech recognition", ICML workshop, eq. 1): f -> α·f below the
 * boundary f_b = `boundaryHz`·min(α, 1)/α, and above it the straight line that maps f_b to α·f_b
 * and the Nyquist frequency to itself, so the warped axis still covers 0 to Nyquist.
 *
 * @param hz Frequency, Hz, from 0 to `nyquistHz`.
 * @param alpha Warp factor (1 = none; above 1 moves formants up, as a shorter vocal tract does).
 * @param nyquistHz Half the sample rate, Hz.
 * @param boundaryHz Where the linear warp ends, Hz (default {@link VTLP_BOUNDARY_FRACTION} of `nyquistHz`: 4800 Hz at 16 kHz).
 * @returns The warped frequency, Hz.
 */
export function vtlpWarpHz(
  hz: number,
  alpha: number,
  nyquistHz: number,
  boundaryHz = VTLP_BOUNDARY_FRACTION * nyquistHz,
): number {
  const knee = (boundaryHz * Math.min(alpha, 1)) / alpha;
  if (hz <= knee) return hz * alpha;
  return nyquistHz - ((nyquistHz - boundaryHz * Math.min(alpha, 1)) / (nyquistHz - knee)) * (nyquistHz - hz);
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
 * With `warpFactor` α ≠ 1 the filters read the spectrum through {@link vtlpWarpHz}: bin k counts at
 * the warped frequency vtlpWarpHz(k · sampleRateHz / fftSize, α), so the filter centred at c Hz
 * collects the energy found near c / α Hz (VTLP as Jaitly and Hinton apply it, on the filterbank).
 *
 * @param fftSize FFT size; the spectrum has `fftSize / 2 + 1` bins at k · sampleRateHz / fftSize Hz.
 * @param warpFactor VTLP warp factor α; 1 (the default) is the unwarped filterbank.
 * @returns `melBins` sparse filters; dense, they would be the `[melBins, fftSize / 2 + 1]` weight matrix.
 */
export function melFilterbank(
  sampleRateHz: number,
  fftSize: number,
  melBins: number,
  fMinHz: number,
  fMaxHz: number,
  warpFactor = 1,
): MelFilter[] {
  const spectrumBins = fftSize / 2 + 1;
  const minMel = hzToMelHtk(fMinHz);
  const step = (hzToMelHtk(fMaxHz) - minMel) / (melBins + 1);
  const binHz = (k: number): number => (k * sampleRateHz) / fftSize;
  const binMel = Array.from({ length: spectrumBins }, (_, k) =>
    hzToMelHtk(warpFactor === 1 ? binHz(k) : vtlpWarpHz(binHz(k), warpFactor, sampleRateHz / 2)),
  );
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
