import { describeValue, KwsError } from '../errors/index.js';
import { COMMAND_WORDS, labelIndex } from '../labels/index.js';
import { toFlags } from './calibration-metrics.js';
import { checkRate, checkScores, DEFAULT_ROC_POINTS, DEFAULT_TPR, thinCurve, thresholdAtTpr } from './ood-metrics.js';

/**
 * Choosing the threshold of an OOD score for an operating point a user can state: a target command
 * TPR, or the best 12-class accuracy. Independent of the decision rule: the caller says, per clip,
 * whether its final label is right when the score keeps it and when the score rejects it (see
 * {@link clipOutcomes}). Tie convention as `decide` and the OOD metrics: a clip is kept when its
 * score is >= the threshold. For the max-softmax rule the threshold is `unknownThreshold`; for the
 * energy rule pass s = -E(x) and use -threshold as `unknownEnergyThreshold` (unknown when E > -t,
 * that is s < t).
 */

/** Per-clip inputs of {@link tradeOffCurve} and {@link chooseOperatingPoints}, all `[n]`. */
export interface ClipOutcomes {
  /** OOD score of each clip, higher = more in-distribution (max-softmax probability, or -E(x)); finite. */
  readonly scores: ArrayLike<number>;
  /** True (or 1) for a command clip (in-distribution), false (0) for unknown or non-speech (OOD); see {@link commandMask}. */
  readonly inDistribution: ArrayLike<boolean | number>;
  /** Whether the clip's final label is right when the score keeps it (score >= threshold). */
  readonly correctIfAccepted: ArrayLike<boolean | number>;
  /** Whether the clip's final label is right when the score rejects it (score < threshold). */
  readonly correctIfRejected: ArrayLike<boolean | number>;
}

/** One threshold and what it does. */
export interface TradeOffPoint {
  /** Keep clips whose score is >= threshold. +Infinity keeps none (null in JSON). */
  readonly threshold: number;
  /** Fraction of command clips kept (command TPR, the recall of the in-distribution class), in [0, 1]. */
  readonly tpr: number;
  /** Fraction of OOD clips kept (OOD FPR), in [0, 1]. */
  readonly fpr: number;
  /** 12-class accuracy over all n clips, in [0, 1]. */
  readonly accuracy: number;
}

/** Options of {@link chooseOperatingPoints}. */
export interface OperatingPointOptions {
  /** Command TPR to keep, in (0, 1]. Default 0.95. */
  readonly targetTpr?: number;
  /** Most points of the returned curve, an integer >= 2. Default 201. */
  readonly maxCurvePoints?: number;
}

/** The operating points of one score on one labelled set. */
export interface OperatingPoints {
  /** The target command TPR asked for. */
  readonly targetTpr: number;
  /** The largest threshold that keeps at least `targetTpr` of the command clips (see `thresholdAtTpr`). */
  readonly atTargetTpr: TradeOffPoint;
  /** The threshold of highest accuracy; on a tie, the lowest such threshold (the smallest intervention). */
  readonly maxAccuracy: TradeOffPoint;
  /** The lowest score as threshold: every clip kept (the decision without the OOD rule). */
  readonly acceptAll: TradeOffPoint;
  /** The trade-off from threshold +Infinity down to the lowest score, thinned for a report. */
  readonly curve: readonly TradeOffPoint[];
}

/** `[n]` label indices, or a function from clip index to label index. */
export type LabelSource = ArrayLike<number> | ((clip: number) => number);

const COMMAND_INDICES: ReadonlySet<number> = new Set(COMMAND_WORDS.map(labelIndex));

/**
 * Which clips are commands (in-distribution): 1 where the true label is one of the ten command
 * words, 0 for `silence` and `unknown`.
 *
 * @param truth `[n]` true label indices into `LABELS`.
 * @returns `[n]` 1/0 flags for {@link ClipOutcomes}.inDistribution.
 */
export function commandMask(truth: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: truth.length }, (_, i) => (COMMAND_INDICES.has(truth[i] as number) ? 1 : 0));
}

/**
 * The correctness flags of {@link ClipOutcomes} from the label a decision rule gives each clip when
 * the score keeps it and when it rejects it. With `decide` and max-softmax scores, for example:
 * kept = decide(p, rms, { ...thresholds, unknownThreshold: 0 }, i * 12), rejected = the same with
 * `unknownThreshold: Infinity` (a clip under the silence floor gets `silence` either way).
 *
 * @param truth `[n]` true label indices.
 * @param labelIfAccepted `[n]` label indices, or a function of the clip index.
 * @param labelIfRejected `[n]` label indices, or a function of the clip index (e.g. `() => labelIndex('unknown')`).
 * @throws KwsError `INVALID_ARGUMENT` when an array's length is not n.
 */
export function clipOutcomes(
  truth: ArrayLike<number>,
  labelIfAccepted: LabelSource,
  labelIfRejected: LabelSource,
): { correctIfAccepted: Uint8Array; correctIfRejected: Uint8Array } {
  const n = truth.length;
  const labelsOf = (name: string, source: LabelSource): ((clip: number) => number) => {
    if (typeof source === 'function') return source;
    if (source.length !== n)
      throw new KwsError('INVALID_ARGUMENT', `${name} must hold ${n} labels (one per clip), got ${source.length}`);
    return (clip) => source[clip] as number;
  };
  const accepted = labelsOf('labelIfAccepted', labelIfAccepted);
  const rejected = labelsOf('labelIfRejected', labelIfRejected);
  return {
    correctIfAccepted: Uint8Array.from({ length: n }, (_, i) => (accepted(i) === truth[i] ? 1 : 0)),
    correctIfRejected: Uint8Array.from({ length: n }, (_, i) => (rejected(i) === truth[i] ? 1 : 0)),
  };
}

interface CheckedOutcomes {
  readonly scores: ArrayLike<number>;
  readonly inDistribution: Uint8Array;
  readonly accepted: Uint8Array;
  readonly rejected: Uint8Array;
  readonly commands: number;
}

/** Checks lengths, scores and flags, and that there is at least one command and one OOD clip. */
function checkOutcomes(outcomes: ClipOutcomes): CheckedOutcomes {
  const { scores } = outcomes;
  checkScores('scores', scores);
  const n = scores.length;
  const inDistribution = toFlags('inDistribution', outcomes.inDistribution, n);
  const commands = inDistribution.reduce((sum, flag) => sum + flag, 0);
  if (commands === 0)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `inDistribution marks no command clip among ${n}; the command TPR needs at least one`,
    );
  if (commands === n)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `inDistribution marks all ${n} clips as commands; the OOD FPR needs at least one unknown or non-speech clip`,
    );
  return {
    scores,
    inDistribution,
    accepted: toFlags('correctIfAccepted', outcomes.correctIfAccepted, n),
    rejected: toFlags('correctIfRejected', outcomes.correctIfRejected, n),
    commands,
  };
}

/** The full curve of checked outcomes: +Infinity, then each distinct score from highest to lowest. */
function sweep({ scores, inDistribution, accepted, rejected, commands }: CheckedOutcomes): TradeOffPoint[] {
  const n = scores.length;
  const ood = n - commands;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (scores[y] as number) - (scores[x] as number) || x - y,
  );
  let correct = rejected.reduce((sum, flag) => sum + flag, 0);
  let keptCommands = 0;
  let keptOod = 0;
  const points: TradeOffPoint[] = [{ threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0, accuracy: correct / n }];
  for (let k = 0; k < n;) {
    const threshold = scores[order[k] as number] as number;
    for (; k < n && scores[order[k] as number] === threshold; k++) {
      const i = order[k] as number;
      if (inDistribution[i] === 1) keptCommands++;
      else keptOod++;
      correct += (accepted[i] as number) - (rejected[i] as number);
    }
    points.push({ threshold, tpr: keptCommands / commands, fpr: keptOod / ood, accuracy: correct / n });
  }
  return points;
}

/**
 * The trade-off of every threshold, unthinned: threshold -> command TPR, OOD FPR and 12-class
 * accuracy, from +Infinity (keep none) through each distinct score from highest to lowest (keep
 * those >= it). Accuracy = (kept and right when kept + rejected and right when rejected) / n.
 * O(n log n).
 *
 * @throws KwsError `INVALID_ARGUMENT` for no clips, a non-finite score, arrays of different lengths,
 *   flags that are not true/false/1/0, or a set without command clips or without OOD clips.
 */
export function tradeOffCurve(outcomes: ClipOutcomes): TradeOffPoint[] {
  return sweep(checkOutcomes(outcomes));
}

/**
 * The operating points of a score on a labelled set (normally the version's validation split): the
 * threshold that keeps a target command TPR (the largest threshold keeping at least that fraction
 * of commands; the FPR-at-TPR operating point of Liang et al., ICLR 2018), the one that maximises
 * 12-class accuracy over every distinct score (exact, where `calibrateThresholds` searches a grid),
 * keeping every clip, and the curve between them for a report.
 *
 * @throws KwsError `INVALID_ARGUMENT` as {@link tradeOffCurve}, and for a target TPR outside (0, 1]
 *   or a bad `maxCurvePoints`.
 */
export function chooseOperatingPoints(outcomes: ClipOutcomes, options: OperatingPointOptions = {}): OperatingPoints {
  const { targetTpr = DEFAULT_TPR, maxCurvePoints = DEFAULT_ROC_POINTS } = options;
  checkRate('targetTpr', targetTpr);
  if (!Number.isInteger(maxCurvePoints) || maxCurvePoints < 2)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `maxCurvePoints must be an integer of at least 2, got ${describeValue(maxCurvePoints)}`,
    );
  const checked = checkOutcomes(outcomes);
  const points = sweep(checked);
  const commandScores = Array.from(checked.inDistribution.keys())
    .filter((i) => checked.inDistribution[i] === 1)
    .map((i) => checked.scores[i] as number);
  const threshold = thresholdAtTpr(commandScores, targetTpr);
  const atTargetTpr = points.find((point) => point.threshold === threshold) as TradeOffPoint;
  // Points run from high to low thresholds, so >= keeps the lowest threshold of a tie.
  const maxAccuracy = points.reduce((best, point) => (point.accuracy >= best.accuracy ? point : best));
  return {
    targetTpr,
    atTargetTpr,
    maxAccuracy,
    acceptAll: points[points.length - 1] as TradeOffPoint,
    curve: thinCurve(points, maxCurvePoints),
  };
}
