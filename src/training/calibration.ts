import { labelIndex, LABELS } from '../labels/index.js';
import type { Calibration } from '../registry/index.js';
import { decide, NO_THRESHOLDS } from '../inference/index.js';
import type { Thresholds, UnknownScore } from '../inference/index.js';
import { thresholdsAtRecall, unknownTradeOff } from './operating-threshold.js';

/** Candidate max-softmax thresholds: 0 (off) to 0.95 in steps of 0.05. */
const UNKNOWN_GRID = Array.from({ length: 20 }, (_, i) => Math.round(i * 5) / 100);
/** Candidate RMS floors: off, then -100 to -30 dBFS in 5 dB steps. */
const SILENCE_GRID = [Number.NEGATIVE_INFINITY, ...Array.from({ length: 15 }, (_, i) => -100 + 5 * i)];
/** Energy thresholds are tried at these percentiles of the labelled set's own energy scores (and off). */
const ENERGY_PERCENTILES = Array.from({ length: 21 }, (_, i) => 50 + 2.5 * i);

function accuracyWith(
  probabilities: Float32Array,
  rmsDbfs: ArrayLike<number>,
  truth: ArrayLike<number>,
  thresholds: Thresholds,
  energy: ArrayLike<number> | null,
): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    if (
      labelIndex(
        decide(
          probabilities,
          rmsDbfs[i] as number,
          thresholds,
          i * LABELS.length,
          energy === null ? Number.NaN : (energy[i] as number),
        ).label,
      ) === truth[i]
    )
      correct++;
  }
  return truth.length === 0 ? 0 : correct / truth.length;
}

/**
 * Candidate energy thresholds: at each percentile p, the midpoint between the sorted finite scores
 * just below and at p (so a threshold never sits on a clip's own score), rounded to 1e-3; then
 * +Infinity (off).
 */
function energyGrid(energy: ArrayLike<number>): number[] {
  const sorted = Array.from(energy)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (sorted.length < 2) return sorted.length === 0 ? [] : [Number.POSITIVE_INFINITY];
  const at = (p: number): number => {
    const k = Math.min(sorted.length - 1, Math.max(1, Math.floor((p / 100) * sorted.length)));
    return Math.round((((sorted[k - 1] as number) + (sorted[k] as number)) / 2) * 1000) / 1000;
  };
  return [...new Set(ENERGY_PERCENTILES.map(at))].sort((a, b) => a - b).concat(Number.POSITIVE_INFINITY);
}

/**
 * Grid search for the thresholds that maximise 12-class accuracy on a labelled set, normally the
 * version's validation split: the silence floor (RMS dBFS) together with each unknown rule, the
 * max-softmax threshold (Hendrycks and Gimpel 2017) and, when energy scores are given, the energy
 * threshold (Liu et al. 2020; tried at percentiles of the set's own scores). Both unknown thresholds
 * are kept; `unknownScore` names the rule that scored higher (max-softmax on a tie). Ties within a
 * rule keep the smaller intervention (lower unknown threshold, lower silence floor, higher energy
 * threshold).
 *
 * @param probabilities `[n, 12]` softmax outputs, row-major.
 * @param rmsDbfs `[n]` clip levels, dBFS.
 * @param truth `[n]` true label indices.
 * @param energy `[n]` energy scores (see `ModelOutput`), or null (or all NaN) when the model has none.
 * @param options.targetRecall An operating point instead of the best accuracy: the unknown
 *   thresholds that keep this share of the command clips answered with a command (see
 *   `thresholdsAtRecall`); the silence floor is still the accuracy search's. The result always holds
 *   each rule's trade-off curve (`unknownTradeOff`).
 */
export function calibrateThresholds(
  probabilities: Float32Array,
  rmsDbfs: ArrayLike<number>,
  truth: ArrayLike<number>,
  energy: ArrayLike<number> | null = null,
  options: { readonly targetRecall?: number } = {},
): Calibration {
  const baselineAccuracy = accuracyWith(probabilities, rmsDbfs, truth, NO_THRESHOLDS, null);
  const grid = energy === null ? [] : energyGrid(energy);
  // The best of each rule.
  const bestOf: Record<UnknownScore, { thresholds: Thresholds; accuracy: number }> = {
    maxSoftmax: { thresholds: NO_THRESHOLDS, accuracy: baselineAccuracy },
    energy: { thresholds: { ...NO_THRESHOLDS, unknownScore: 'energy' }, accuracy: baselineAccuracy },
  };
  for (const silenceThresholdDbfs of SILENCE_GRID) {
    for (const unknownThreshold of UNKNOWN_GRID) {
      const thresholds: Thresholds = { ...NO_THRESHOLDS, unknownThreshold, silenceThresholdDbfs };
      const accuracy = accuracyWith(probabilities, rmsDbfs, truth, thresholds, null);
      if (accuracy > bestOf.maxSoftmax.accuracy + 1e-12) bestOf.maxSoftmax = { thresholds, accuracy };
    }
    for (const unknownEnergyThreshold of [...grid].reverse()) {
      const thresholds: Thresholds = {
        ...NO_THRESHOLDS,
        unknownScore: 'energy',
        unknownEnergyThreshold,
        silenceThresholdDbfs,
      };
      const accuracy = accuracyWith(probabilities, rmsDbfs, truth, thresholds, energy);
      if (accuracy > bestOf.energy.accuracy + 1e-12) bestOf.energy = { thresholds, accuracy };
    }
  }
  const useEnergy = grid.length > 0 && bestOf.energy.accuracy > bestOf.maxSoftmax.accuracy + 1e-12;
  const chosen = useEnergy ? bestOf.energy : bestOf.maxSoftmax;
  const best: Thresholds = {
    ...chosen.thresholds,
    unknownScore: useEnergy ? 'energy' : 'maxSoftmax',
    unknownThreshold: bestOf.maxSoftmax.thresholds.unknownThreshold,
    unknownEnergyThreshold:
      grid.length > 0
        ? (bestOf.energy.thresholds.unknownEnergyThreshold ?? Number.POSITIVE_INFINITY)
        : Number.POSITIVE_INFINITY,
  };
  const bestAccuracy = chosen.accuracy;
  const silence = best.silenceThresholdDbfs;
  const unknownCurve = UNKNOWN_GRID.map((threshold) => ({
    threshold,
    accuracy: accuracyWith(
      probabilities,
      rmsDbfs,
      truth,
      { ...NO_THRESHOLDS, silenceThresholdDbfs: silence, unknownThreshold: threshold },
      null,
    ),
  }));
  const energyCurve = grid.map((threshold) => ({
    threshold: Number.isFinite(threshold) ? threshold : null,
    accuracy: accuracyWith(
      probabilities,
      rmsDbfs,
      truth,
      { ...NO_THRESHOLDS, silenceThresholdDbfs: silence, unknownScore: 'energy', unknownEnergyThreshold: threshold },
      energy,
    ),
  }));
  const clips = {
    probabilities,
    energy: energy ?? new Float32Array(truth.length).fill(Number.NaN),
    size: truth.length,
  };
  const levels = { rmsDbfs, silenceFloorDbfs: best.silenceThresholdDbfs };
  const tradeOff = unknownTradeOff(clips, truth, levels);
  if (options.targetRecall === undefined)
    return { thresholds: best, accuracy: bestAccuracy, baselineAccuracy, unknownCurve, energyCurve, tradeOff };
  const { thresholds, operatingPoint } = thresholdsAtRecall(best, clips, truth, options.targetRecall, levels);
  const accuracy = accuracyWith(probabilities, rmsDbfs, truth, thresholds, energy);
  return { thresholds, accuracy, baselineAccuracy, unknownCurve, energyCurve, operatingPoint, tradeOff };
}
