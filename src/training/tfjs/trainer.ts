import type { Calibration, EpochRecord, EvaluationMetrics, WordsSpec } from '../../registry/index.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BalancedSampler, ExampleLoader, resolveAugmentConfig, Rng, ShuffledSampler } from '../../data/index.js';
import { LABELS } from '../../labels/index.js';
import type { AugmentConfig, SpeechCommandsDataset } from '../../data/index.js';
import type { Label } from '../../labels/index.js';
import { KwsError } from '../../errors/index.js';
import { FeatureExtractor } from '../../features/index.js';
import type { FeatureConfig } from '../../features/index.js';
import { argmax, decide } from '../../inference/index.js';
import { buildModel } from '../../model/tfjs/index.js';
import type { Architecture } from '../../model/index.js';
import { predictModelOutput, withLogits } from '../../engine/tfjs/index.js';
import { atTemperature, averageViews, groupWordOutput, ttaViewCount, ttaViews } from '../../engine/index.js';
import type { TtaSpec } from '../../engine/index.js';
import { wordOf, wordVocabulary, withEveryWord } from '../word-vocabulary.js';
import type { ModelOutput } from '../../engine/index.js';
import { calibrateThresholds } from '../calibration.js';
import { fitTemperature } from '../temperature.js';
import { trustMetrics } from '../trust.js';
import { checkTrainInputs, DEFAULT_DISTILL_WEIGHT, validateTrainOptions } from '../train-options.js';
import type { TrainOptions, TrainProgress } from '../train-options.js';
import { clipAt, clipShapeAt, loadClipSet } from '../clip-cache.js';
import { openBatchSource } from '../batch-source.js';
import type { BatchSource } from '../batch-source.js';
import { outlierExposureLoss } from './outlier-exposure.js';
import { FusedAdamOptimizer } from './fused-adam.js';
import { DataParallelSteps } from './data-parallel.js';
import { DropoutSeeds } from './dropout-seeds.js';
import { LocalReplica } from './replica.js';
import type { ReplicaInit } from './replica.js';
import { threadReplicas } from './thread-replica.js';
import type { ClipSet } from '../clip-cache.js';
import { computeMetrics } from '../metrics.js';

/** The trained model and everything a model version records about it. */
export interface TrainResult {
  /** The model with the weights of its best validation epoch (its optimizer state freed). The caller disposes it. */
  readonly model: tfl.LayersModel;
  readonly architecture: Architecture;
  readonly featureConfig: FeatureConfig;
  readonly augment: AugmentConfig;
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number;
  /** Validation metrics (argmax) and the thresholds calibrated on validation. */
  readonly validation: { readonly metrics: EvaluationMetrics; readonly calibration: Calibration };
  /** Testing metrics with the calibrated thresholds; null when the testing split is empty. */
  readonly testing: EvaluationMetrics | null;
  /** Examples per split. */
  readonly counts: { readonly training: number; readonly validation: number; readonly testing: number };
  readonly dataset: SpeechCommandsDataset;
  /** Threads each step ran on (see `TrainOptions.threads`; 1 where the request could not apply). */
  readonly threads: number;
  /** For a model of every word (`allWords`), its words and the label each counts for; else null. */
  readonly words: WordsSpec | null;
}

const INFERENCE_BATCH = 256;

/**
 * Raw outputs (temperature 1) of a model for `[batch, frames, bins]` features, row-major: a layers
 * model's (see {@link layersPredictor}) or an onnxruntime session's (an imported version).
 */
export type BatchPredictor = (features: Float32Array, batch: number) => ModelOutput | Promise<ModelOutput>;

/**
 * The {@link BatchPredictor} of a layers model with a softmax output (and a `logits` layer, for the
 * energy score); for a model of words (`words`: the label of each output), mapped to the 12 labels
 * (see `groupWordOutput`).
 */
export function layersPredictor(
  model: tfl.LayersModel,
  { frames, bins }: { frames: number; bins: number },
  words?: readonly number[],
): BatchPredictor {
  const both = withLogits(model);
  const geometry = { frames, bins, classes: LABELS.length };
  const outputs = model.outputs[0]?.shape[1];
  if (outputs !== (words?.length ?? LABELS.length))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model answers ${String(outputs)} classes; ${words === undefined ? `without its words, ${LABELS.length} labels are needed` : `its words are ${words.length}`}`,
    );
  if (words === undefined) return (features, batch) => predictModelOutput(both, features, batch, geometry);
  return (features, batch) =>
    groupWordOutput(predictModelOutput(both, features, batch, geometry), batch, words, LABELS.length);
}

/**
 * Softmax outputs `[n, 12]`, energy scores `[n]` and logits `[n, 12]` (NaN energies and null
 * logits without a `logits` layer; see `predictModelOutput`) of a model over a clip set's features,
 * in inference batches, at the predictor's temperature (T = 1 for a layers model). With `tta`, each
 * clip's outputs are the mean over its `ttaViews` (`averageViews`; no logits).
 */
export async function predictClipSet(
  model: tfl.LayersModel | BatchPredictor,
  set: ClipSet,
  extractor: FeatureExtractor,
  tta: TtaSpec | null = null,
): Promise<ModelOutput> {
  const probabilities = new Float32Array(set.size * LABELS.length);
  const energy = new Float32Array(set.size);
  let logits: Float32Array | null = tta === null ? new Float32Array(set.size * LABELS.length) : null;
  const predict = typeof model === 'function' ? model : layersPredictor(model, extractor.shape);
  const views = ttaViewCount(tta);
  const perBatch = Math.max(1, Math.floor(INFERENCE_BATCH / views));
  const clip = new Float32Array(set.clipSamples);
  for (let start = 0; start < set.size; start += perBatch) {
    const count = Math.min(perBatch, set.size - start);
    const features = new Float32Array(count * views * extractor.clipSize);
    for (let i = 0; i < count; i++) {
      const samples = clipAt(set, start + i, clip);
      const all = tta === null ? [samples] : ttaViews(samples, tta, extractor.config.sampleRateHz);
      all.forEach((view, v) => extractor.compute(view, features, (i * views + v) * extractor.clipSize));
    }
    const out = averageViews(await predict(features, count * views), views, LABELS.length);
    probabilities.set(out.probabilities, start * LABELS.length);
    energy.set(out.energy, start);
    if (out.logits === null) logits = null;
    else logits?.set(out.logits, start * LABELS.length);
  }
  return { probabilities, energy, logits };
}

function argmaxAll(probabilities: Float32Array, n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => argmax(probabilities, i * LABELS.length));
}

/**
 * Trains a model on a Speech Commands dataset: decodes every split once, then per epoch draws the
 * training clips in shuffled or class-balanced order, augments them (see `AugmentConfig`), computes
 * their features (with SpecAugment masks when configured) and takes Adam steps on the categorical
 * cross-entropy (plus the outlier-exposure term, and to targets mixed with a teacher's probabilities,
 * when configured); validation accuracy after
 * each epoch picks the best epoch and stops early after `patience` epochs without improvement. The
 * best weights are restored, unknown/silence thresholds are calibrated on validation, and testing is
 * scored with them. Runs on the TF.js backend that is active (see `selectTfjsBackend`).
 *
 * @throws KwsError `INVALID_ARGUMENT` for bad options (a teacher that does not fit included, before
 *   any audio is decoded) or a dataset without training or validation examples; AudioDecodeError for
 *   a clip that does not decode.
 */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const checked = validateTrainOptions(options);
  const { architecture, epochs, batchSize, learningRate, patience, seed } = checked;
  const augment = resolveAugmentConfig(options.augment);
  const extractor = new FeatureExtractor(options.features);
  const teacher = await teacherOf(options, extractor.shape);
  const scanned = await checkTrainInputs(options);
  // A model of every word trains on every clip of every word, one class each (see `wordVocabulary`).
  const words = options.allWords === true ? wordVocabulary(scanned, options.wordVocabulary) : null;
  const listed = words === null ? scanned : withEveryWord(scanned);
  // Pseudo-labels join the training split; validation and testing stay the dataset's own.
  const dataset =
    options.extraTraining === undefined || options.extraTraining.length === 0
      ? listed
      : {
          ...listed,
          examples: { ...listed.examples, training: [...listed.examples.training, ...options.extraTraining] },
        };
  const loader = await ExampleLoader.create(dataset, extractor.config.clipSamples);
  const report = (p: Omit<TrainProgress, 'epochs'>): void => options.onProgress?.({ ...p, epochs });
  const { training, validation, testing } = await loadSplits(dataset, loader, extractor, report);

  if (options.fineTuneOnly === true && options.initialModel === undefined)
    throw new KwsError('INVALID_ARGUMENT', 'fineTuneOnly needs a base model version to start from');
  const classes = words?.vocabulary.length ?? LABELS.length;
  const model = options.initialModel ?? buildModel(architecture, extractor.shape, classes, { seed, ...options.model });
  if (model.outputs[0]?.shape[1] !== classes)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the base model answers ${String(model.outputs[0]?.shape[1])} classes, and this run trains ${classes}${words === null ? '' : ' words'}`,
    );
  // The model's outputs as the 12 labels (a model of words summed into them), for validation and calibration.
  const predictor = layersPredictor(model, extractor.shape, words?.groups);
  const wordIndex = new Map((words?.vocabulary ?? []).map((w, i) => [w, i]));
  // What the learner is taught: the label, or for a model of words, the word.
  const taught: ClipSet =
    words === null
      ? training
      : {
          ...training,
          labels: Int32Array.from(dataset.examples.training, (e) => wordOf(e, wordIndex)),
        };
  const loss = lossFor(options.outlierExposure ?? 0);
  const rng = new Rng(seed);
  const sampler =
    options.balanced === true
      ? new BalancedSampler(
          Array.from(training.labels, (l) => LABELS[l] as Label),
          rng.fork(),
        )
      : new ShuffledSampler(training.size, rng.fork());
  const augmentSeed = rng.forkSeed();
  const threads = trainingThreads(checked.threads, options.fineTuneOnly === true);
  const learner =
    options.fineTuneOnly === true
      ? headLearner(model, learningRate, training, extractor, loss, classes)
      : threads > 1
        ? dataParallelLearner(
            model,
            { learningRate, outlierExposure: options.outlierExposure ?? 0, ...extractor.shape },
            teacher,
            threads,
          )
        : fullLearner(model, learningRate, loss, extractor.shape, teacher, classes);
  let batches: BatchSource | null = null;
  const history: EpochRecord[] = [];
  let best: BestEpoch | null;
  try {
    batches =
      learner.input === 'features'
        ? openBatchSource(
            {
              samples: training.samples,
              clipSamples: training.clipSamples,
              noises: loader.noises,
              augment,
              features: extractor.config,
              seed: augmentSeed,
            },
            options.batchWorkerMinClips === undefined ? {} : { minClips: options.batchWorkerMinClips },
          )
        : null;
    const run: EpochRun = {
      learner,
      training: taught,
      batches,
      batchSize,
      epochs,
      started: performance.now(),
      report,
    };
    best = await trainEpochs(run, {
      model,
      predictor,
      validation,
      extractor,
      sampler,
      patience,
      history,
      onEpoch: options.onEpoch,
    });
  } finally {
    await Promise.all([batches?.close(), learner.close()]);
  }
  if (best === null) throw new KwsError('INTERNAL', 'training ran no epoch');
  model.setWeights(best.weights);
  tf.dispose(best.weights);
  // The Adam moments are training state only; the returned model is for inference and export.
  learner.dispose();

  const kept = history.find((h) => h.epoch === best.epoch);
  report({
    phase: 'evaluating',
    epoch: best.epoch,
    step: 0,
    steps: 0,
    loss: kept?.loss ?? null,
    accuracy: kept?.accuracy ?? null,
    valAccuracy: best.accuracy,
    etaSeconds: 0,
  });
  const { calibration, validationMetrics, testingMetrics } = await calibrateAndTest(
    predictor,
    validation,
    testing,
    extractor,
    options.unknownTargetRecall,
  );
  return {
    model,
    architecture,
    featureConfig: extractor.config,
    augment,
    history,
    bestEpoch: best.epoch,
    validation: { metrics: validationMetrics, calibration },
    testing: testingMetrics,
    counts: { training: training.size, validation: validation.size, testing: testing.size },
    dataset,
    threads,
    words,
  };
}

/**
 * The threads a run trains on: `requested`, but 1 on the native `tensorflow` backend (libtensorflow
 * already spreads each op over every core, and its Node binding is not meant to be loaded in several
 * threads) and for a head-only learner (`validateTrainOptions` refuses more with `fineTuneOnly`).
 */
function trainingThreads(requested: number, headOnly: boolean): number {
  return headOnly || tf.getBackend() === 'tensorflow' ? 1 : requested;
}

/** The weights of the best validation epoch so far. */
interface BestEpoch {
  readonly epoch: number;
  readonly accuracy: number;
  readonly weights: tf.Tensor[];
}

/**
 * Epochs until `run.epochs` or early stopping: train one epoch, score validation, keep the weights of
 * the best validation accuracy (a clone), stop after `patience` epochs without a better one. Appends
 * each epoch's record to `history`. Returns the best epoch (null when none ran).
 */
async function trainEpochs(
  run: EpochRun,
  ctx: {
    readonly model: tfl.LayersModel;
    /** The model's outputs as the 12 labels. */
    readonly predictor: BatchPredictor;
    readonly validation: ClipSet;
    readonly extractor: FeatureExtractor;
    readonly sampler: { epoch(): readonly number[] };
    readonly patience: number;
    readonly history: EpochRecord[];
    readonly onEpoch: TrainOptions['onEpoch'];
  },
): Promise<BestEpoch | null> {
  const { model, validation, extractor, history } = ctx;
  let best: BestEpoch | null = null;
  // Each epoch's order is drawn one epoch ahead (the sampler has its own stream, so the orders are the
  // same), so that the next epoch's first batch is made while this one is validated.
  let order = ctx.sampler.epoch();
  run.batches?.request(firstBatch(order, run.batchSize));
  for (let epoch = 1; epoch <= run.epochs; epoch++) {
    const epochStart = performance.now();
    const next = epoch < run.epochs ? ctx.sampler.epoch() : null;
    const valAccuracyBefore = history.at(-1)?.valAccuracy ?? null;
    const { loss, accuracy } = await trainEpoch(run, epoch, order, next, valAccuracyBefore);
    if (next !== null) order = next;
    run.learner.sync();
    const valProbabilities = (await predictClipSet(ctx.predictor, validation, extractor)).probabilities;
    const valAccuracy = computeMetrics(validation.labels, argmaxAll(valProbabilities, validation.size)).accuracy;
    const record: EpochRecord = {
      epoch,
      loss,
      accuracy,
      valAccuracy,
      seconds: (performance.now() - epochStart) / 1000,
    };
    history.push(record);
    ctx.onEpoch?.(record, run.epochs);
    if (best === null || valAccuracy > best.accuracy) {
      if (best !== null) tf.dispose(best.weights);
      best = { epoch, accuracy: valAccuracy, weights: model.getWeights().map((w) => w.clone()) };
    } else if (epoch - best.epoch >= ctx.patience) {
      break;
    }
  }
  return best;
}

type Report = (progress: Omit<TrainProgress, 'epochs'>) => void;

/** Decodes every split once into clip sets, reporting `loading` progress clip by clip. */
async function loadSplits(
  dataset: SpeechCommandsDataset,
  loader: ExampleLoader,
  extractor: FeatureExtractor,
  report: Report,
): Promise<Record<'training' | 'validation' | 'testing', ClipSet>> {
  const total = dataset.examples.training.length + dataset.examples.validation.length + dataset.examples.testing.length;
  let loaded = 0;
  const load = (examples: typeof dataset.examples.training): Promise<ClipSet> =>
    loadClipSet(examples, loader, extractor.config.clipSamples, () =>
      report({
        phase: 'loading',
        epoch: 0,
        step: ++loaded,
        steps: total,
        loss: null,
        accuracy: null,
        valAccuracy: null,
        etaSeconds: 0,
      }),
    );
  const training = await load(dataset.examples.training);
  const validation = await load(dataset.examples.validation);
  const testing = await load(dataset.examples.testing);
  return { training, validation, testing };
}

/** What every epoch of one training run shares. */
interface EpochRun {
  readonly learner: Learner;
  readonly training: ClipSet;
  /** Augmented feature batches (made ahead on a second core where there is one); null for a head-only learner. */
  readonly batches: BatchSource | null;
  readonly batchSize: number;
  readonly epochs: number;
  /** `performance.now()` when training started, ms (for the ETA). */
  readonly started: number;
  readonly report: Report;
}

/**
 * One pass over the training clips in `order`: per batch, augment each clip, compute its features
 * (through a VTLP-warped filterbank when drawn) with SpecAugment masks and take one step (or one step on cached embeddings for a head-only
 * learner). Returns the mean training loss and accuracy over the epoch's steps.
 */
async function trainEpoch(
  run: EpochRun,
  epoch: number,
  order: readonly number[],
  nextOrder: readonly number[] | null,
  valAccuracy: number | null,
): Promise<{ loss: number; accuracy: number }> {
  const { learner, training, batches, batchSize, epochs } = run;
  const steps = Math.ceil(training.size / batchSize);
  const batchAt = (step: number): number[] => order.slice(step * batchSize, (step + 1) * batchSize);
  let lossSum = 0;
  let accuracySum = 0;
  for (let step = 0; step < steps; step++) {
    const indices = batchAt(step);
    const labels = indices.map((i) => training.labels[i] as number);
    let loss: number;
    let accuracy: number;
    if (learner.input === 'indices') {
      [loss, accuracy] = await learner.stepIndices(indices, labels);
    } else {
      if (batches === null) throw new KwsError('INTERNAL', 'a features learner needs a batch source');
      // One batch in flight ahead of the step (its first was requested before the epoch): a worker
      // source makes batch k + 1, or the next epoch's first, while step k trains.
      if (step + 1 < steps) batches.request(batchAt(step + 1));
      else if (nextOrder !== null) batches.request(firstBatch(nextOrder, batchSize));
      [loss, accuracy] = await learner.step(await batches.take(), labels);
    }
    lossSum += loss;
    accuracySum += accuracy;
    const done = (epoch - 1) * steps + step + 1;
    const elapsed = (performance.now() - run.started) / 1000;
    run.report({
      phase: 'training',
      epoch,
      step: step + 1,
      steps,
      loss: lossSum / (step + 1),
      accuracy: accuracySum / (step + 1),
      valAccuracy,
      etaSeconds: (elapsed / done) * (epochs * steps - done),
    });
  }
  return { loss: lossSum / steps, accuracy: accuracySum / steps };
}

/** The indices of an epoch's first batch. */
function firstBatch(order: readonly number[], batchSize: number): number[] {
  return order.slice(0, batchSize);
}

/** Fewest validation clips a temperature is fitted on; with fewer, a version keeps T = 1. */
export const MIN_TEMPERATURE_CLIPS = 50;

/**
 * The temperature of a version (temperature scaling, Guo et al. 2017): fitted on the validation
 * logits, or 1 when the model has no logits, the set has fewer than {@link MIN_TEMPERATURE_CLIPS}
 * clips, or the fit stops at a bound of its search (a set the model separates perfectly drives T
 * to its lower bound, which would make every served confidence about 1).
 */
export function fittedTemperature(logits: Float32Array | null, labels: ArrayLike<number>): number {
  if (logits === null || labels.length < MIN_TEMPERATURE_CLIPS) return 1;
  const fit = fitTemperature(logits, labels, LABELS.length);
  return fit.atBound ? 1 : fit.temperature;
}

/**
 * What a trained model's version records about its probabilities, thresholds and scores: the
 * temperature T fitted on validation logits by temperature scaling (Guo et al. 2017, section 4.2;
 * 1 for a model without logits), the unknown/silence thresholds calibrated on the probabilities at T
 * (see `calibrateThresholds`), the validation metrics of its argmax, and the testing metrics with the
 * calibrated thresholds (null for an empty testing split); both with their trust figures (ECE,
 * reliability, OOD separation; see `trustMetrics`) at T. With `tta`, every clip is scored as the mean
 * of its `ttaViews` (no logits, so T = 1 over what `model` gives: pass a predictor at the version's
 * temperature).
 */
export async function calibrateAndTest(
  model: tfl.LayersModel | BatchPredictor,
  validation: ClipSet,
  testing: ClipSet,
  extractor: FeatureExtractor,
  targetRecall?: number,
  tta: TtaSpec | null = null,
): Promise<{
  calibration: Calibration;
  validationMetrics: EvaluationMetrics;
  testingMetrics: EvaluationMetrics | null;
}> {
  const raw = await predictClipSet(model, validation, extractor, tta);
  const temperature = fittedTemperature(raw.logits, validation.labels);
  const val = atTemperature(raw, validation.size, LABELS.length, temperature);
  const calibration: Calibration = {
    ...calibrateThresholds(
      val.probabilities,
      validation.rmsDbfs,
      validation.labels,
      val.energy,
      targetRecall === undefined ? {} : { targetRecall },
    ),
    temperature,
  };
  const validationMetrics = {
    ...computeMetrics(validation.labels, argmaxAll(val.probabilities, validation.size)),
    ...(validation.size === 0
      ? {}
      : { trust: trustMetrics({ ...val, size: validation.size }, validation.labels, temperature) }),
  };
  if (testing.size === 0) return { calibration, validationMetrics, testingMetrics: null };
  const test = atTemperature(
    await predictClipSet(model, testing, extractor, tta),
    testing.size,
    LABELS.length,
    temperature,
  );
  const predicted = Int32Array.from({ length: testing.size }, (_, i) =>
    LABELS.indexOf(
      decide(
        test.probabilities,
        testing.rmsDbfs[i] as number,
        calibration.thresholds,
        i * LABELS.length,
        test.energy[i] as number,
        clipShapeAt(testing, i, extractor.config.sampleRateHz),
      ).label,
    ),
  );
  return {
    calibration,
    validationMetrics,
    testingMetrics: {
      ...computeMetrics(testing.labels, predicted),
      trust: trustMetrics({ ...test, size: testing.size }, testing.labels, temperature),
    },
  };
}

/** How weights are updated: the whole model, or only its classifier head on a frozen embedding. */
type Learner = (
  | {
      /** Steps on augmented clips: one optimiser step on `[n, frames, bins]` features; returns `[loss, accuracy]`. */
      readonly input: 'features';
      step(features: Float32Array, labels: readonly number[]): Promise<[number, number]>;
    }
  | {
      /** Steps on training clips by index, from inputs precomputed once (no augmentation, no features). */
      readonly input: 'indices';
      stepIndices(indices: readonly number[], labels: readonly number[]): Promise<[number, number]>;
    }
) & {
  /** Brings the model up to date with what was learned (before validation). */
  sync(): void;
  /** Frees optimiser state and helper models. */
  dispose(): void;
  /** Stops what the learner started (its training threads); called however training ends. */
  close(): Promise<void>;
};

/** A compiled model's loss: TF.js's own categorical cross-entropy, or it with the outlier-exposure term. */
type Loss = 'categoricalCrossentropy' | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

/** Plain cross-entropy for a weight of 0 (the loss every version before outlier exposure trained with), else `outlierExposureLoss`. */
function lossFor(outlierExposure: number): Loss {
  return outlierExposure === 0 ? 'categoricalCrossentropy' : outlierExposureLoss(outlierExposure);
}

/** A distillation teacher and the weight of its probabilities in the target. */
export interface Teacher {
  /**
   * `[n, 12]` softmax probabilities (temperature 1, inference mode) of features `x`
   * `[n, frames, bins, 1]`; the caller disposes the result.
   */
  readonly predict: (x: tf.Tensor4D) => tf.Tensor2D | Promise<tf.Tensor2D>;
  /** λ in (0, 1]. */
  readonly weight: number;
}

/** A TF.js layers model (softmax output) as a {@link Teacher}. */
export function layersTeacher(model: tfl.LayersModel, weight: number): Teacher {
  return { predict: (x) => model.predict(x) as tf.Tensor2D, weight };
}

/**
 * The teacher of `options.teacherModel` (a TF.js model) or `options.teacherPredictor` (any version's
 * raw outputs, onnxruntime's for an imported model or a session ensemble) at `options.distillWeight`
 * (default 0.5), or null without one. A predictor is probed with one clip of zeros.
 *
 * @throws KwsError `INVALID_ARGUMENT` with `fineTuneOnly` (the head learner trains on embeddings, not
 *   features), with both teachers, or for a teacher whose input is not `[batch, frames, bins, 1]` or
 *   whose output is not `[batch, 12]`.
 */
async function teacherOf(
  options: TrainOptions,
  { frames, bins }: { frames: number; bins: number },
): Promise<Teacher | null> {
  const model = options.teacherModel;
  const predictor = options.teacherPredictor;
  if (model === undefined && predictor === undefined) return null;
  if (options.allWords === true)
    throw new KwsError(
      'INVALID_ARGUMENT',
      'allWords: a teacher answers the 12 labels and a model of every word learns words; train it without a teacher',
    );
  if (options.fineTuneOnly === true)
    throw new KwsError(
      'INVALID_ARGUMENT',
      'distillation trains the whole model: it cannot be combined with fineTuneOnly',
    );
  const weight = options.distillWeight ?? DEFAULT_DISTILL_WEIGHT;
  const misfit = (input: readonly unknown[], output: readonly unknown[]): KwsError =>
    new KwsError(
      'INVALID_ARGUMENT',
      `the teacher takes [batch, ${input.join(', ')}] and answers [batch, ${output.join(', ')}]; distillation needs [batch, ${frames}, ${bins}, 1] features and ${LABELS.length} classes`,
    );
  if (model !== undefined && predictor !== undefined)
    throw new KwsError('INVALID_ARGUMENT', 'give one teacher: teacherModel or teacherPredictor');
  if (predictor !== undefined) {
    const classes = (await predictor(new Float32Array(frames * bins), 1)).probabilities.length;
    if (classes !== LABELS.length) throw misfit([frames, bins, 1], [classes]);
    return {
      predict: async (x) => {
        const n = x.shape[0];
        const out = await predictor(x.dataSync() as Float32Array, n);
        return tf.tensor2d(out.probabilities, [n, LABELS.length]);
      },
      weight,
    };
  }
  const input = model!.inputs[0]?.shape ?? [];
  const output = model!.outputs[0]?.shape ?? [];
  if (
    input.length !== 4 ||
    input[1] !== frames ||
    input[2] !== bins ||
    output.length !== 2 ||
    output[1] !== LABELS.length
  )
    throw misfit(input.slice(1), output.slice(1));
  return layersTeacher(model!, weight);
}

/** One-hot float32 targets `[n, classes]` of class indices (12 labels, or the words of a model of words). The caller disposes the result. */
function oneHotTargets(labels: readonly number[], classes: number = LABELS.length): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([...labels], 'int32'), classes), 'float32') as tf.Tensor2D);
}

/**
 * Targets `[n, 12]` of a batch: one-hot labels, and with a teacher, on the rows whose label is the
 * teacher's top class, `(1 − λ)·onehot + λ·p_teacher` with `p_teacher` the teacher's probabilities
 * on the same features `x` `[n, frames, bins, 1]` (inference mode: dropout off, batch-norm moving
 * statistics). The teacher's output must be softmax probabilities (a version's model is). Cross-
 * entropy to that target is `CE(label) + λ·KL(p_teacher ‖ p)` up to a constant (Hinton et al. 2015
 * at temperature 1); the label stays the row's largest value, so argmax metrics are unchanged. The
 * caller disposes the result.
 */
export async function distillationTargets(
  labels: readonly number[],
  x: tf.Tensor4D,
  teacher: Teacher | null,
  classes: number = LABELS.length,
): Promise<tf.Tensor2D> {
  if (teacher === null) return oneHotTargets(labels, classes);
  const probabilities = await teacher.predict(x);
  try {
    return tf.tidy(() => {
      const truth = tf.tensor1d([...labels], 'int32');
      const hard = oneHotTargets(labels, classes);
      const agrees = tf.cast(tf.equal(tf.argMax(probabilities, -1), truth), 'float32');
      const mix = tf.expandDims(tf.mul(agrees, teacher.weight), 1);
      return tf.add(tf.mul(hard, tf.sub(1, mix)), tf.mul(probabilities, mix)) as tf.Tensor2D;
    });
  } finally {
    probabilities.dispose();
  }
}

function fullLearner(
  model: tfl.LayersModel,
  learningRate: number,
  loss: Loss,
  { frames, bins }: { frames: number; bins: number },
  teacher: Teacher | null,
  classes: number,
): Learner {
  model.compile({ optimizer: new FusedAdamOptimizer(learningRate), loss, metrics: ['accuracy'] });
  const dropout = new DropoutSeeds(model);
  return {
    input: 'features',
    step: (features, labels) =>
      dropout.step(() => trainStep(model, features, labels, { frames, bins, classes }, teacher)),
    sync: () => undefined,
    dispose: () => model.optimizer.dispose(),
    close: async () => undefined,
  };
}

/** One-hot float32 targets `[n, classes]` of class indices, as a plain array. */
function oneHotRows(labels: readonly number[], classes: number): Float32Array {
  const rows = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => {
    rows[i * classes + label] = 1;
  });
  return rows;
}

/**
 * Trains the whole model on `threads` threads (see `DataParallelSteps`): this thread computes the
 * first shard of each batch on `model`, `threads − 1` worker threads the others on copies of it;
 * targets (with a teacher's probabilities) are computed here for the whole batch.
 */
function dataParallelLearner(
  model: tfl.LayersModel,
  options: Pick<ReplicaInit, 'learningRate' | 'outlierExposure' | 'frames' | 'bins'>,
  teacher: Teacher | null,
  threads: number,
): Learner {
  // This thread's replica first (compiling can throw), then the threads, which close() stops.
  const main = new LocalReplica(model, options);
  const others = threadReplicas(model, options, threads);
  const steps = new DataParallelSteps(main, others, options.frames * options.bins);
  return {
    input: 'features',
    step: async (features, labels) => {
      const n = labels.length;
      let targets = oneHotRows(labels, model.outputs[0]?.shape[1] as number);
      if (teacher !== null) {
        const x = tf.tensor4d(features.subarray(0, n * options.frames * options.bins), [
          n,
          options.frames,
          options.bins,
          1,
        ]);
        try {
          const y = await distillationTargets(labels, x, teacher);
          targets = y.dataSync() as Float32Array;
          y.dispose();
        } finally {
          x.dispose();
        }
      }
      return steps.step(features, targets, n);
    },
    sync: () => steps.sync(),
    dispose: () => main.optimizer.dispose(),
    close: () => steps.close(),
  };
}

/**
 * Trains only the `logits` dense layer, on embeddings (the input of that layer) of the training
 * clips computed once by the frozen model in inference mode (dropout off, batch-norm statistics
 * fixed) from the clips without augmentation, as TF.js speech-commands' transfer learning does.
 * The head starts from the base weights; an epoch costs a few small matrix products.
 */
function headLearner(
  model: tfl.LayersModel,
  learningRate: number,
  training: ClipSet,
  extractor: FeatureExtractor,
  loss: Loss,
  classes: number,
): Learner {
  const logits = model.getLayer('logits');
  const embedding = logits.input as tfl.SymbolicTensor;
  const dim = embedding.shape[1] as number;
  const embedder = tfl.model({ inputs: model.inputs, outputs: embedding });
  const head = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: classes, inputShape: [dim], weights: logits.getWeights().map((w) => w.clone()) }),
      tfl.layers.activation({ activation: 'softmax' }),
    ],
  });
  head.compile({ optimizer: new FusedAdamOptimizer(learningRate), loss, metrics: ['accuracy'] });
  const { frames, bins } = extractor.shape;
  const embeddings = new Float32Array(training.size * dim);
  const batch = 64;
  const features = new Float32Array(batch * extractor.clipSize);
  for (let start = 0; start < training.size; start += batch) {
    const n = Math.min(batch, training.size - start);
    for (let b = 0; b < n; b++) extractor.compute(clipAt(training, start + b), features, b * extractor.clipSize);
    const out = tf.tidy(() =>
      (
        embedder.predict(tf.tensor4d(features.subarray(0, n * extractor.clipSize), [n, frames, bins, 1])) as tf.Tensor
      ).dataSync(),
    );
    embeddings.set(out, start * dim);
  }
  const fit = async (x: tf.Tensor, labels: readonly number[]): Promise<[number, number]> => {
    const y = oneHotTargets(labels, classes);
    try {
      const result = (await head.trainOnBatch(x, y)) as number[];
      return [result[0] as number, result[1] as number];
    } finally {
      tf.dispose([x, y]);
    }
  };
  return {
    input: 'indices',
    async stepIndices(indices, labels) {
      const rows = new Float32Array(indices.length * dim);
      indices.forEach((i, k) => rows.set(embeddings.subarray(i * dim, (i + 1) * dim), k * dim));
      return fit(tf.tensor2d(rows, [indices.length, dim]), labels);
    },
    sync: () => logits.setWeights(head.layers[0]?.getWeights() ?? []),
    dispose: () => {
      head.optimizer.dispose();
      head.dispose();
    },
    close: async () => undefined,
  };
}

/** One optimiser step on a batch; returns [loss, accuracy]. Tensors are freed before returning. */
async function trainStep(
  model: tfl.LayersModel,
  features: Float32Array,
  labels: readonly number[],
  { frames, bins, classes }: { frames: number; bins: number; classes: number },
  teacher: Teacher | null,
): Promise<[number, number]> {
  const n = labels.length;
  const x = tf.tensor4d(features.subarray(0, n * frames * bins), [n, frames, bins, 1]);
  let y: tf.Tensor2D;
  try {
    y = await distillationTargets(labels, x, teacher, classes);
  } catch (error) {
    x.dispose();
    throw error;
  }
  try {
    const result = (await model.trainOnBatch(x, y)) as number[];
    return [result[0] as number, result[1] as number];
  } finally {
    tf.dispose([x, y]);
  }
}
