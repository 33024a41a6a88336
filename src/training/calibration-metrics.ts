import { checkClasses } from '../engine/index.js';
import { describeValue, KwsError } from '../errors/index.js';
import type { ReliabilityBin } from '../registry/index.js';

/** Default number of equal-width confidence bins of the expected calibration error (Guo et al. 2017, section 2). */
export const DEFAULT_CALIBRATION_BINS = 15;

/**
 * Probabilities below this are raised to it before the log of {@link negativeLogLikelihood}, so a
 * float32 softmax that underflowed to 0 costs -ln(1e-12) = 27.6 nats instead of Infinity.
 */
export const PROBABILITY_FLOOR = 1e-12;

/** Calibration figures of a set of predictions. */
export interface ReliabilityTable {
  /** Expected calibration error, a fraction in [0, 1] (Guo et al. 2017, eq. 3). */
  readonly ece: number;
  /** Maximum calibration error over the non-empty bins, a fraction in [0, 1] (Guo et al. 2017, eq. 5). */
  readonly mce: number;
  /** Number of clips, n. */
  readonly examples: number;
  /** The M bins from lowest to highest confidence. */
  readonly bins: readonly ReliabilityBin[];
}

/**
 * Refuses labels that are not `n` integers in [0, classes).
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the first bad index and value, or the lengths.
 */
export function checkLabels(name: string, labels: ArrayLike<number>, classes: number, n: number): void {
  if (labels.length !== n)
    throw new KwsError('INVALID_ARGUMENT', `${name} must hold ${n} labels (one per clip), got ${labels.length}`);
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= classes)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `${name}[${i}] must be a class index from 0 to ${classes - 1}, got ${describeValue(label)}`,
      );
  }
}

/**
 * `[n]` true/false flags (booleans, or the numbers 1 and 0) as 1/0 bytes.
 *
 * @throws KwsError `INVALID_ARGUMENT` when the length is not `n` or a value is neither.
 */
export function toFlags(name: string, values: ArrayLike<boolean | number>, n: number): Uint8Array {
  if (values.length !== n)
    throw new KwsError('INVALID_ARGUMENT', `${name} must hold ${n} values (one per clip), got ${values.length}`);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === true || value === 1) flags[i] = 1;
    else if (value !== false && value !== 0)
      throw new KwsError('INVALID_ARGUMENT', `${name}[${i}] must be true, false, 1 or 0, got ${describeValue(value)}`);
  }
  return flags;
}

/**
 * Whether each prediction is right: 1 where `predicted[i] === truth[i]`, else 0.
 *
 * @param predicted `[n]` predicted class indices.
 * @param truth `[n]` true class indices.
 * @returns `[n]` 1/0 flags, for {@link reliabilityTable}.
 * @throws KwsError `INVALID_ARGUMENT` when the lengths differ.
 */
export function correctness(predicted: ArrayLike<number>, truth: ArrayLike<number>): Uint8Array {
  if (predicted.length !== truth.length)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `predicted holds ${predicted.length} labels but truth holds ${truth.length}`,
    );
  return Uint8Array.from({ length: truth.length }, (_, i) => (predicted[i] === truth[i] ? 1 : 0));
}

/**
 * The top-1 prediction and its confidence (max-softmax probability) of each row.
 *
 * @param probabilities `[batch, classes]` softmax probabilities, row-major.
 * @returns `confidences` `[batch]` and `predicted` `[batch]` class indices (the first maximum on a tie).
 * @throws KwsError `INVALID_ARGUMENT` when `probabilities.length` is not `batch * classes`.
 */
export function topPredictions(
  probabilities: ArrayLike<number>,
  batch: number,
  classes: number,
): { confidences: Float32Array; predicted: Int32Array } {
  checkClasses(classes);
  if (!Number.isInteger(batch) || batch < 0 || probabilities.length !== batch * classes)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `probabilities must hold batch * classes = ${describeValue(batch)} * ${classes} values, got ${probabilities.length}`,
    );
  const confidences = new Float32Array(batch);
  const predicted = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let top = 0;
    for (let c = 1; c < classes; c++)
      if ((probabilities[b * classes + c] as number) > (probabilities[b * classes + top] as number)) top = c;
    predicted[b] = top;
    confidences[b] = probabilities[b * classes + top] as number;
  }
  return { confidences, predicted };
}

/** Index (0-based) of the bin ((b - 1) / M, b / M] that holds `confidence`; confidence 0 is in the first. */
function binOf(confidence: number, bins: number): number {
  let b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
  // Correct the rounding of confidence * bins against the edges as they are reported.
  while (b > 0 && confidence <= b / bins) b--;
  while (b < bins - 1 && confidence > (b + 1) / bins) b++;
  return b;
}

/** Per-bin counts, correct counts and confidence sums (Neumaier-compensated, so 100 x 0.9 sums to 90). */
function binTotals(
  confidences: ArrayLike<number>,
  flags: Uint8Array,
  bins: number,
): { counts: Float64Array; correct: Float64Array; confidence: Float64Array } {
  const counts = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const sums = new Float64Array(bins);
  const compensation = new Float64Array(bins);
  for (let i = 0; i < flags.length; i++) {
    const c = confidences[i];
    if (typeof c !== 'number' || !(c >= 0 && c <= 1))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `confidences[${i}] must be a probability from 0 to 1, got ${describeValue(c)}`,
      );
    const b = binOf(c, bins);
    counts[b] = (counts[b] as number) + 1;
    correct[b] = (correct[b] as number) + (flags[i] as number);
    const sum = sums[b] as number;
    const next = sum + c;
    compensation[b] = (compensation[b] as number) + (Math.abs(sum) >= Math.abs(c) ? sum - next + c : c - next + sum);
    sums[b] = next;
  }
  return { counts, correct, confidence: sums.map((s, b) => s + (compensation[b] as number)) };
}

/**
 * Reliability table, expected and maximum calibration error with M equal-width confidence bins
 * (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, section 2; after Naeini et al.
 * 2015): bin b of M holds the clips with confidence in ((b - 1) / M, b / M], confidence 0 in the
 * first; ECE = sum_b |B_b| / n |acc(B_b) - conf(B_b)| (eq. 3), computed as
 * sum_b |correct_b - sum of confidences_b| / n; MCE = max_b |acc(B_b) - conf(B_b)| over non-empty
 * bins (eq. 5).
 *
 * @param confidences `[n]` confidence of each prediction (max-softmax probability), in [0, 1].
 * @param correct `[n]` whether each prediction is right (true/false or 1/0; see {@link correctness}).
 * @param bins M, an integer >= 1; default {@link DEFAULT_CALIBRATION_BINS}.
 * @throws KwsError `INVALID_ARGUMENT` for no clips, different lengths, a confidence outside [0, 1]
 *   or NaN, a flag that is not true/false/1/0, or a bad bin count.
 */
export function reliabilityTable(
  confidences: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  bins = DEFAULT_CALIBRATION_BINS,
): ReliabilityTable {
  if (!Number.isInteger(bins) || bins < 1)
    throw new KwsError('INVALID_ARGUMENT', `bins must be an integer of at least 1, got ${describeValue(bins)}`);
  const n = confidences.length;
  if (n === 0) throw new KwsError('INVALID_ARGUMENT', 'confidences must hold at least one value, got an empty array');
  const totals = binTotals(confidences, toFlags('correct', correct, n), bins);
  let gapSum = 0;
  let mce = 0;
  const table = Array.from({ length: bins }, (_, b): ReliabilityBin => {
    const count = totals.counts[b] as number;
    const correctCount = totals.correct[b] as number;
    const confidenceSum = totals.confidence[b] as number;
    gapSum += Math.abs(correctCount - confidenceSum);
    if (count > 0) mce = Math.max(mce, Math.abs(correctCount - confidenceSum) / count);
    return {
      lower: b / bins,
      upper: (b + 1) / bins,
      count,
      meanConfidence: count === 0 ? null : confidenceSum / count,
      accuracy: count === 0 ? null : correctCount / count,
    };
  });
  return { ece: gapSum / n, mce, examples: n, bins: table };
}

/** What a perfectly calibrated model would show as ECE on the same clips (see {@link eceSamplingFloor}). */
export interface EceFloor {
  /** Expected ECE, a fraction in [0, 1]. */
  readonly mean: number;
  /** Its standard deviation, a fraction. */
  readonly sd: number;
}

/** Bins of more clips than this use the normal approximation instead of the exact distribution (O(m²) work). */
export const EXACT_FLOOR_MAX_CLIPS = 2_000;

/**
 * The sampling floor of the expected calibration error: the ECE that a perfectly calibrated model
 * (each prediction right with probability equal to its confidence) would show on clips with these
 * confidences, M equal-width bins as {@link reliabilityTable}. ECE is biased upward on finite sets,
 * since every bin's |correct − Σ confidence| is positive on average even when the model is
 * calibrated (Kumar et al., "Verified Uncertainty Calibration", NeurIPS 2019, section 5; Roelofs et
 * al., "Mitigating Bias in Calibration Error Estimation", AISTATS 2022): a measured ECE within about
 * two `sd` of `mean` cannot tell the model from a calibrated one, and the set is too small to verify
 * a target below `mean`.
 *
 * Exact, no sampling: in bin b, the number of right answers S_b is Poisson-binomial with the bin's
 * confidences as success probabilities; mean = Σ_b E|S_b − Σ c| / n from S_b's distribution (one
 * pass per clip of the bin), and, bins being independent, sd² = Σ_b (Var S_b − (E|S_b − Σ c|)²) / n².
 * A bin of more than {@link EXACT_FLOOR_MAX_CLIPS} clips uses the normal approximation
 * E|S_b − Σ c| = √(2/π · Var S_b), Var S_b = Σ c(1 − c).
 *
 * @param confidences `[n]` confidences (max-softmax probabilities) in [0, 1].
 * @param bins M, an integer >= 1; default {@link DEFAULT_CALIBRATION_BINS}.
 * @throws KwsError `INVALID_ARGUMENT` as {@link reliabilityTable}.
 */
export function eceSamplingFloor(confidences: ArrayLike<number>, bins = DEFAULT_CALIBRATION_BINS): EceFloor {
  const n = confidences.length;
  // Validates the confidences and the bin count the same way as the table.
  reliabilityTable(confidences, new Uint8Array(n), bins);
  const members: number[][] = Array.from({ length: bins }, () => []);
  for (let i = 0; i < n; i++) {
    const c = confidences[i] as number;
    members[binOf(c, bins)]?.push(c);
  }
  let meanGap = 0;
  let variance = 0;
  for (const bin of members) {
    if (bin.length === 0) continue;
    const expected = bin.reduce((a, c) => a + c, 0);
    const varS = bin.reduce((a, c) => a + c * (1 - c), 0);
    const absGap = bin.length > EXACT_FLOOR_MAX_CLIPS ? Math.sqrt((2 / Math.PI) * varS) : meanAbsGap(bin, expected);
    meanGap += absGap;
    variance += Math.max(0, varS - absGap * absGap);
  }
  return { mean: meanGap / n, sd: Math.sqrt(variance) / n };
}

/** E|S − expected| for S the number of successes of independent trials with probabilities `p` (Poisson-binomial, by its pmf). */
function meanAbsGap(p: readonly number[], expected: number): number {
  const pmf = new Float64Array(p.length + 1);
  pmf[0] = 1;
  p.forEach((q, i) => {
    for (let k = i + 1; k >= 1; k--) pmf[k] = (pmf[k] as number) * (1 - q) + (pmf[k - 1] as number) * q;
    pmf[0] = (pmf[0] as number) * (1 - q);
  });
  let sum = 0;
  pmf.forEach((mass, k) => {
    sum += mass * Math.abs(k - expected);
  });
  return sum;
}

/**
 * Expected calibration error alone (Guo et al. 2017, eq. 3); see {@link reliabilityTable} for the
 * bins, shapes and errors.
 *
 * @returns A fraction in [0, 1].
 */
export function expectedCalibrationError(
  confidences: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  bins = DEFAULT_CALIBRATION_BINS,
): number {
  return reliabilityTable(confidences, correct, bins).ece;
}

/** Checks `[n, classes]` probabilities against `[n]` labels; returns n. */
function checkProbabilities(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  checkClasses(classes);
  const n = labels.length;
  if (n === 0) throw new KwsError('INVALID_ARGUMENT', 'labels must hold at least one label, got an empty array');
  if (probabilities.length !== n * classes)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `probabilities must hold labels.length * classes = ${n} * ${classes} values, got ${probabilities.length}`,
    );
  checkLabels('labels', labels, classes, n);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `probabilities[${i}] must be a probability from 0 to 1, got ${describeValue(p)}`,
      );
  }
  return n;
}

/**
 * Mean negative log-likelihood of the true classes, -(1/n) sum_i ln p_i[y_i], in nats (Guo et al.
 * 2017, section 2, "Negative log likelihood"); each probability is raised to at least
 * {@link PROBABILITY_FLOOR}. For logits, `meanNllWithTemperature` is exact and stable.
 *
 * @param probabilities `[n, classes]` softmax probabilities, row-major.
 * @param labels `[n]` true class indices.
 * @throws KwsError `INVALID_ARGUMENT` for no labels, a length that is not n * classes, a label out of
 *   range, or a probability outside [0, 1] or NaN.
 */
export function negativeLogLikelihood(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number {
  const n = checkProbabilities(probabilities, labels, classes);
  let sum = 0;
  for (let i = 0; i < n; i++)
    sum -= Math.log(Math.max(PROBABILITY_FLOOR, probabilities[i * classes + (labels[i] as number)] as number));
  return sum / n;
}

/**
 * Multi-class Brier score, (1/n) sum_i sum_c (p_ic - [c = y_i])^2, in [0, 2]; 0 is perfect (Brier,
 * "Verification of forecasts expressed in terms of probability", Monthly Weather Review 78(1), 1950).
 *
 * @param probabilities `[n, classes]` softmax probabilities, row-major.
 * @param labels `[n]` true class indices.
 * @throws KwsError `INVALID_ARGUMENT` as {@link negativeLogLikelihood}.
 */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const n = checkProbabilities(probabilities, labels, classes);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) {
      const diff = (probabilities[i * classes + c] as number) - (c === labels[i] ? 1 : 0);
      sum += diff * diff;
    }
  }
  return sum / n;
}
