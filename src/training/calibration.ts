import { labelIndex, LABELS } from '../data/index.js';
import { decide, NO_THRESHOLDS } from '../inference/index.js';
import type { Thresholds } from '../inference/index.js';

/** Candidate max-softmax thresholds: 0 (off) to 0.95 in steps of 0.05. */
const UNKNOWN_GRID = Array.from({ length: 20 }, (_, i) => Math.round(i * 5) / 100);
/** Candidate RMS floors: off, then -100 to -30 dBFS in 5 dB steps. */
const SILENCE_GRID = [Number.NEGATIVE_INFINITY, ...Array.from({ length: 15 }, (_, i) => -100 + 5 * i)];

/** Result of {@link calibrateThresholds}. */
export interface Calibration {
  readonly thresholds: Thresholds;
  /** 12-class accuracy with the chosen thresholds. */
  readonly accuracy: number;
  /** 12-class accuracy with no thresholds (the model's argmax). */
  readonly baselineAccuracy: number;
  /** Accuracy for each unknown threshold of the grid, at the chosen silence threshold. */
  readonly unknownCurve: ReadonlyArray<{ readonly threshold: number; readonly accuracy: number }>;
}

function accuracyWith(probabilities: Float32Array, rmsDbfs: ArrayLike<number>, truth: ArrayLike<number>, thresholds: Thresholds): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    if (labelIndex(decide(probabilities, rmsDbfs[i] as number, thresholds, i * LABELS.length).label) === truth[i]) correct++;
  }
  return truth.length === 0 ? 0 : correct / truth.length;
}

/**
 * Grid search for the unknown (max-softmax) and silence (RMS floor) thresholds that maximise
 * 12-class accuracy on a labelled set, normally the version's validation split. Ties keep the
 * smaller intervention (lower unknown threshold, lower silence floor).
 *
 * @param probabilities `[n, 12]` softmax outputs, row-major.
 * @param rmsDbfs `[n]` clip levels, dBFS.
 * @param truth `[n]` true label indices.
 */
export function calibrateThresholds(probabilities: Float32Array, rmsDbfs: ArrayLike<number>, truth: ArrayLike<number>): Calibration {
  const baselineAccuracy = accuracyWith(probabilities, rmsDbfs, truth, NO_THRESHOLDS);
  let best: Thresholds = NO_THRESHOLDS;
  let bestAccuracy = baselineAccuracy;
  for (const silenceThresholdDbfs of SILENCE_GRID) {
    for (const unknownThreshold of UNKNOWN_GRID) {
      const accuracy = accuracyWith(probabilities, rmsDbfs, truth, { unknownThreshold, silenceThresholdDbfs });
      if (accuracy > bestAccuracy + 1e-12) {
        bestAccuracy = accuracy;
        best = { unknownThreshold, silenceThresholdDbfs };
      }
    }
  }
  const unknownCurve = UNKNOWN_GRID.map((threshold) => ({ threshold, accuracy: accuracyWith(probabilities, rmsDbfs, truth, { ...best, unknownThreshold: threshold }) }));
  return { thresholds: best, accuracy: bestAccuracy, baselineAccuracy, unknownCurve };
}
