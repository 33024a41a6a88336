import { FeatureError } from '../errors/index.js';
import type { FeatureConfig } from './feature-config.js';

/** The {@link FeatureConfig} fields PCEN reads. */
export type PcenParameters = Pick<
  FeatureConfig,
  'pcenSmoothing' | 'pcenGain' | 'pcenBias' | 'pcenPower' | 'pcenEpsilon'
>;

/**
 * One frame of per-channel energy normalisation (PCEN; Wang et al. 2017, "Trainable Frontend For
 * Robust and Far-Field Keyword Spotting", ICASSP, section 2), in place, for every bin f:
 *
 *   M(t, f) = (1 − s) · M(t − 1, f) + s · E(t, f),   M(0, f) = E(0, f)
 *   PCEN(t, f) = (E(t, f) / (ε + M(t, f))^α + δ)^r − δ^r
 *
 * with s = `pcenSmoothing`, α = `pcenGain`, δ = `pcenBias`, r = `pcenPower`, ε = `pcenEpsilon`. The
 * smoother starts at the steady state of the first frame, as `librosa.pcen` does (its IIR filter's
 * initial state is `lfilter_zi` times the first frame). Computed in float64.
 *
 * @param energies `[bins]` mel energies E(t, ·) of frame t (filterbank output of the power
 *   spectrum, ≥ 0, before any log); replaced by PCEN(t, ·).
 * @param smoother `[bins]` M(t − 1, ·) on entry (ignored when `first`), M(t, ·) on return.
 * @param first True for frame 0: the smoother is set to E(0, ·).
 */
export function pcenFrame(energies: Float64Array, smoother: Float64Array, first: boolean, p: PcenParameters): void {
  const { pcenSmoothing: s, pcenGain: alpha, pcenBias: delta, pcenPower: r, pcenEpsilon: epsilon } = p;
  const offset = delta ** r;
  for (let f = 0; f < energies.length; f++) {
    const energy = energies[f] as number;
    const m = first ? energy : (1 - s) * (smoother[f] as number) + s * energy;
    smoother[f] = m;
    // (ε + M)^-α as exp(-α · ln(ε + M)): the same to a few ulp, and about 3x faster than ** in V8.
    energies[f] = (energy * Math.exp(-alpha * Math.log(epsilon + m)) + delta) ** r - offset;
  }
}

/**
 * PCEN of a whole `[frames, bins]` sequence of mel energies (see {@link pcenFrame} for the formula),
 * frame 0 first. For tests and offline use; `FeatureExtractor` applies {@link pcenFrame} frame by
 * frame into its own buffers.
 *
 * @param energies `[frames, bins]` row-major mel energies, ≥ 0.
 * @returns A new `[frames, bins]` row-major `Float64Array` of PCEN values.
 * @throws FeatureError `SHAPE_MISMATCH` when `energies.length` is not `frames · bins`.
 */
export function pcen(energies: ArrayLike<number>, frames: number, bins: number, p: PcenParameters): Float64Array {
  if (!Number.isInteger(frames) || !Number.isInteger(bins) || energies.length !== frames * bins || frames < 0)
    throw new FeatureError(
      'SHAPE_MISMATCH',
      `PCEN of ${frames} frames × ${bins} bins needs ${frames * bins} energies, got ${energies.length}`,
    );
  const out = Float64Array.from(energies);
  const smoother = new Float64Array(bins);
  for (let t = 0; t < frames; t++) pcenFrame(out.subarray(t * bins, (t + 1) * bins), smoother, t === 0, p);
  return out;
}
