import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveAugmentConfig, resolveDatasetOptions, scanSpeechCommands } from '../data/index.js';
import type { AugmentConfig, DatasetOptions, SpeechCommandsDataset, WordExample } from '../data/index.js';
import { FeatureError, KwsError } from '../errors/index.js';
import { featureShape, resolveFeatureConfig } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { LABELS } from '../labels/index.js';
import { ARCHITECTURES } from '../model/index.js';
import type { Architecture, ModelOptions } from '../model/index.js';
import type { ModelOutput, TfjsBackendName } from '../engine/index.js';
import type { EpochRecord } from '../registry/index.js';
import { checkDeclaredValue } from './option-declaration.js';
import type { OptionDeclaration, OptionSpec } from './option-declaration.js';

/**
 * Options of {@link trainModel}; every field but `dataDir` has a default. The options a caller sets
 * by value are declared once in {@link TRAIN_OPTIONS} (kind, unit, default, range, surface names).
 */
export interface TrainOptions {
  /** Speech Commands dataset folder. Required. */
  readonly dataDir: string;
  /** Model architecture (width and depth). Default `tc-resnet8`. */
  readonly architecture?: Architecture;
  /** Most epochs; early stopping may end sooner. Unit: epochs. Default 30. */
  readonly epochs?: number;
  /** Clips per optimiser step. Unit: clips. Default 64. */
  readonly batchSize?: number;
  /** Adam learning rate (Kingma and Ba 2015), in (0, 1). Default 1e-3. */
  readonly learningRate?: number;
  /** Class-balanced sampling instead of plain shuffling. Default false. */
  readonly balanced?: boolean;
  /** Stop after this many epochs without a better validation accuracy. Unit: epochs. Default 5. */
  readonly patience?: number;
  /** Seed of weights, sampling and augmentation, a 32-bit integer. Default 1. */
  readonly seed?: number;
  /**
   * Operating point of the unknown rule: the share of validation command clips it must keep answered
   * with a command, in (0, 1]; the rule and threshold with the fewest unknown and silence clips
   * answered with a command at that recall are chosen. Default: none, thresholds maximise validation
   * accuracy.
   */
  readonly unknownTargetRecall?: number;
  /**
   * Weight λ of the outlier-exposure term (Hendrycks et al. 2019; see `outlierExposureLoss`): on
   * `unknown` and `silence` clips, the cross-entropy from uniform to the command distribution is
   * added, times λ, to the loss. Default 0 (plain cross-entropy).
   */
  readonly outlierExposure?: number;
  /**
   * Weight λ of knowledge distillation (Hinton, Vinyals and Dean 2015, at temperature 1) from
   * `teacherModel`: on each training clip whose label is the teacher's top class, the target is
   * `(1 − λ)·onehot + λ·p_teacher` (the teacher's probabilities on the same augmented features, in
   * inference mode); other clips keep their one-hot label. The cross-entropy to that target is the
   * label's cross-entropy plus λ times the KL divergence to the teacher, up to a constant. Used to
   * learn new data without forgetting what the teacher got right ("learning without forgetting",
   * Li and Hoiem 2016). In (0, 1]. Default `DEFAULT_DISTILL_WEIGHT` (0.5) with a teacher; ignored without one.
   */
  readonly distillWeight?: number;
  /**
   * The teacher of `distillWeight`: a model over the same features with the same 12 outputs
   * (softmax probabilities), any architecture. The caller keeps ownership. Default: none.
   */
  readonly teacherModel?: tfl.LayersModel;
  /**
   * A teacher given by its raw outputs instead (`LoadedVersion.raw`: a version with no TF.js model,
   * an imported model or a session ensemble, run by onnxruntime on each batch's features). Not with
   * `teacherModel`. Default: none.
   */
  readonly teacherPredictor?: (features: Float32Array, batch: number) => ModelOutput | Promise<ModelOutput>;
  /** Augmentation of training clips: AugmentConfig fields (each with its own unit and default). Default: none set, AugmentConfig's defaults. */
  readonly augment?: Partial<AugmentConfig>;
  /**
   * Feature front end: FeatureConfig fields (e.g. `{ type: 'pcen' }`), stored with the version and
   * recomputed by serving. Ignored with a base version, whose features are kept. Default: none set,
   * FeatureConfig's defaults (98 × 40 log-mel).
   */
  readonly features?: Partial<FeatureConfig>;
  /** How the dataset is split and sampled. Default: DatasetOptions' defaults. */
  readonly dataset?: DatasetOptions;
  /** Dropout and L2 of the model. Default: ModelOptions' defaults. */
  readonly model?: ModelOptions;
  /**
   * Start from these weights instead of a fresh model (a base version's model, whose architecture
   * and features the caller passes too). The trainer takes ownership: the result's `model` is it.
   * Default: none, a fresh model.
   */
  readonly initialModel?: tfl.LayersModel;
  /**
   * With `initialModel`: freeze everything below the classifier head (the `logits` dense layer) and
   * train only the head on the frozen embedding, computed in inference mode (transfer learning, as
   * TF.js speech-commands does). Fast, and no weight below the head changes. Default false.
   */
  readonly fineTuneOnly?: boolean;
  /**
   * Train even when the training split has no example of some of the 12 classes (a model that can
   * never predict them, e.g. a fine-tune on a few words of one's own). Default false: refused.
   */
  readonly allowMissingClasses?: boolean;
  /**
   * Fewest training clips for which the augmented batches are made ahead on a worker thread (where
   * there is a second core); the batches are the same either way. Unit: clips. Default
   * `MIN_WORKER_CLIPS` (2,048). Not a declared option: for tests and benchmarks.
   */
  readonly batchWorkerMinClips?: number;
  /**
   * Threads that compute each step (synchronous data-parallel training, see `DataParallelSteps`):
   * the batch is cut into this many shards, each thread computes its shard's gradient, and the
   * averaged gradient is applied on every thread. Batch normalisation normalises each shard over its
   * own clips, so the result depends on this number (it is recorded with the version). With the
   * native `tensorflow` backend, which uses every core by itself, training runs on 1 thread; more
   * than 1 is refused with `fineTuneOnly`. Pays only where cores are left over beyond the training
   * step and the input pipeline's thread (not on 2 cores: see README "Benchmarks"). Default 1.
   */
  readonly threads?: number;
  /**
   * Train a model of every word (the challenge's winners' recipe): one class per word folder of the
   * training split (`wordVocabulary`), every clip of every word in training, served as the 12 labels
   * with each non-command word's probability summed into `unknown` (`groupWordOutput`). Default false.
   */
  readonly allWords?: boolean;
  /** With `allWords`, these words (a base version's vocabulary) instead of the dataset's. Not a declared option. */
  readonly wordVocabulary?: readonly string[];
  /**
   * Examples added to the training split (pseudo-labels from `selectPseudoLabels`, which
   * `trainVersion` makes from `pseudoLabelDir`). Not a declared option. Default: none.
   */
  readonly extraTraining?: readonly WordExample[];
  /** Called as work progresses. Default: none. */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Called after each epoch with its record. Default: none. */
  readonly onEpoch?: (record: EpochRecord, epochs: number) => void;
}

/** A progress report of {@link trainModel}. */
export interface TrainProgress {
  readonly phase: 'loading' | 'training' | 'evaluating';
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly steps: number;
  /** Mean training loss and accuracy of the epoch so far (training), of the best epoch (evaluating); null while loading. */
  readonly loss: number | null;
  readonly accuracy: number | null;
  /** Validation accuracy of the last finished epoch, when there is one. */
  readonly valAccuracy: number | null;
  /** Estimated seconds left (at most `epochs` epochs). */
  readonly etaSeconds: number;
}

/** The TF.js backends training may start at, in the order it falls back. */
const TFJS_BACKENDS = Object.keys({ tensorflow: true, wasm: true, cpu: true } satisfies Record<
  TfjsBackendName,
  true
>) as readonly TfjsBackendName[];

/** A declaration per option of {@link trainVersion} that is set by value, typed by that option. */
type TrainOptionTable = {
  readonly [K in keyof TrainVersionOptions]?: OptionDeclaration<NonNullable<TrainVersionOptions[K]>>;
};

/**
 * The training options, declared once: `kws train`'s flags, GraphQL `RetrainInput`'s fields, the
 * job input, the defaults and {@link validateTrainOptions} are derived from this table. Where a
 * surface names an option differently by contract, its alias is here (`--lr`, `balancedSampling`).
 */
export const TRAIN_OPTIONS = {
  dataDir: {
    kind: 'path',
    description: 'Speech Commands dataset folder',
    required: true,
    cli: { flag: 'data', value: 'dir', note: 'see kws dataset' },
    graphql: { field: 'dataDir', note: 'an absolute path, inside a root the server may read' },
  },
  architecture: {
    kind: 'enum',
    description: 'model architecture (width and depth)',
    default: 'tc-resnet8',
    choices: ARCHITECTURES,
    cli: { flag: 'arch', value: 'name' },
    graphql: { field: 'architecture', note: 'ignored with baseVersion' },
  },
  epochs: {
    kind: 'integer',
    description: 'most epochs (early stopping may end sooner)',
    unit: 'epochs',
    default: 30,
    range: { min: 1, max: 10_000 },
    cli: { flag: 'epochs', value: 'n' },
    graphql: { field: 'epochs' },
  },
  batchSize: {
    kind: 'integer',
    description: 'clips per optimiser step',
    unit: 'clips',
    default: 64,
    range: { min: 1, max: 4096 },
    cli: { flag: 'batch-size', value: 'n' },
    graphql: { field: 'batchSize' },
  },
  learningRate: {
    kind: 'number',
    description: 'Adam learning rate',
    default: 1e-3,
    range: { min: 0, max: 1, minOpen: true, maxOpen: true },
    cli: { flag: 'lr', value: 'x' },
    graphql: { field: 'learningRate' },
  },
  balanced: {
    kind: 'boolean',
    description: 'class-balanced sampling instead of plain shuffling',
    default: false,
    cli: { flag: 'balanced' },
    graphql: { field: 'balancedSampling' },
  },
  patience: {
    kind: 'integer',
    description: 'epochs without a better validation accuracy before stopping',
    unit: 'epochs',
    default: 5,
    range: { min: 1, max: 10_000 },
    cli: { flag: 'patience', value: 'n' },
    graphql: { field: 'patience' },
  },
  seed: {
    kind: 'integer',
    description: 'seed of weights, sampling and augmentation',
    default: 1,
    range: { min: -(2 ** 31), max: 2 ** 31 - 1 },
    cli: { flag: 'seed', value: 's' },
    graphql: { field: 'seed' },
  },
  augment: {
    kind: 'json',
    description: 'augmentation of training clips (AugmentConfig fields; omitted ones keep their defaults)',
    json: { typeName: 'AugmentConfig', example: '{"noiseProbability":0.5}', check: resolveAugmentConfig },
    cli: { flag: 'augment', value: 'json' },
    graphql: { field: 'augmentation' },
  },
  features: {
    kind: 'json',
    description:
      'feature front end (FeatureConfig fields, e.g. type: log-mel, mfcc or pcen; omitted ones keep their defaults), stored with the version',
    json: {
      typeName: 'FeatureConfig',
      example: '{"type":"pcen"}',
      check: (value: Partial<FeatureConfig>) => {
        resolveFeatureConfig(value);
      },
    },
    cli: { flag: 'features', value: 'json', note: 'ignored with --base-version' },
    graphql: { field: 'features', note: 'ignored with baseVersion' },
  },
  baseVersion: {
    kind: 'integer',
    description: "start from this ready version's weights, architecture and features",
    range: { min: 1, max: 2 ** 31 - 1 },
    cli: { flag: 'base-version', value: 'v', note: '--arch is ignored' },
    graphql: { field: 'baseVersion' },
  },
  fineTuneOnly: {
    kind: 'boolean',
    description: 'with a base version: train only the classifier head (transfer learning)',
    default: false,
    cli: null,
    graphql: { field: 'fineTuneOnly' },
  },
  allowMissingClasses: {
    kind: 'boolean',
    description: 'train even when the training split has no example of some of the 12 classes',
    default: false,
    cli: { flag: 'allow-missing-classes' },
    graphql: { field: 'allowMissingClasses', note: 'otherwise the job fails naming them' },
  },
  dataset: {
    kind: 'json',
    description:
      'how the dataset is split and sampled (DatasetOptions fields, e.g. unknownPercentage: unknown-word examples per split, percent of its command examples)',
    json: {
      typeName: 'DatasetOptions',
      example: '{"unknownPercentage":50}',
      check: (value: DatasetOptions) => {
        resolveDatasetOptions(value);
      },
    },
    cli: { flag: 'dataset', value: 'json' },
    graphql: { field: 'dataset' },
  },
  unknownTargetRecall: {
    kind: 'number',
    description:
      'operating point of the unknown rule: the share of validation command clips kept answered with a command (default: thresholds maximise validation accuracy)',
    range: { min: 0, max: 1, minOpen: true },
    cli: { flag: 'unknown-target-recall', value: 'p' },
    graphql: { field: 'unknownTargetRecall', note: 'e.g. 0.95' },
  },
  outlierExposure: {
    kind: 'number',
    description:
      'weight of the outlier-exposure loss term (Hendrycks et al. 2019): on unknown and silence clips, the cross-entropy from uniform to the command probabilities (default 0: plain cross-entropy)',
    range: { min: 0, max: 10 },
    cli: { flag: 'outlier-exposure', value: 'weight' },
    graphql: { field: 'outlierExposure', note: 'the paper uses 0.5' },
  },
  distillFrom: {
    kind: 'integer',
    description:
      "teacher version of knowledge distillation: on clips whose label is the teacher's top class, the target mixes in the teacher's probabilities (same features and labels; any architecture; default: none)",
    range: { min: 1, max: 2 ** 31 - 1 },
    cli: { flag: 'distill-from', value: 'v' },
    graphql: { field: 'distillFrom' },
  },
  distillWeight: {
    kind: 'number',
    description:
      'with a teacher: weight of its probabilities in the target (Hinton et al. 2015, temperature 1); default 0.5',
    range: { min: 0, max: 1, minOpen: true },
    cli: { flag: 'distill-weight', value: 'w' },
    graphql: { field: 'distillWeight', note: 'needs distillFrom' },
  },
  allWords: {
    kind: 'boolean',
    description:
      'train on every word (one class per word folder, every clip), served as the 12 labels with the non-command words summed into unknown, and the top word',
    default: false,
    cli: { flag: 'all-words', note: 'pairs well with --balanced' },
    graphql: { field: 'allWords' },
  },
  pseudoLabelDir: {
    kind: 'path',
    description:
      'pseudo-labelling (Lee 2013): an unlabelled folder (a Kaggle test folder) whose clips pseudoLabelFrom labels with confidence are added to the training split',
    cli: { flag: 'pseudo-label-dir', value: 'dir' },
    graphql: {
      field: 'pseudoLabelDir',
      note: 'an absolute path, inside a root the server may read; needs pseudoLabelFrom',
    },
  },
  pseudoLabelFrom: {
    kind: 'integer',
    description: 'the version (any, an ensemble too) that labels pseudoLabelDir, with its temperature and thresholds',
    range: { min: 1, max: 2 ** 31 - 1 },
    cli: { flag: 'pseudo-label-from', value: 'v' },
    graphql: { field: 'pseudoLabelFrom' },
  },
  pseudoLabelConfidence: {
    kind: 'number',
    description: 'max-softmax probability a pseudo-labelled clip needs (default 0.95)',
    range: { min: 0, max: 1, minOpen: true },
    cli: { flag: 'pseudo-label-confidence', value: 'p' },
    graphql: { field: 'pseudoLabelConfidence' },
  },
  pseudoLabelMaxPerClass: {
    kind: 'integer',
    description:
      "most pseudo-labelled clips added per class, the most confident first (default: the class's labelled training count, so no class more than doubles)",
    unit: 'clips',
    range: { min: 1, max: 10_000_000 },
    cli: { flag: 'pseudo-label-max-per-class', value: 'n' },
    graphql: { field: 'pseudoLabelMaxPerClass' },
  },
  threads: {
    kind: 'integer',
    description:
      'threads that compute each step (data-parallel: one shard of the batch each, with its own batch-norm statistics; the native tensorflow backend uses 1)',
    default: 1,
    range: { min: 1, max: 32 },
    cli: { flag: 'threads', value: 'n', note: 'pays with more than 2 cores and 64 clips a thread' },
    graphql: { field: 'threads' },
  },
  backend: {
    kind: 'enum',
    description: 'first TF.js backend to try (falls back to wasm, then cpu)',
    default: 'tensorflow',
    choices: TFJS_BACKENDS,
    cli: { flag: 'backend', value: 'name' },
    graphql: null,
  },
} as const satisfies TrainOptionTable;

/** `distillWeight` when a teacher is given without one: the teacher's and the label's halves of the target equal. */
export const DEFAULT_DISTILL_WEIGHT = 0.5;

/** The name of a declared training option (a key of {@link TRAIN_OPTIONS}). */
export type TrainOptionName = keyof typeof TRAIN_OPTIONS;

/** The declared options with a default. */
type DefaultedOption = {
  readonly [K in TrainOptionName]: (typeof TRAIN_OPTIONS)[K] extends { readonly default: unknown } ? K : never;
}[TrainOptionName];

/** The defaults of the declared training options, from {@link TRAIN_OPTIONS}. */
export const TRAIN_OPTION_DEFAULTS = Object.freeze(
  Object.fromEntries(
    trainOptionEntries().flatMap(([name, declaration]) =>
      declaration.default === undefined ? [] : [[name, declaration.default]],
    ),
  ),
) as { readonly [K in DefaultedOption]: NonNullable<TrainVersionOptions[K]> };

/** [name, declaration] of every declared training option, in declaration order. */
export function trainOptionEntries(): ReadonlyArray<readonly [TrainOptionName, OptionSpec]> {
  return Object.entries(TRAIN_OPTIONS) as Array<[TrainOptionName, OptionSpec]>;
}

/** The declared options that training takes by value: what a job stores and a command passes on. */
export type TrainRequest = Pick<TrainVersionOptions, TrainOptionName>;

/** An option's name in the job input (GraphQL `RetrainInput`): its GraphQL alias, else its own name. */
type RetrainKey<K extends TrainOptionName> = (typeof TRAIN_OPTIONS)[K]['graphql'] extends {
  readonly field: infer F extends string;
}
  ? F
  : K;

/**
 * The input of a training job (GraphQL `RetrainInput`, plus `backend`, which GraphQL does not
 * offer): the declared options under their GraphQL names, each optional and nullable but `dataDir`.
 */
export type RetrainInputOptions = { readonly dataDir: string } & {
  readonly [K in Exclude<TrainOptionName, 'dataDir'> as RetrainKey<K>]?: NonNullable<TrainVersionOptions[K]> | null;
};

/** Reads the declared options from `input` by their surface names; omitted and null values are left out, as are null fields of objects. */
function fromSurface(
  input: Readonly<Record<string, unknown>>,
  key: (name: TrainOptionName, declaration: OptionSpec) => string | null,
): TrainRequest {
  const out: Record<string, unknown> = {};
  for (const [name, declaration] of trainOptionEntries()) {
    const at = key(name, declaration);
    const value = at === null ? undefined : input[at];
    if (value === undefined || value === null) continue;
    out[name] =
      declaration.kind === 'json' && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined))
        : value;
  }
  return out as TrainRequest;
}

/**
 * The training options of a job input (GraphQL `RetrainInput`'s names: `balancedSampling` becomes
 * `balanced`, `augmentation` `augment`). Omitted and null fields are left out (training's defaults
 * apply); nothing is checked here (see {@link validateTrainOptions}).
 */
export function trainOptionsFromRetrainInput(input: RetrainInputOptions): TrainRequest {
  return fromSurface(input, (name, declaration) => declaration.graphql?.field ?? name);
}

/** commander's name of a flag's value: `batch-size` is `batchSize`. */
export function cliAttributeName(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The training options of `kws train`'s parsed flags (commander's values by attribute name: `lr`
 * becomes `learningRate`). Flags that are not training options (`--json`...) are ignored; nothing
 * is checked here beyond what the flags' parsers did.
 */
export function trainOptionsFromCliValues(values: Readonly<Record<string, unknown>>): TrainRequest {
  return fromSurface(values, (_name, declaration) =>
    declaration.cli === null ? null : cliAttributeName(declaration.cli.flag),
  );
}

/** The numbers and the architecture {@link validateTrainOptions} returns, defaults filled in. */
export interface CheckedTrainOptions {
  readonly architecture: Architecture;
  /** Unit: epochs. */
  readonly epochs: number;
  /** Unit: clips. */
  readonly batchSize: number;
  readonly learningRate: number;
  /** Unit: epochs. */
  readonly patience: number;
  readonly seed: number;
  /** Unit: threads. */
  readonly threads: number;
}

/** SpecAugment masks must fit the features: a mask as wide as the input would blank whole clips. */
function checkMasks(augment: AugmentConfig, features: FeatureConfig): void {
  const { frames, bins } = featureShape(features);
  if (augment.timeMasks > 0 && augment.timeMasks * augment.timeMaskFrames >= frames) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig: ${augment.timeMasks} time masks of up to ${augment.timeMaskFrames} frames could blank all ${frames} frames of a clip; keep timeMasks × timeMaskFrames below ${frames}`,
    );
  }
  if (augment.freqMasks > 0 && augment.freqMasks * augment.freqMaskBins >= bins) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `AugmentConfig: ${augment.freqMasks} frequency masks of up to ${augment.freqMaskBins} bins could blank all ${bins} bins of a clip; keep freqMasks × freqMaskBins below ${bins}`,
    );
  }
}

/**
 * Checks the options of {@link trainModel} (and {@link trainVersion}) that need no data: every
 * declared option that is set against its declaration in {@link TRAIN_OPTIONS} (integers and numbers
 * within their ranges, booleans, choices, the augmentation), the SpecAugment masks against the
 * feature config, dropout in [0, 1) and L2 in [0, 1].
 *
 * @returns The checked numbers and architecture with their defaults.
 * @throws KwsError `INVALID_ARGUMENT` / `INVALID_FEATURE_CONFIG` naming the option and showing the
 *   value, e.g. "epochs must be an integer from 1 to 10000, got 0".
 */
export function validateTrainOptions(options: Omit<TrainVersionOptions, 'dataDir'>): CheckedTrainOptions {
  const given = options as Readonly<Record<string, unknown>>;
  for (const [name, declaration] of trainOptionEntries()) {
    const value = name === 'dataDir' ? undefined : given[name];
    if (value !== undefined && value !== null) checkDeclaredValue(name, declaration, value);
  }
  const features = resolveFeatureConfig(options.features);
  if (features.type === 'waveform')
    throw new FeatureError(
      'INVALID_FEATURE_CONFIG',
      'FeatureConfig.type waveform is for imported models with their own front end; kws-serve trains on log-mel, mfcc or pcen',
    );
  checkMasks(resolveAugmentConfig(options.augment), features);
  if (options.allWords === true && (options.distillFrom ?? null) !== null)
    throw new KwsError(
      'INVALID_ARGUMENT',
      'allWords: a teacher answers the 12 labels and a model of every word learns words; train it without distillFrom',
    );
  if (options.allWords === true && (options.outlierExposure ?? 0) > 0)
    throw new KwsError(
      'INVALID_ARGUMENT',
      'allWords: outlier exposure works on the 12 labels; a model of every word learns its unknown words one by one instead',
    );
  const pseudo = [options.pseudoLabelConfidence, options.pseudoLabelMaxPerClass, options.pseudoLabelFrom].some(
    (v) => v !== undefined && v !== null,
  );
  if ((options.pseudoLabelDir ?? null) === null ? pseudo : (options.pseudoLabelFrom ?? null) === null)
    throw new KwsError(
      'INVALID_ARGUMENT',
      'pseudo-labelling needs both pseudoLabelDir (the unlabelled folder) and pseudoLabelFrom (the version that labels it)',
    );
  const dropout = options.model?.dropout;
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1))
    throw new KwsError('INVALID_ARGUMENT', `dropout must be in [0, 1), got ${dropout}`);
  const l2 = options.model?.l2;
  if (l2 !== undefined && !(l2 >= 0 && l2 <= 1))
    throw new KwsError('INVALID_ARGUMENT', `l2 must be in [0, 1], got ${l2}`);
  const d = TRAIN_OPTION_DEFAULTS;
  const threads = options.threads ?? d.threads;
  const batchSize = options.batchSize ?? d.batchSize;
  if (threads > 1 && options.fineTuneOnly === true)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `threads: fineTuneOnly trains the classifier head alone, on one thread; got threads ${threads}`,
    );
  if (threads > 1 && batchSize < 2 * threads)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `threads: each of ${threads} training threads needs at least 2 clips of a batch, and batchSize ${batchSize} gives ${Math.floor(batchSize / threads)}; use batchSize ${2 * threads} or more, or fewer threads`,
    );
  return {
    architecture: options.architecture ?? d.architecture,
    epochs: options.epochs ?? d.epochs,
    batchSize: options.batchSize ?? d.batchSize,
    learningRate: options.learningRate ?? d.learningRate,
    patience: options.patience ?? d.patience,
    seed: options.seed ?? d.seed,
    threads,
  };
}

/**
 * Checks everything {@link trainModel} can check before it trains: the options, the augmentation and
 * feature configs, and that the dataset has training and validation examples, and a training example
 * of every class unless `allowMissingClasses`.
 *
 * @returns The listed dataset.
 * @throws KwsError as {@link trainModel} does, without decoding any audio: `INVALID_ARGUMENT` naming
 *   the classes the training split lacks.
 */
export async function checkTrainInputs(options: TrainOptions): Promise<SpeechCommandsDataset> {
  const { seed } = validateTrainOptions(options);
  const dataset = await scanSpeechCommands(options.dataDir, { seed, ...options.dataset });
  if (dataset.examples.training.length === 0)
    throw new KwsError('INVALID_ARGUMENT', `${options.dataDir} has no training examples`);
  if (dataset.examples.validation.length === 0)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `${options.dataDir} has no validation examples to pick the best epoch with (splits go by speaker: a corpus of kws synth needs about 20 speakers a word, --per-word 20)`,
    );
  const present = new Set<string>(dataset.examples.training.map((e) => e.label));
  const missing = LABELS.filter((label) => !present.has(label));
  if (missing.length > 0 && options.allowMissingClasses !== true) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `${options.dataDir} has no training examples of ${missing.join(', ')}: the model could never predict ${missing.length === 1 ? 'that class' : 'those classes'} (allow it with allowMissingClasses, kws train --allow-missing-classes)`,
    );
  }
  return dataset;
}

/** Options of {@link trainVersion}: {@link TrainOptions} but the models, which it loads from versions (`baseVersion`, `distillFrom`). */
export interface TrainVersionOptions extends Omit<TrainOptions, 'initialModel' | 'teacherModel' | 'teacherPredictor'> {
  /** TF.js backend to start the search at. Default `tensorflow` (falls back to wasm, cpu). */
  readonly backend?: TfjsBackendName;
  /** Start from this ready version's weights, architecture and features (with `fineTuneOnly`: train its head only). Default: none, a fresh model. */
  readonly baseVersion?: number | null;
  /** Distil from this ready version (see `distillWeight`): it becomes the trainer's `teacherModel`. Default: none. */
  readonly distillFrom?: number | null;
  /** Pseudo-labelling: the unlabelled folder whose confident clips are added to training (see `selectPseudoLabels`). Default: none. */
  readonly pseudoLabelDir?: string | null;
  /** The ready version that labels `pseudoLabelDir`. Required with it. */
  readonly pseudoLabelFrom?: number | null;
  /** Max-softmax probability a pseudo-label needs, in (0, 1]. Default 0.95. */
  readonly pseudoLabelConfidence?: number | null;
  /** Most pseudo-labels per class. Default: the class's labelled training count. */
  readonly pseudoLabelMaxPerClass?: number | null;
  /** Called with the version number once it is reserved. Default: none. */
  readonly onBegin?: (version: number) => void;
}
