import type { Label } from '../labels/index.js';
import { KwsError } from '../errors/index.js';
import { featureShape } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import type { ModelGeometry, TtaSpec } from '../engine/index.js';
import type { Thresholds, UnknownScore } from '../inference/index.js';
import type { Architecture, EnsembleCombine } from '../model/index.js';

/** Precision, recall and F1 of one class (one-vs-rest), and its number of true examples. */
export interface ClassScores {
  readonly label: Label;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** The challenge's metric and the per-class view of it. */
export interface EvaluationMetrics {
  /** 12-class accuracy: correct / all (the Kaggle challenge's metric). */
  readonly accuracy: number;
  readonly perClass: readonly ClassScores[];
  /** `confusion[trueIndex][predictedIndex]` counts, indices in {@link LABELS} order. */
  readonly confusion: readonly (readonly number[])[];
  readonly labels: readonly Label[];
  readonly examples: number;
  /** Calibration and out-of-distribution figures (versions trained before they existed have none). */
  readonly trust?: TrustMetrics;
}

/** One bin of a reliability table: the clips whose confidence is in (lower, upper] ([0, upper] for the first bin). */
export interface ReliabilityBin {
  /** Lower edge, (b - 1) / M for bin b of M; exclusive except for the first bin, which holds confidence 0. */
  readonly lower: number;
  /** Upper edge, b / M; inclusive. */
  readonly upper: number;
  /** Clips in the bin. */
  readonly count: number;
  /** Mean confidence of the bin's clips, conf(B_b); null when the bin is empty. */
  readonly meanConfidence: number | null;
  /** Fraction of the bin's clips that are correct, acc(B_b); null when the bin is empty. */
  readonly accuracy: number | null;
}

/**
 * How one unknown rule separates command clips from a set of out-of-distribution clips, as served:
 * a clip counts as answered with a command when its argmax is a command and its score passes.
 */
export interface RejectionMetrics {
  readonly score: UnknownScore;
  /** Area under the ROC curve of command clips against the OOD clips, in [0, 1]; null without clips or scores. */
  readonly auroc: number | null;
  /**
   * Fraction of the OOD clips answered with a command at the threshold that keeps 95 % of command clips;
   * null as `auroc`, and when fewer than 95 % of command clips have a command argmax (`commandRecallCeiling`).
   */
  readonly fprAtTpr95: number | null;
  /** Fraction of command clips whose argmax is a command: no threshold keeps more (a TPR above it is out of reach). */
  readonly commandRecallCeiling: number | null;
  /** OOD clips compared. */
  readonly examples: number;
}

/** Calibration (Guo et al. 2017) and out-of-distribution figures of one labelled set. */
export interface TrustMetrics {
  /** The temperature the probabilities were computed at (1 = the raw softmax). */
  readonly temperature: number;
  /** Expected calibration error over 15 equal-width bins of max-softmax confidence, a fraction. */
  readonly ece: number;
  /**
   * The ECE a perfectly calibrated model with the same confidences would show on this many clips on
   * average (the estimator's upward bias; see `eceSamplingFloor`), a fraction, and its standard
   * deviation. Absent from versions made before it was recorded.
   */
  readonly eceFloor?: number;
  readonly eceFloorSd?: number;
  readonly reliability: readonly ReliabilityBin[];
  /** Mean negative log-likelihood of the true labels, nats. */
  readonly nll: number;
  readonly examples: number;
  /** Command clips against `unknown` clips, per unknown rule. */
  readonly unknownRejection: readonly RejectionMetrics[];
  /** Command clips against `silence` (non-speech) clips, per unknown rule. */
  readonly nonSpeechRejection: readonly RejectionMetrics[];
}

/** One epoch of training. */
export interface EpochRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valAccuracy: number;
  readonly seconds: number;
}

/** Result of {@link calibrateThresholds}. */
export interface Calibration {
  readonly thresholds: Thresholds;
  /** 12-class accuracy with the chosen thresholds. */
  readonly accuracy: number;
  /** 12-class accuracy with no thresholds (the model's argmax). */
  readonly baselineAccuracy: number;
  /** Accuracy for each unknown (max-softmax) threshold of the grid, at the chosen silence threshold. */
  readonly unknownCurve: ReadonlyArray<{ readonly threshold: number; readonly accuracy: number }>;
  /**
   * Accuracy for each energy threshold tried, at the chosen silence threshold (empty when the model
   * gave no energy scores). A threshold of null is off (+Infinity).
   */
  readonly energyCurve?: ReadonlyArray<{ readonly threshold: number | null; readonly accuracy: number }>;
  /**
   * Temperature T of the served probabilities, softmax(logits / T), fitted on validation by
   * temperature scaling (Guo et al. 2017, section 4.2). Absent (1) for versions calibrated before it.
   */
  readonly temperature?: number;
  /** The operating point asked for (`unknownTargetRecall`) and what each rule does there; absent when the thresholds maximise accuracy. */
  readonly operatingPoint?: UnknownOperatingPoint;
  /** Each unknown rule's trade-off on validation (command recall against unknown and silence clips answered with a command). */
  readonly tradeOff?: readonly UnknownTradeOff[];
}

/** One unknown rule at an operating point. */
export interface RuleOperatingPoint {
  readonly score: UnknownScore;
  /** In the rule's units (a max-softmax probability; an energy, unknown above it); null: off, the recall is out of its reach. */
  readonly threshold: number | null;
  /** Share of validation command clips answered with a command at this threshold. */
  readonly commandRecall: number;
  /** Share of validation unknown and silence clips answered with a command at this threshold; null without such clips. */
  readonly outlierRate: number | null;
}

/** Thresholds chosen to keep a stated share of command clips (`unknownTargetRecall`). */
export interface UnknownOperatingPoint {
  /** The share of command clips to keep answered with a command, in (0, 1]. */
  readonly targetRecall: number;
  /** The rule that decides: the one with the lower outlier rate; null when neither reaches the recall. */
  readonly chosen: UnknownScore | null;
  readonly rules: readonly RuleOperatingPoint[];
}

/** One unknown rule's trade-off curve, strictest threshold first. */
export interface UnknownTradeOff {
  readonly score: UnknownScore;
  readonly points: ReadonlyArray<{
    readonly threshold: number | null;
    readonly commandRecall: number;
    readonly outlierRate: number;
  }>;
}

/** Lifecycle of a model version: `training` until its files are complete, then `ready` (immutable), or `failed`; `archived` by hand. */
export type VersionState = 'training' | 'ready' | 'failed' | 'archived';

/**
 * Thresholds as stored in JSON: a disabled silence floor (-Infinity) or energy threshold
 * (+Infinity) is `null`; versions written before the energy score have neither energy field
 * (they decide by max-softmax).
 */
export interface StoredThresholds {
  readonly unknownThreshold: number;
  readonly silenceThresholdDbfs: number | null;
  readonly unknownScore?: UnknownScore;
  readonly unknownEnergyThreshold?: number | null;
}

/**
 * `version.json`, written once into a version folder beside `model.json` and `weights.bin`: what
 * the model is, what it computes its features with, how it decides, how well it did, and how it
 * was made. Serving reads only this folder.
 */
export interface VersionManifest {
  readonly schemaVersion: 1;
  readonly version: number;
  /** The builder's architecture; `imported` for a model trained elsewhere (see `imported`). */
  readonly architecture: Architecture | 'imported';
  /** Output order of the softmax. */
  readonly labels: readonly Label[];
  readonly featureConfig: FeatureConfig;
  readonly thresholds: StoredThresholds;
  readonly metrics: { readonly validation: EvaluationMetrics; readonly testing: EvaluationMetrics | null };
  readonly calibration: Omit<Calibration, 'thresholds'>;
  readonly training: {
    readonly dataDir: string;
    readonly dataFingerprint: string;
    readonly options: Readonly<Record<string, unknown>>;
    readonly history: readonly EpochRecord[];
    readonly bestEpoch: number;
    readonly counts: Readonly<Record<string, number>>;
    readonly backend: string;
    readonly seconds: number;
  };
  /**
   * Present on an ensemble version (`kws ensemble create`): the member versions it runs on every
   * clip, their normalised weights and how their outputs are combined. `architecture` is the first
   * member's. Absent on a single model.
   */
  readonly ensemble?: EnsembleSpec;
  /**
   * Present on a version imported from an external ONNX model (`kws import`): where it came from and
   * how it was wrapped. `architecture` is `imported`; the version has only `model.onnx`.
   */
  readonly imported?: ImportedSpec;
  /**
   * Present on a version trained on every word (`kws train --all-words`): its model outputs one
   * class per word of `vocabulary`, and `groups[w]` is the index in `labels` that word w counts
   * for (see `groupWordOutput`); it serves the 12 labels and the top word.
   */
  readonly words?: WordsSpec;
  /**
   * Present on a version that scores every clip under test-time augmentation (`kws calibrate
   * --tta`): served, bulk-scored, classified and evaluated as the mean over these views, its
   * thresholds calibrated on those means. A request can turn it off (`tta: false`).
   */
  readonly tta?: TtaSpec;
  readonly codeVersion: string;
  readonly createdAt: string;
}

/** The architecture the registry lists for a version: `ensemble` for an ensemble, else its `architecture`. */
export function listedArchitecture(manifest: Pick<VersionManifest, 'architecture' | 'ensemble'>): string {
  return manifest.ensemble === undefined ? manifest.architecture : 'ensemble';
}

/** Where an imported version's model came from, and what `wrapImportedOnnx` found in it. */
export interface ImportedSpec {
  /** The file's name as given (not its folder). */
  readonly source: string;
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
  readonly bytes: number;
  readonly opset: number;
  readonly inputName: string;
  /** Declared input dims, the batch axis first; null for a symbolic dim. */
  readonly inputShape: readonly (number | null)[];
  readonly layout: 'frames-bins' | 'channel-frames-bins' | 'frames-bins-channel' | 'samples' | 'channel-samples';
  readonly outputName: string;
  /** What that output holds: `logits` (softmax added; energy score available) or `probabilities`. */
  readonly output: 'logits' | 'probabilities';
  /** The model's output classes in its own order (kws-serve reorders them into `labels`). */
  readonly modelLabels: readonly string[];
}

/** The words of a model trained on every word, and the label each counts for. */
export interface WordsSpec {
  /** The model's output classes, in order: the commands, `silence`, `_unknown_` (words it never trained on) and every other word. */
  readonly vocabulary: readonly string[];
  /** `[vocabulary.length]` index in the version's `labels` of each word. */
  readonly groups: readonly number[];
}

/**
 * The input and output geometry a version's model runs with: its features' `[frames, bins]`, its
 * labels and, for a model of words, the label of each word.
 *
 * @throws KwsError `MALFORMED` for `words` whose groups are not one label index per word, or a `tta`
 *   that is not two lists of numbers.
 */
export function versionGeometry(
  manifest: Pick<VersionManifest, 'featureConfig' | 'labels' | 'words' | 'tta'>,
): ModelGeometry {
  const tta = manifest.tta;
  const numbers = (v: unknown): boolean =>
    Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (tta !== undefined && (typeof tta !== 'object' || tta === null || !numbers(tta.shiftsMs) || !numbers(tta.gainsDb)))
    throw new KwsError('MALFORMED', 'version.json tta must hold shiftsMs and gainsDb, lists of numbers');
  const words = manifest.words;
  if (
    words !== undefined &&
    (!Array.isArray(words.groups) ||
      !Array.isArray(words.vocabulary) ||
      words.groups.length !== words.vocabulary.length ||
      !words.groups.every((g) => Number.isInteger(g) && g >= 0 && g < manifest.labels.length))
  )
    throw new KwsError(
      'MALFORMED',
      `version.json words must name one label index (0 to ${manifest.labels.length - 1}) per word of its vocabulary`,
    );
  return {
    ...featureShape(manifest.featureConfig),
    classes: manifest.labels.length,
    ...(manifest.words === undefined ? {} : { words: manifest.words.groups }),
  };
}

/** What an ensemble version is made of (see `buildEnsemble`). */
export interface EnsembleSpec {
  readonly members: readonly number[];
  /** One per member, in `members` order, summing to 1. */
  readonly weights: readonly number[];
  readonly combine: EnsembleCombine;
  /** Each member's temperature, folded into the ensemble (in `members` order). */
  readonly memberTemperatures: readonly number[];
  /**
   * How it runs: `graph`, one merged TF.js layers model and `model.onnx` (members trained by
   * kws-serve); `sessions`, each member's ONNX model in `members/`, run one after another by
   * onnxruntime on the same features and combined (an imported member; see `SessionEnsembleSpec`).
   * Absent: `graph` (versions made before sessions existed).
   */
  readonly form?: 'graph' | 'sessions';
}

/** A calibration as `version.json` keeps it: everything but the thresholds, which the manifest stores on their own. */
export function storeCalibration(calibration: Calibration): Omit<Calibration, 'thresholds'> {
  const { accuracy, baselineAccuracy, unknownCurve, energyCurve, temperature, operatingPoint, tradeOff } = calibration;
  return {
    accuracy,
    baselineAccuracy,
    unknownCurve,
    energyCurve: energyCurve ?? [],
    ...(temperature === undefined ? {} : { temperature }),
    ...(operatingPoint === undefined ? {} : { operatingPoint }),
    ...(tradeOff === undefined ? {} : { tradeOff }),
  };
}

/** Thresholds for JSON. */
export function storeThresholds(thresholds: Thresholds): StoredThresholds {
  const energy = thresholds.unknownEnergyThreshold ?? Number.POSITIVE_INFINITY;
  return {
    unknownThreshold: thresholds.unknownThreshold,
    silenceThresholdDbfs: Number.isFinite(thresholds.silenceThresholdDbfs) ? thresholds.silenceThresholdDbfs : null,
    unknownScore: thresholds.unknownScore ?? 'maxSoftmax',
    unknownEnergyThreshold: Number.isFinite(energy) ? energy : null,
  };
}

/** Thresholds from JSON. */
export function restoreThresholds(stored: StoredThresholds): Thresholds {
  return {
    unknownThreshold: stored.unknownThreshold,
    silenceThresholdDbfs: stored.silenceThresholdDbfs ?? Number.NEGATIVE_INFINITY,
    unknownScore: stored.unknownScore ?? 'maxSoftmax',
    unknownEnergyThreshold: stored.unknownEnergyThreshold ?? Number.POSITIVE_INFINITY,
  };
}
