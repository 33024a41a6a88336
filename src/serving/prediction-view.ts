import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import { describeTta } from '../engine/index.js';
import type { TtaSpec } from '../engine/index.js';
import { decide } from '../inference/index.js';
import type { DecisionReason, Thresholds } from '../inference/index.js';
import type { StoredPrediction } from '../storage/index.js';
import type { SignalShape } from '../features/index.js';
import { storeThresholds } from '../registry/index.js';
import type { StoredThresholds } from '../registry/index.js';

/** One clip's model output as stored (a {@link StoredPrediction}) or just computed: `[12]` probabilities, level, energy. */
export type ClipScores = Pick<
  StoredPrediction,
  'rmsDbfs' | 'energy' | 'modelVersion' | 'latencyMs' | 'topWord' | 'shape'
> & {
  readonly probabilities: ArrayLike<number>;
  /** The test-time augmentation the probabilities and energy were averaged over; absent or null: none. */
  readonly tta?: TtaSpec | null;
};

/** A prediction with thresholds applied: what the APIs return. */
export interface PredictionView {
  readonly label: Label;
  readonly rawLabel: Label;
  /** Max-softmax probability. */
  readonly confidence: number;
  /** All 12 probabilities in {@link LABELS} order. */
  readonly probabilities: ReadonlyArray<{ readonly label: Label; readonly probability: number }>;
  readonly isSilence: boolean;
  readonly isUnknown: boolean;
  readonly reason: DecisionReason;
  /** RMS of the fitted clip, dBFS. */
  readonly rmsDbfs: number;
  /** Energy score E(x) = -logsumexp(logits) (Liu et al. 2020); null when the version's model has none. */
  readonly energy: number | null;
  /**
   * The clip's `SignalShape`: tonality, the first quartile of a frame's share of power within ±62.5 Hz of its
   * strongest bin, in [0, 1]; null for a prediction stored before it was kept. With
   * {@link stationarity}, what the non-speech rule reads (`NON_SPEECH_LIMITS`).
   */
  readonly peakConcentration: number | null;
  /** Spectral stationarity, the first quartile of the frames' cosine similarities to the clip's mean spectrum, in [0, 1]; null as above. */
  readonly stationarity: number | null;
  readonly modelVersion: number;
  /** Time from request to model output when the prediction was computed, ms. */
  readonly latencyMs: number;
  /** The test-time augmentation averaged over (`describeTta`, e.g. `shifts -100, 100 ms; gains 6 dB`); null: the clip alone. */
  readonly tta: string | null;
  /** For a version trained on every word (`kws train --all-words`), the most probable word, e.g. `marvin`; null otherwise. */
  readonly topWord: string | null;
  readonly thresholds: Thresholds;
}

/**
 * The one mapping from a stored model output to what every adapter shows (REST, GraphQL, `kws
 * classify`, the dashboard): the thresholds' decision, the 12 probabilities in {@link LABELS} order,
 * the flags and the reason. `stored.probabilities` is `[12]` softmax output; `energy` NaN when none.
 */
export function toPredictionView(stored: ClipScores, thresholds: Thresholds): PredictionView {
  const decision = decide(stored.probabilities, stored.rmsDbfs, thresholds, 0, stored.energy, stored.shape);
  return {
    label: decision.label,
    rawLabel: decision.rawLabel,
    confidence: decision.confidence,
    probabilities: LABELS.map((label, i) => ({ label, probability: stored.probabilities[i] ?? 0 })),
    isSilence: decision.label === 'silence',
    isUnknown: decision.label === 'unknown',
    reason: decision.reason,
    rmsDbfs: stored.rmsDbfs,
    energy: Number.isFinite(stored.energy) ? stored.energy : null,
    peakConcentration: stored.shape?.peakConcentration ?? null,
    stationarity: stored.shape?.stationarity ?? null,
    modelVersion: stored.modelVersion,
    latencyMs: stored.latencyMs,
    tta: stored.tta === null || stored.tta === undefined ? null : describeTta(stored.tta),
    topWord: stored.topWord ?? null,
    thresholds,
  };
}

/** `[12]` probabilities as an object keyed by label, in {@link LABELS} order (REST JSON and `kws classify --json`). */
export function probabilitiesByLabel(view: Pick<PredictionView, 'probabilities'>): Record<Label, number> {
  return Object.fromEntries(view.probabilities.map((p) => [p.label, p.probability])) as Record<Label, number>;
}

/** The thresholds an answer applied, as REST JSON and `kws classify --json` show them. */
export interface ThresholdsJson extends StoredThresholds {
  /** Whether the non-speech rule (`isNonSpeech`) applied to the answer. */
  readonly nonSpeechRule: boolean;
}

/**
 * The thresholds an answer applied as JSON: disabled limits as null (as `version.json` stores them)
 * and whether the non-speech rule applied. Shared by REST and `kws classify --json`, so both show the
 * same object for the same request.
 */
export function thresholdsJson(thresholds: Thresholds): ThresholdsJson {
  return { ...storeThresholds(thresholds), nonSpeechRule: thresholds.nonSpeechRule !== false };
}

/** A version's own test-time augmentation as one line (`describeTta`), or null when it has none. */
export function versionTtaDescription(manifest: { readonly tta?: TtaSpec }): string | null {
  return manifest.tta === undefined ? null : describeTta(manifest.tta);
}

/** The `SignalShape` a view shows (to store it again), or null when it has none. */
export function viewShape(view: Pick<PredictionView, 'peakConcentration' | 'stationarity'>): SignalShape | null {
  return view.peakConcentration === null || view.stationarity === null
    ? null
    : { peakConcentration: view.peakConcentration, stationarity: view.stationarity };
}
