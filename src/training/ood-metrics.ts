import { describeValue, KwsError } from '../errors/index.js';

/**
 * Out-of-distribution (OOD) detection figures for a score where higher means "more
 * in-distribution": the max-softmax probability (Hendrycks and Gimpel, ICLR 2017), or the negative
 * energy -E(x) (Liu et al., NeurIPS 2020). Every function here uses one tie convention, the one
 * `decide` uses: a clip is accepted as in-distribution when its score is >= the threshold, so a
 * score equal to the threshold counts as accepted in both sets. Scores must be finite numbers.
 */

/** Default true-positive rate of the FPR-at-TPR figure (FPR95). */
export const DEFAULT_TPR = 0.95;

/** Default most points {@link rocCurve} returns. */
export const DEFAULT_ROC_POINTS = 201;

/** Slack subtracted from `tpr * n` before rounding up, so that 0.07 * 100 = 7.000000000000001 needs 7 scores, not 8. */
const COUNT_SLACK = 1e-9;

/** One point of an ROC curve: accepting scores >= `threshold` keeps `tpr` of the in-distribution clips and `fpr` of the OOD ones. */
export interface RocPoint {
  /** Score threshold (accept when score >= threshold). +Infinity for the first point, which accepts nothing (null in JSON). */
  readonly threshold: number;
  /** Fraction of in-distribution scores >= threshold, in [0, 1]. */
  readonly tpr: number;
  /** Fraction of OOD scores >= threshold, in [0, 1]. */
  readonly fpr: number;
}

/**
 * Refuses an empty score array or one holding a value that is not a finite number.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the array and the first bad index.
 */
export function checkScores(name: string, scores: ArrayLike<number>): void {
  if (scores.length === 0)
    throw new KwsError('INVALID_ARGUMENT', `${name} must hold at least one score, got an empty array`);
  for (let i = 0; i < scores.length; i++) {
    const value = scores[i];
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new KwsError('INVALID_ARGUMENT', `${name}[${i}] must be a finite number, got ${describeValue(value)}`);
  }
}

/**
 * Refuses a rate outside (0, 1].
 *
 * @throws KwsError `INVALID_ARGUMENT` showing the bad value.
 */
export function checkRate(name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0 && value <= 1))
    throw new KwsError('INVALID_ARGUMENT', `${name} must be a rate in (0, 1], got ${describeValue(value)}`);
}

/** A copy of `scores` sorted from highest to lowest. */
function sortedDescending(scores: ArrayLike<number>): Float64Array {
  return Float64Array.from(scores).sort().reverse();
}

/** How many of `descending` (sorted high to low) are >= `threshold`: a binary search. */
function countAtLeast(descending: Float64Array, threshold: number): number {
  let lo = 0;
  let hi = descending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((descending[mid] as number) >= threshold) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Area under the ROC curve of in-distribution against OOD scores: the Mann-Whitney U statistic with
 * midranks for ties, divided by n_in * n_out, so AUROC = P(s_in > s_out) + 0.5 P(s_in = s_out)
 * (Mann and Whitney 1947; Hanley and McNeil, Radiology 1982, on AUC = the Wilcoxon statistic; the
 * detection AUROC of Hendrycks and Gimpel, ICLR 2017, section 2). 1 when every in-distribution score is above every OOD score, 0 when
 * reversed, 0.5 when all are tied. Exact (no binning); O((n_in + n_out) log(n_in + n_out)).
 *
 * @param inScores `[n_in]` scores of in-distribution clips, higher = more in-distribution.
 * @param outScores `[n_out]` scores of OOD clips.
 * @returns A fraction in [0, 1].
 * @throws KwsError `INVALID_ARGUMENT` when either array is empty or holds NaN or an infinite value.
 */
export function auroc(inScores: ArrayLike<number>, outScores: ArrayLike<number>): number {
  checkScores('inScores', inScores);
  checkScores('outScores', outScores);
  const ins = Float64Array.from(inScores).sort();
  const outs = Float64Array.from(outScores).sort();
  let i = 0;
  let j = 0;
  let ranked = 0;
  let inRankSum = 0;
  while (i < ins.length || j < outs.length) {
    const value = Math.min(
      i < ins.length ? (ins[i] as number) : Number.POSITIVE_INFINITY,
      j < outs.length ? (outs[j] as number) : Number.POSITIVE_INFINITY,
    );
    const firstIn = i;
    const firstOut = j;
    while (i < ins.length && ins[i] === value) i++;
    while (j < outs.length && outs[j] === value) j++;
    const tied = i - firstIn + (j - firstOut);
    // Ranks ranked + 1 .. ranked + tied share their midrank.
    inRankSum += (i - firstIn) * (ranked + (tied + 1) / 2);
    ranked += tied;
  }
  const u = inRankSum - (ins.length * (ins.length + 1)) / 2;
  return u / (ins.length * outs.length);
}

/**
 * The threshold that keeps a target true-positive rate: the largest t such that at least `tpr` of
 * the in-distribution scores are >= t, which is the k-th highest score with k = ceil(tpr * n)
 * (after subtracting 1e-9 from tpr * n for floating-point noise). Ties: every score equal to t is
 * kept, so the achieved TPR is >= `tpr`, and above it when several scores equal t. The operating
 * point of the FPR-at-95%-TPR figure of Liang et al., ICLR 2018 (ODIN, evaluation metrics: "the
 * probability that a negative example is misclassified as positive when the true positive rate is
 * as high as 95%"), applied to the max-softmax baseline of Hendrycks and Gimpel 2017.
 *
 * @param inScores `[n]` in-distribution scores, higher = more in-distribution.
 * @param tpr Target true-positive rate in (0, 1]; default {@link DEFAULT_TPR}.
 * @returns One of `inScores`.
 * @throws KwsError `INVALID_ARGUMENT` for an empty array, a non-finite score or a rate outside (0, 1].
 */
export function thresholdAtTpr(inScores: ArrayLike<number>, tpr = DEFAULT_TPR): number {
  checkScores('inScores', inScores);
  checkRate('tpr', tpr);
  const descending = sortedDescending(inScores);
  const needed = Math.max(1, Math.ceil(tpr * descending.length - COUNT_SLACK));
  return descending[needed - 1] as number;
}

/**
 * False-positive rate at a true-positive rate (FPR95 by default; Liang et al., ICLR 2018, ODIN,
 * evaluation metrics; Hendrycks and Gimpel 2017 for the max-softmax score): the fraction of OOD scores >= t, with t = {@link thresholdAtTpr}
 * (inScores, tpr). An OOD score equal to t counts as a false positive.
 *
 * @param inScores `[n_in]` in-distribution scores, higher = more in-distribution.
 * @param outScores `[n_out]` OOD scores.
 * @param tpr Target true-positive rate in (0, 1]; default {@link DEFAULT_TPR}.
 * @returns A fraction in [0, 1].
 * @throws KwsError `INVALID_ARGUMENT` for an empty array, a non-finite score or a rate outside (0, 1].
 */
export function fprAtTpr(inScores: ArrayLike<number>, outScores: ArrayLike<number>, tpr = DEFAULT_TPR): number {
  const threshold = thresholdAtTpr(inScores, tpr);
  checkScores('outScores', outScores);
  return countAtLeast(sortedDescending(outScores), threshold) / outScores.length;
}

/**
 * Keeps at most `maxPoints` of `points`, evenly spaced by index, always the first and the last
 * (index round(j (L - 1) / (maxPoints - 1)) for j = 0 .. maxPoints - 1). A copy when there are
 * already at most `maxPoints`.
 *
 * @throws KwsError `INVALID_ARGUMENT` when `maxPoints` is not an integer >= 2.
 */
export function thinCurve<T>(points: readonly T[], maxPoints: number): T[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `maxPoints must be an integer of at least 2, got ${describeValue(maxPoints)}`,
    );
  if (points.length <= maxPoints) return [...points];
  const step = (points.length - 1) / (maxPoints - 1);
  // step > 1, so the rounded indices are strictly increasing.
  return Array.from({ length: maxPoints }, (_, j) => points[Math.round(j * step)] as T);
}

/**
 * The ROC curve of in-distribution against OOD scores, for reports: one point per distinct score
 * (accept scores >= it), from highest to lowest, after a first point at threshold +Infinity (accept
 * nothing: tpr 0, fpr 0; as scikit-learn's `roc_curve`), ending at the lowest score (tpr 1, fpr 1);
 * then thinned to at most `maxPoints` by {@link thinCurve}. The trapezoidal area under the unthinned
 * curve equals {@link auroc}.
 *
 * @param inScores `[n_in]` in-distribution scores, higher = more in-distribution.
 * @param outScores `[n_out]` OOD scores.
 * @param maxPoints Most points returned, an integer >= 2; default {@link DEFAULT_ROC_POINTS}.
 * @throws KwsError `INVALID_ARGUMENT` for an empty array, a non-finite score or a bad `maxPoints`.
 */
export function rocCurve(
  inScores: ArrayLike<number>,
  outScores: ArrayLike<number>,
  maxPoints = DEFAULT_ROC_POINTS,
): RocPoint[] {
  checkScores('inScores', inScores);
  checkScores('outScores', outScores);
  const ins = sortedDescending(inScores);
  const outs = sortedDescending(outScores);
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0 }];
  let i = 0;
  let j = 0;
  while (i < ins.length || j < outs.length) {
    const threshold = Math.max(
      i < ins.length ? (ins[i] as number) : Number.NEGATIVE_INFINITY,
      j < outs.length ? (outs[j] as number) : Number.NEGATIVE_INFINITY,
    );
    while (i < ins.length && ins[i] === threshold) i++;
    while (j < outs.length && outs[j] === threshold) j++;
    points.push({ threshold, tpr: i / ins.length, fpr: j / outs.length });
  }
  return thinCurve(points, maxPoints);
}
