import { KwsError } from '../errors/index.js';
import type { SignalShape } from '../features/index.js';
import { argmax, isCommand, LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';

/** The out-of-distribution score that turns a clip `unknown`. */
export type UnknownScore = 'maxSoftmax' | 'energy';

/** Largest magnitude of an energy threshold a request may give (an energy score is -logsumexp of logits; real ones are tens). */
export const MAX_ENERGY_THRESHOLD = 1e6;

/** Every {@link UnknownScore}. */
export const UNKNOWN_SCORES: readonly UnknownScore[] = ['maxSoftmax', 'energy'];

/**
 * Decision rule on top of the model: a clip quieter than `silenceThresholdDbfs` is `silence` (an RMS
 * floor); then, by `unknownScore`, a clip whose max-softmax probability is below `unknownThreshold`
 * (the baseline of Hendrycks and Gimpel, ICLR 2017), or whose energy score is above
 * `unknownEnergyThreshold` (Liu et al., NeurIPS 2020), is `unknown`. Each model version stores the
 * values that maximised its validation accuracy, and the score that did best.
 */
export interface Thresholds {
  /** Max-softmax probability below which the label becomes `unknown`, in [0, 1]. 0 disables it. */
  readonly unknownThreshold: number;
  /** RMS level below which the label becomes `silence`, dBFS. -Infinity disables it; stored as null in JSON. */
  readonly silenceThresholdDbfs: number;
  /** Which score decides `unknown`. Default `maxSoftmax`. */
  readonly unknownScore?: UnknownScore;
  /**
   * Energy score E(x) = -logsumexp(logits) above which the label becomes `unknown` (with
   * `unknownScore: 'energy'`), within ±{@link MAX_ENERGY_THRESHOLD}. +Infinity when none was
   * calibrated (stored as null in JSON); the energy rule then needs one given.
   */
  readonly unknownEnergyThreshold?: number;
  /**
   * Whether the non-speech rule applies (see {@link decide}). Default true: a version stores no
   * value; a request may turn it off to see the model's and the unknown rule's answer alone.
   */
  readonly nonSpeechRule?: boolean;
}

/** Thresholds that change nothing: the model's own argmax. */
export const NO_THRESHOLDS: Thresholds = Object.freeze({
  unknownThreshold: 0,
  silenceThresholdDbfs: Number.NEGATIVE_INFINITY,
  unknownScore: 'maxSoftmax',
  unknownEnergyThreshold: Number.POSITIVE_INFINITY,
});

/** Why a label was chosen. */
export type DecisionReason = 'MODEL' | 'LOW_CONFIDENCE' | 'LOW_ENERGY' | 'NON_SPEECH';

/**
 * Limits of the non-speech rule of {@link decide}: a clip whose {@link SignalShape} reaches either is
 * a steady synthetic sound, not a word, and a command answer becomes `unknown`. Chosen on the
 * development split (README, "The non-speech rule"): no clip of speech there (351 real clips of the
 * development speakers, 1,500 of held-out synthetic voices, 1,500 out-of-vocabulary words and
 * sound-alikes) reaches them (largest: peak concentration 0.939, stationarity 0.988, both of
 * synthetic voices), and none of those real clips with a steady tone 10 dB under it does, while
 * pure tones and beeps (peak concentration about 0.9995), held low square waves and click trains
 * (stationarity about 1) do.
 */
export const NON_SPEECH_LIMITS: SignalShape = Object.freeze({ peakConcentration: 0.98, stationarity: 0.995 });

/** Whether a clip's {@link SignalShape} reaches the {@link NON_SPEECH_LIMITS}. */
export function isNonSpeech(shape: SignalShape): boolean {
  return (
    shape.peakConcentration >= NON_SPEECH_LIMITS.peakConcentration ||
    shape.stationarity >= NON_SPEECH_LIMITS.stationarity
  );
}

/** The final label of one clip. */
export interface Decision {
  readonly label: Label;
  /** The model's argmax label before thresholds. */
  readonly rawLabel: Label;
  /** Max-softmax probability. */
  readonly confidence: number;
  readonly reason: DecisionReason;
}

/**
 * Applies {@link Thresholds} to one clip's model output, in this order: below the silence floor,
 * `silence` (`LOW_ENERGY`); a command answer to a clip whose `shape` is non-speech
 * ({@link isNonSpeech}), `unknown` (`NON_SPEECH`: the product answers non-speech `unknown`, never a
 * command, whatever the model says; README, "The non-speech rule"); then the unknown rule
 * (`LOW_CONFIDENCE`); else the model's argmax (`MODEL`).
 *
 * @param probabilities `[12]` softmax probabilities in {@link LABELS} order (or a longer array with `offset`).
 * @param rmsDbfs The clip's RMS level, dBFS.
 * @param energy The clip's energy score (see `ModelOutput`); NaN when the model has none, in which
 *   case an `energy` rule never fires.
 * @param shape The clip's {@link SignalShape}; without one (calibration, which works on stored
 *   outputs, and predictions stored before it existed) the non-speech rule does not apply.
 */
export function decide(
  probabilities: ArrayLike<number>,
  rmsDbfs: number,
  thresholds: Thresholds,
  offset = 0,
  energy = Number.NaN,
  shape?: SignalShape | null,
): Decision {
  const top = argmax(probabilities, offset);
  const rawLabel = LABELS[top] as Label;
  const confidence = probabilities[offset + top] as number;
  if (rmsDbfs < thresholds.silenceThresholdDbfs)
    return { label: 'silence', rawLabel, confidence, reason: 'LOW_ENERGY' };
  const shaped = shape !== undefined && shape !== null;
  if (thresholds.nonSpeechRule !== false && shaped && isCommand(rawLabel) && isNonSpeech(shape))
    return { label: 'unknown', rawLabel, confidence, reason: 'NON_SPEECH' };
  const outOfDistribution =
    thresholds.unknownScore === 'energy'
      ? energy > (thresholds.unknownEnergyThreshold ?? Number.POSITIVE_INFINITY)
      : confidence < thresholds.unknownThreshold;
  if (outOfDistribution && rawLabel !== 'unknown')
    return { label: 'unknown', rawLabel, confidence, reason: 'LOW_CONFIDENCE' };
  return { label: rawLabel, rawLabel, confidence, reason: 'MODEL' };
}

/**
 * Checks thresholds from a request or a stored version.
 *
 * @throws KwsError `INVALID_ARGUMENT` for an unknown threshold outside [0, 1], a silence threshold that
 *   is NaN or above 0 dBFS, a `nonSpeechRule` that is not a boolean, an energy threshold outside ±{@link MAX_ENERGY_THRESHOLD} (+Infinity, not
 *   calibrated, is allowed unless the energy rule is chosen), or an unknown score name.
 */
export function validateThresholds(thresholds: Thresholds): Thresholds {
  const { unknownThreshold, silenceThresholdDbfs, unknownScore, unknownEnergyThreshold, nonSpeechRule } = thresholds;
  if (nonSpeechRule !== undefined && typeof nonSpeechRule !== 'boolean')
    throw new KwsError('INVALID_ARGUMENT', `nonSpeechRule must be true or false, got ${String(nonSpeechRule)}`);
  if (unknownScore !== undefined && !UNKNOWN_SCORES.includes(unknownScore)) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `unknownScore must be one of ${UNKNOWN_SCORES.join(', ')}, got ${String(unknownScore)}`,
    );
  }
  const energyOk =
    typeof unknownEnergyThreshold === 'number' &&
    (unknownEnergyThreshold === Number.POSITIVE_INFINITY || Math.abs(unknownEnergyThreshold) <= MAX_ENERGY_THRESHOLD);
  if (unknownEnergyThreshold !== undefined && !energyOk) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `unknownEnergyThreshold must be an energy score from ${-MAX_ENERGY_THRESHOLD} to ${MAX_ENERGY_THRESHOLD}, got ${String(unknownEnergyThreshold)}`,
    );
  }
  if (unknownScore === 'energy' && (unknownEnergyThreshold ?? Number.POSITIVE_INFINITY) === Number.POSITIVE_INFINITY) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      'unknownScore energy needs an unknownEnergyThreshold: this model version has no calibrated one (its calibration turned the energy rule off, predates the energy score, or the model has no logits to score), so give one',
    );
  }
  if (typeof unknownThreshold !== 'number' || !(unknownThreshold >= 0 && unknownThreshold <= 1)) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `unknownThreshold must be a probability from 0 to 1, got ${String(unknownThreshold)}`,
    );
  }
  if (typeof silenceThresholdDbfs !== 'number' || Number.isNaN(silenceThresholdDbfs) || silenceThresholdDbfs > 0) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `silenceThresholdDbfs must be a level in dBFS at most 0 (or -Infinity to disable), got ${String(silenceThresholdDbfs)}`,
    );
  }
  return thresholds;
}
