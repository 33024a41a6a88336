import { COMMAND_WORDS, labelIndex, LABELS } from '../labels/index.js';
import { argmax } from '../inference/index.js';
import type { UnknownScore } from '../inference/index.js';
import type { RejectionMetrics, TrustMetrics } from '../registry/index.js';
import {
  correctness,
  DEFAULT_CALIBRATION_BINS,
  eceSamplingFloor,
  negativeLogLikelihood,
  reliabilityTable,
  topPredictions,
} from './calibration-metrics.js';
import { auroc, DEFAULT_TPR, fprAtTpr } from './ood-metrics.js';

const CLASSES = LABELS.length;
const COMMAND_INDICES = new Set<number>(COMMAND_WORDS.map((word) => labelIndex(word)));
const UNKNOWN = labelIndex('unknown');
const SILENCE = labelIndex('silence');

/** One set of clips as a model scored them: `[n, 12]` probabilities (row-major) and `[n]` energy scores (NaN when none). */
export interface ScoredClips {
  readonly probabilities: ArrayLike<number>;
  readonly energy: ArrayLike<number>;
  readonly size: number;
}

/**
 * Each clip's score under one unknown rule as it is served: the rule's score (max-softmax
 * probability, or -E(x) for the energy rule, higher = more like a command) when the clip's argmax
 * is a command, and a value below every such score when it is not (`unknown` or `silence` as argmax
 * is never answered with a command, whatever the threshold). So "score >= t" is exactly "answered
 * with a command at threshold t" (see `decide`; the RMS silence floor is left out).
 *
 * @returns `[n]` finite scores, or null when `score` is `energy` and some clip has no energy.
 */
export function servedCommandScores(clips: ScoredClips, score: UnknownScore, floor: number): Float64Array | null {
  const out = new Float64Array(clips.size);
  for (let i = 0; i < clips.size; i++) {
    const top = argmax(clips.probabilities, i * CLASSES);
    const raw = score === 'energy' ? -(clips.energy[i] as number) : (clips.probabilities[i * CLASSES + top] as number);
    if (!Number.isFinite(raw)) return null;
    out[i] = COMMAND_INDICES.has(top) ? raw : floor;
  }
  return out;
}

/** The lowest finite value any clip of `sets` could score under `score`, less 1 (the floor of {@link servedCommandScores}). */
export function floorOf(sets: readonly ScoredClips[], score: UnknownScore): number {
  if (score === 'maxSoftmax') return -1; // probabilities are >= 0
  let low = Number.POSITIVE_INFINITY;
  for (const set of sets)
    for (let i = 0; i < set.size; i++)
      if (Number.isFinite(set.energy[i])) low = Math.min(low, -(set.energy[i] as number));
  return (Number.isFinite(low) ? low : 0) - 1;
}

/**
 * How well each unknown rule separates command clips from out-of-distribution clips, as served:
 * AUROC and FPR at 95 % command TPR (Hendrycks and Gimpel, ICLR 2017; Liu et al., NeurIPS 2020)
 * over {@link servedCommandScores}, and the share of command clips whose argmax is a command (no
 * threshold can keep more). Null figures where a set is empty or a score is missing; a null FPR where
 * that share is below `tpr` (no threshold keeps that many commands).
 */
export function rejectionMetrics(commands: ScoredClips, outliers: ScoredClips, tpr = DEFAULT_TPR): RejectionMetrics[] {
  const scores: UnknownScore[] = ['maxSoftmax', 'energy'];
  return scores.map((score) => {
    const floor = floorOf([commands, outliers], score);
    const inScores = commands.size > 0 ? servedCommandScores(commands, score, floor) : null;
    const outScores = outliers.size > 0 ? servedCommandScores(outliers, score, floor) : null;
    const reachable = inScores === null ? null : inScores.filter((s) => s > floor).length / inScores.length;
    if (inScores === null || outScores === null)
      return { score, auroc: null, fprAtTpr95: null, commandRecallCeiling: reachable, examples: outliers.size };
    return {
      score,
      auroc: auroc(inScores, outScores),
      // No threshold keeps `tpr` of the commands when fewer have a command argmax: no FPR at that TPR.
      fprAtTpr95: reachable !== null && reachable < tpr ? null : fprAtTpr(inScores, outScores, tpr),
      commandRecallCeiling: reachable,
      examples: outliers.size,
    };
  });
}

/** The clips of `clips` whose true label satisfies `keep`. */
function subset(clips: ScoredClips, labels: ArrayLike<number>, keep: (label: number) => boolean): ScoredClips {
  const rows: number[] = [];
  for (let i = 0; i < clips.size; i++) if (keep(labels[i] as number)) rows.push(i);
  const probabilities = new Float32Array(rows.length * CLASSES);
  const energy = new Float32Array(rows.length);
  rows.forEach((row, k) => {
    for (let c = 0; c < CLASSES; c++) probabilities[k * CLASSES + c] = clips.probabilities[row * CLASSES + c] as number;
    energy[k] = clips.energy[row] as number;
  });
  return { probabilities, energy, size: rows.length };
}

/**
 * The calibration and out-of-distribution figures of one labelled set: expected calibration error
 * with its 15-bin reliability table (Guo et al., ICML 2017, eq. 3; confidence = max-softmax, correct
 * = argmax equals the true label) and its sampling floor on this many clips (see `eceSamplingFloor`),
 * the mean negative log-likelihood, and for each unknown rule the
 * separation of command clips from `unknown` clips and from `silence` (non-speech) clips (see
 * {@link rejectionMetrics}).
 *
 * @param clips `[n, 12]` probabilities as served (after the version's temperature) and `[n]` energies.
 * @param labels `[n]` true label indices in `LABELS` order.
 * @param temperature The temperature the probabilities were computed at (recorded, not applied).
 * @throws KwsError `INVALID_ARGUMENT` for an empty set or probabilities that are not finite in [0, 1].
 */
export function trustMetrics(clips: ScoredClips, labels: ArrayLike<number>, temperature = 1): TrustMetrics {
  const { confidences, predicted } = topPredictions(clips.probabilities, clips.size, CLASSES);
  const table = reliabilityTable(confidences, correctness(predicted, labels), DEFAULT_CALIBRATION_BINS);
  const commands = subset(clips, labels, (label) => COMMAND_INDICES.has(label));
  const floor = eceSamplingFloor(confidences, DEFAULT_CALIBRATION_BINS);
  return {
    temperature,
    ece: table.ece,
    eceFloor: floor.mean,
    eceFloorSd: floor.sd,
    reliability: table.bins,
    nll: negativeLogLikelihood(clips.probabilities, labels, CLASSES),
    examples: clips.size,
    unknownRejection: rejectionMetrics(
      commands,
      subset(clips, labels, (label) => label === UNKNOWN),
    ),
    nonSpeechRejection: rejectionMetrics(
      commands,
      subset(clips, labels, (label) => label === SILENCE),
    ),
  };
}
