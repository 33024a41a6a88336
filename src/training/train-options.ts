import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveAugmentConfig, scanSpeechCommands } from '../data/index.js';
import type { AugmentConfig, DatasetOptions, SpeechCommandsDataset } from '../data/index.js';
import { KwsError } from '../errors/index.js';
import { featureShape, resolveFeatureConfig } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { LABELS } from '../labels/index.js';
import { isArchitecture } from '../model/index.js';
import type { Architecture, ModelOptions } from '../model/index.js';
import type { TfjsBackendName } from '../engine/index.js';
import type { EpochRecord } from '../registry/index.js';

/** Options of {@link trainModel}; every field has a default. */
export interface TrainOptions {
  /** Speech Commands dataset folder. */
  readonly dataDir: string;
  /** Default `tc-resnet8`. */
  readonly architecture?: Architecture;
  /** Most epochs. Default 30. */
  readonly epochs?: number;
  /** Clips per optimiser step. Default 64. */
  readonly batchSize?: number;
  /** Adam learning rate (Kingma and Ba 2015). Default 1e-3. */
  readonly learningRate?: number;
  /** Class-balanced sampling instead of plain shuffling. Default false. */
  readonly balanced?: boolean;
  /** Stop after this many epochs without a better validation accuracy. Default 5. */
  readonly patience?: number;
  /** Seed of weights, sampling and augmentation. Default 1. */
  readonly seed?: number;
  readonly augment?: Partial<AugmentConfig>;
  readonly features?: Partial<FeatureConfig>;
  readonly dataset?: DatasetOptions;
  readonly model?: ModelOptions;
  /**
   * Start from these weights instead of a fresh model (a base version's model, whose architecture
   * and features the caller passes too). The trainer takes ownership: the result's `model` is it.
   */
  readonly initialModel?: tfl.LayersModel;
  /**
   * With `initialModel`: freeze everything below the classifier head (the `logits` dense layer) and
   * train only the head on the frozen embedding, computed in inference mode (transfer learning, as
   * TF.js speech-commands does). Fast, and no weight below the head changes.
   */
  readonly fineTuneOnly?: boolean;
  /**
   * Train even when the training split has no example of some of the 12 classes (a model that can
   * never predict them, e.g. a fine-tune on a few words of one's own). Default false: refused.
   */
  readonly allowMissingClasses?: boolean;
  /** Called as work progresses. */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Called after each epoch with its record. */
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

function checkOptions(options: TrainOptions): Required<Pick<TrainOptions, 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'seed'>> & { architecture: Architecture } {
  const architecture = options.architecture ?? 'tc-resnet8';
  if (!isArchitecture(architecture)) throw new KwsError('INVALID_ARGUMENT', `unknown architecture "${String(architecture)}"`);
  const checked = { architecture, epochs: options.epochs ?? 30, batchSize: options.batchSize ?? 64, learningRate: options.learningRate ?? 1e-3, patience: options.patience ?? 5, seed: options.seed ?? 1 };
  const most = { epochs: 10_000, batchSize: 4096, patience: 10_000 } as const;
  for (const key of ['epochs', 'batchSize', 'patience'] as const) {
    if (!Number.isInteger(checked[key]) || checked[key] < 1 || checked[key] > most[key]) throw new KwsError('INVALID_ARGUMENT', `${key} must be an integer from 1 to ${most[key]}, got ${checked[key]}`);
  }
  if (!(checked.learningRate > 0 && checked.learningRate < 1)) throw new KwsError('INVALID_ARGUMENT', `learningRate must be in (0, 1), got ${checked.learningRate}`);
  return checked;
}

/** SpecAugment masks must fit the features: a mask as wide as the input would blank whole clips. */
function checkMasks(augment: AugmentConfig, features: FeatureConfig): void {
  const { frames, bins } = featureShape(features);
  if (augment.timeMasks > 0 && augment.timeMasks * augment.timeMaskFrames >= frames) {
    throw new KwsError('INVALID_ARGUMENT', `AugmentConfig: ${augment.timeMasks} time masks of up to ${augment.timeMaskFrames} frames could blank all ${frames} frames of a clip; keep timeMasks × timeMaskFrames below ${frames}`);
  }
  if (augment.freqMasks > 0 && augment.freqMasks * augment.freqMaskBins >= bins) {
    throw new KwsError('INVALID_ARGUMENT', `AugmentConfig: ${augment.freqMasks} frequency masks of up to ${augment.freqMaskBins} bins could blank all ${bins} bins of a clip; keep freqMasks × freqMaskBins below ${bins}`);
  }
}

/**
 * Checks the options of {@link trainModel} that need no data: numbers and their ranges, the
 * architecture, the augmentation, the feature config, dropout in [0, 1) and L2 in [0, 1].
 *
 * @returns The checked numbers with their defaults (epochs, batch size, learning rate, patience, seed, architecture).
 * @throws KwsError `INVALID_ARGUMENT` / `INVALID_FEATURE_CONFIG` naming the option and the value.
 */
export function validateTrainOptions(options: Omit<TrainOptions, 'dataDir'>): ReturnType<typeof checkOptions> {
  const checked = checkOptions({ ...options, dataDir: '' });
  checkMasks(resolveAugmentConfig(options.augment), resolveFeatureConfig(options.features));
  const dropout = options.model?.dropout;
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1)) throw new KwsError('INVALID_ARGUMENT', `dropout must be in [0, 1), got ${dropout}`);
  const l2 = options.model?.l2;
  if (l2 !== undefined && !(l2 >= 0 && l2 <= 1)) throw new KwsError('INVALID_ARGUMENT', `l2 must be in [0, 1], got ${l2}`);
  return checked;
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
  if (dataset.examples.training.length === 0) throw new KwsError('INVALID_ARGUMENT', `${options.dataDir} has no training examples`);
  if (dataset.examples.validation.length === 0) throw new KwsError('INVALID_ARGUMENT', `${options.dataDir} has no validation examples to pick the best epoch with`);
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

/** Options of {@link trainVersion}. */
export interface TrainVersionOptions extends TrainOptions {
  /** TF.js backend to start the search at. Default `tensorflow` (falls back to wasm, cpu). */
  readonly backend?: TfjsBackendName;
  /** Start from this ready version's weights, architecture and features (with `fineTuneOnly`: train its head only). */
  readonly baseVersion?: number | null;
  /** Called with the version number once it is reserved. */
  readonly onBegin?: (version: number) => void;
}
