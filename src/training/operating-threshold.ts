import { COMMAND_WORDS, labelIndex } from '../labels/index.js';
import type { Thresholds, UnknownScore } from '../inference/index.js';
import type { RuleOperatingPoint, UnknownOperatingPoint, UnknownTradeOff } from '../registry/index.js';
import { rocCurve, thinCurve, thresholdAtTpr } from './ood-metrics.js';
import { floorOf, servedCommandScores } from './trust.js';
import type { ScoredClips } from './trust.js';

/** Points kept of each rule's trade-off curve in `version.json`. */
export const TRADE_OFF_POINTS = 51;

const COMMANDS = new Set<number>(COMMAND_WORDS.map((w) => labelIndex(w)));

/** Clip levels and the silence floor: a clip quieter than the floor is `silence`, never a command. */
export interface ClipLevels {
  /** `[n]` RMS levels, dBFS. */
  readonly rmsDbfs: ArrayLike<number>;
  /** The version's silence floor, dBFS (-Infinity: none). */
  readonly silenceFloorDbfs: number;
}

/**
 * The served command scores of the command clips and of the other clips (unknown and silence; may
 * be empty): a clip below the silence floor scores as one whose argmax is not a command. Null
 * without scores or without command clips.
 */
function split(
  clips: ScoredClips,
  labels: ArrayLike<number>,
  score: UnknownScore,
  levels: ClipLevels | null,
): { commands: number[]; others: number[]; floor: number } | null {
  const floor = floorOf([clips], score);
  const scores = servedCommandScores(clips, score, floor);
  if (scores === null) return null;
  const commands: number[] = [];
  const others: number[] = [];
  scores.forEach((s, i) => {
    const silent = levels !== null && (levels.rmsDbfs[i] as number) < levels.silenceFloorDbfs;
    (COMMANDS.has(labels[i] as number) ? commands : others).push(silent ? floor : s);
  });
  return commands.length === 0 ? null : { commands, others, floor };
}

/** A served-score threshold in the rule's own units: the max-softmax probability, or the energy E = -score. */
const ruleThreshold = (score: UnknownScore, t: number): number | null =>
  Number.isFinite(t) ? (score === 'energy' ? -t : t) : null;

/**
 * Each unknown rule's trade-off on a labelled set (normally validation), as served: from the
 * strictest threshold to the loosest, the share of command clips answered with a command
 * (`commandRecall`) against the share of unknown and silence clips answered with one
 * (`outlierRate`), thinned to {@link TRADE_OFF_POINTS} points; with `levels`, a clip below the silence
 * floor is never answered with a command. Thresholds are in the rule's units (a
 * max-softmax probability; an energy, unknown above it); null is "keep none". A rule without scores
 * (no energies) is left out.
 *
 * @param clips `[n, 12]` probabilities as served and `[n]` energies; `labels` `[n]` true label indices.
 */
export function unknownTradeOff(
  clips: ScoredClips,
  labels: ArrayLike<number>,
  levels: ClipLevels | null = null,
): UnknownTradeOff[] {
  const scores: UnknownScore[] = ['maxSoftmax', 'energy'];
  return scores.flatMap((score) => {
    const sets = split(clips, labels, score, levels);
    if (sets === null || sets.others.length === 0) return [];
    // Every distinct threshold above the floor (the first, +Infinity, keeps nothing), then thinned once.
    const points = thinCurve(
      rocCurve(sets.commands, sets.others, Number.MAX_SAFE_INTEGER).filter(
        (p) => Number.isFinite(p.threshold) && p.threshold > sets.floor,
      ),
      TRADE_OFF_POINTS,
    );
    return [
      {
        score,
        points: points.map((p) => ({
          threshold: ruleThreshold(score, p.threshold),
          commandRecall: p.tpr,
          outlierRate: p.fpr,
        })),
      },
    ];
  });
}

/**
 * The unknown thresholds for an operating point a user states: keep `targetRecall` of the command
 * clips answered with a command. Per rule, the largest threshold that keeps at least that share of
 * the command clips (see `thresholdAtTpr`; off when no threshold can, because fewer command clips
 * have a command argmax), and its rate of unknown and silence clips answered with a command; the
 * rule with the lower rate decides (max-softmax on a tie; the rate is null without such clips). The
 * silence floor of `base` is kept, and with `levels` a command clip below it counts as not kept.
 *
 * @param base The thresholds to start from (the silence floor is kept).
 * @param targetRecall In (0, 1].
 * @returns The thresholds, and what each rule does at that recall.
 */
export function thresholdsAtRecall(
  base: Thresholds,
  clips: ScoredClips,
  labels: ArrayLike<number>,
  targetRecall: number,
  levels: ClipLevels | null = null,
): { thresholds: Thresholds; operatingPoint: UnknownOperatingPoint } {
  const rules: RuleOperatingPoint[] = [];
  for (const score of ['maxSoftmax', 'energy'] as const) {
    const sets = split(clips, labels, score, levels);
    if (sets === null) continue;
    const t = thresholdAtTpr(sets.commands, targetRecall);
    const reachable = t > sets.floor;
    // Off (no threshold) where the recall is out of reach: then only the argmax decides.
    const limit = reachable ? t : Number.NEGATIVE_INFINITY;
    const kept = (values: readonly number[]): number | null =>
      values.length === 0 ? null : values.filter((s) => s > sets.floor && s >= limit).length / values.length;
    rules.push({
      score,
      threshold: reachable ? ruleThreshold(score, t) : null,
      commandRecall: kept(sets.commands) ?? 0,
      outlierRate: kept(sets.others),
    });
  }
  const usable = rules.filter((r) => r.threshold !== null);
  const chosen = usable.reduce<RuleOperatingPoint | null>(
    (best, r) => (best === null || (r.outlierRate ?? 0) < (best.outlierRate ?? 0) ? r : best),
    null,
  );
  const softmax = rules.find((r) => r.score === 'maxSoftmax')?.threshold ?? 0;
  const energy = rules.find((r) => r.score === 'energy')?.threshold ?? Number.POSITIVE_INFINITY;
  const thresholds: Thresholds = {
    ...base,
    unknownScore: chosen?.score ?? 'maxSoftmax',
    unknownThreshold: Math.min(1, Math.max(0, softmax)),
    unknownEnergyThreshold: energy,
  };
  return { thresholds, operatingPoint: { targetRecall, chosen: chosen?.score ?? null, rules } };
}
