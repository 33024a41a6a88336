import { KwsError } from '../errors/index.js';
import { LABELS } from '../data/index.js';
import type { Label } from '../data/index.js';

/**
 * Decision rule on top of the softmax: a clip quieter than `silenceThresholdDbfs` is `silence`
 * (an RMS floor), and a clip whose max-softmax probability is below `unknownThreshold` is `unknown`
 * (the maximum softmax probability baseline for out-of-distribution detection, Hendrycks and
 * Gimpel, ICLR 2017). Each model version stores the values that maximised its validation accuracy.
 */
export interface Thresholds {
  /** Max-softmax probability below which the label becomes `unknown`, in [0, 1]. 0 disables it. */
  readonly unknownThreshold: number;
  /** RMS level below which the label becomes `silence`, dBFS. -Infinity disables it; stored as null in JSON. */
  readonly silenceThresholdDbfs: number;
}

/** Thresholds that change nothing: the model's own argmax. */
export const NO_THRESHOLDS: Thresholds = Object.freeze({ unknownThreshold: 0, silenceThresholdDbfs: Number.NEGATIVE_INFINITY });

/** Why a label was chosen. */
export type DecisionReason = 'MODEL' | 'LOW_CONFIDENCE' | 'LOW_ENERGY';

/** The final label of one clip. */
export interface Decision {
  readonly label: Label;
  /** The model's argmax label before thresholds. */
  readonly rawLabel: Label;
  /** Max-softmax probability. */
  readonly confidence: number;
  readonly reason: DecisionReason;
}

/** Index of the largest value of `probabilities[offset ..< offset + 12]`. */
export function argmax(probabilities: ArrayLike<number>, offset = 0, length = LABELS.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if ((probabilities[offset + i] as number) > (probabilities[offset + best] as number)) best = i;
  return best;
}

/**
 * Applies {@link Thresholds} to one clip's softmax output.
 *
 * @param probabilities `[12]` softmax probabilities in {@link LABELS} order (or a longer array with `offset`).
 * @param rmsDbfs The clip's RMS level, dBFS.
 */
export function decide(probabilities: ArrayLike<number>, rmsDbfs: number, thresholds: Thresholds, offset = 0): Decision {
  const top = argmax(probabilities, offset);
  const rawLabel = LABELS[top] as Label;
  const confidence = probabilities[offset + top] as number;
  if (rmsDbfs < thresholds.silenceThresholdDbfs) return { label: 'silence', rawLabel, confidence, reason: 'LOW_ENERGY' };
  if (confidence < thresholds.unknownThreshold && rawLabel !== 'unknown') return { label: 'unknown', rawLabel, confidence, reason: 'LOW_CONFIDENCE' };
  return { label: rawLabel, rawLabel, confidence, reason: 'MODEL' };
}

/**
 * Checks thresholds from a request or a stored version.
 *
 * @throws KwsError `INVALID_ARGUMENT` for an unknown threshold outside [0, 1] or a silence threshold that is NaN or above 0 dBFS.
 */
export function validateThresholds(thresholds: Thresholds): Thresholds {
  const { unknownThreshold, silenceThresholdDbfs } = thresholds;
  if (typeof unknownThreshold !== 'number' || !(unknownThreshold >= 0 && unknownThreshold <= 1)) {
    throw new KwsError('INVALID_ARGUMENT', `unknownThreshold must be a probability from 0 to 1, got ${String(unknownThreshold)}`);
  }
  if (typeof silenceThresholdDbfs !== 'number' || Number.isNaN(silenceThresholdDbfs) || silenceThresholdDbfs > 0) {
    throw new KwsError('INVALID_ARGUMENT', `silenceThresholdDbfs must be a level in dBFS at most 0 (or -Infinity to disable), got ${String(silenceThresholdDbfs)}`);
  }
  return thresholds;
}
