import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ClassType } from 'type-graphql';
import { EpochMetricsType } from './model-version.type.js';
import { SearchResultType } from './search.type.js';
import { TRAIN_OPTIONS } from '../training/index.js';
import type { OptionSpec, TrainOptionName } from '../training/index.js';
import type { JobStatus } from '../jobs/index.js';

/** Job lifecycle as a GraphQL enum. */
export enum JobStatusEnum {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(JobStatusEnum, {
  name: 'JobStatus',
  description: 'QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED.',
});

@ObjectType('TrainingProgress', { description: 'Where a training job is.' })
export class TrainingProgressType {
  @Field(() => String, {
    description:
      'loading, training, evaluating, or done (epoch is then the best epoch, the one the version keeps, with its figures).',
  })
  phase!: string;

  @Field(() => Int)
  epoch!: number;

  @Field(() => Int, { description: 'Most epochs (early stopping may end sooner).' })
  epochs!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Mean training loss of the epoch so far (of the best epoch once evaluating or done); null while loading.',
  })
  loss!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Mean training accuracy of the epoch so far (of the best epoch once evaluating or done); null while loading.',
  })
  accuracy!: number | null;

  @Field(() => Float, { nullable: true, description: 'Validation accuracy of the last finished epoch.' })
  valAccuracy!: number | null;

  @Field(() => Float, { nullable: true })
  etaSeconds!: number | null;

  @Field(() => [EpochMetricsType], {
    description:
      'The epochs finished so far, each as soon as it is validated (the whole curve once done); empty for jobs recorded before it was kept.',
  })
  history!: EpochMetricsType[];
}

@ObjectType('Job', { description: 'A background job (bulk scoring or training). Poll job(id) for progress.' })
export class JobType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'What the job does: score or train.' })
  kind!: string;

  @Field(() => JobStatusEnum)
  status!: JobStatus;

  @Field(() => Int, { description: 'Clips done, failed ones included.' })
  processed!: number;

  @Field(() => Int, { description: 'Clips that failed to decode (they get a fallback label and a row in errors.csv).' })
  failed!: number;

  @Field(() => Int, { description: 'Clips in all; 0 until listed.' })
  total!: number;

  @Field(() => Float)
  clipsPerSecond!: number;

  @Field(() => Float, { nullable: true })
  etaSeconds!: number | null;

  @Field(() => String, { nullable: true, description: 'Why it FAILED.' })
  error!: string | null;

  @Field(() => Int, { nullable: true, description: 'The model version it scores with.' })
  modelVersion!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'A scoring job’s test-time augmentation, e.g. "shifts -100, 100 ms; gains 6 dB"; null without.',
  })
  tta!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Path of the submission CSV on this server (GET it) once SUCCEEDED.',
  })
  outputUrl!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Path of the probabilities CSV once SUCCEEDED (when requested).',
  })
  probabilitiesUrl!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Path of the CSV of files that failed to decode, once SUCCEEDED.',
  })
  errorsUrl!: string | null;

  @Field(() => TrainingProgressType, { nullable: true, description: 'Training jobs: the latest progress.' })
  training!: TrainingProgressType | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Training jobs: the model version made (ready once SUCCEEDED; promote it to serve). Searches: the best trial's version.",
  })
  resultVersion!: number | null;

  @Field(() => SearchResultType, { nullable: true, description: 'Searches: the trial table and the best trial.' })
  search!: SearchResultType | null;

  @Field(() => String)
  createdAt!: string;

  @Field(() => String, { nullable: true })
  startedAt!: string | null;

  @Field(() => String, { nullable: true })
  finishedAt!: string | null;
}

@InputType({
  description: 'How the training dataset is split and sampled (DatasetOptions); omitted fields keep their defaults.',
})
export class DatasetInput {
  @Field(() => Float, {
    nullable: true,
    description: 'Percent of speakers in validation when no list file is present (default 10).',
  })
  validationPercentage?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Percent of speakers in testing when no list file is present (default 10).',
  })
  testingPercentage?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Silence examples per split, percent of the split's command examples (default 10).",
  })
  silencePercentage?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Unknown-word examples per split, percent of the split's command examples (default 10).",
  })
  unknownPercentage?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Seed of the unknown-word sample and the silence cuts (default: the training seed).',
  })
  seed?: number | null;
}

@InputType({ description: 'Augmentation of training clips (AugmentConfig); omitted fields keep their defaults.' })
export class AugmentationInput {
  @Field(() => Float, { nullable: true, description: 'Largest time shift either way, ms (default 100).' })
  timeShiftMs?: number | null;

  @Field(() => [Float], { nullable: true, description: 'Gain range [low, high], dB (default [-6, 6]).' })
  gainDb?: number[] | null;

  @Field(() => Float, { nullable: true, description: 'Probability of mixing background noise (default 0.8).' })
  noiseProbability?: number | null;

  @Field(() => [Float], { nullable: true, description: 'SNR range of that mix [low, high], dB (default [5, 25]).' })
  noiseSnrDb?: number[] | null;

  @Field(() => Float, { nullable: true, description: 'Probability of a speed change (default 0.5).' })
  speedProbability?: number | null;

  @Field(() => [Float], { nullable: true, description: 'Speed factor range [low, high] (default [0.9, 1.1]).' })
  speedRange?: number[] | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The speed change's resampler (libsamplerate): linear (SRC_LINEAR, 4x cheaper; images about 1.6 kHz from each component) or sinc (SRC_SINC_FASTEST, band-limited). Default linear.",
  })
  speedResampler?: 'linear' | 'sinc' | null;

  @Field(() => Int, {
    nullable: true,
    description: 'SpecAugment time masks per clip (Park et al. 2019; default 0, off).',
  })
  timeMasks?: number | null;

  @Field(() => Int, { nullable: true, description: 'Widest time mask, feature frames (default 10).' })
  timeMaskFrames?: number | null;

  @Field(() => Int, { nullable: true, description: 'SpecAugment frequency masks per clip (default 0, off).' })
  freqMasks?: number | null;

  @Field(() => Int, { nullable: true, description: 'Widest frequency mask, mel bins (default 5).' })
  freqMaskBins?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Probability of a simulated room (Polack's statistical impulse response; default 0, off).",
  })
  reverbProbability?: number | null;

  @Field(() => [Float], {
    nullable: true,
    description: 'Reverberation time range [low, high], ms (default [150, 700]).',
  })
  reverbRt60Ms?: number[] | null;

  @Field(() => [Float], {
    nullable: true,
    description: 'Direct-to-reverberant ratio range [low, high], dB (default [0, 15]).',
  })
  reverbDrrDb?: number[] | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Probability of a band-limited (telephone- or codec-like) channel (default 0, off).',
  })
  bandLimitProbability?: number | null;

  @Field(() => [Float], {
    nullable: true,
    description: 'Upper band edge range [low, high], Hz (default [3400, 7000]).',
  })
  bandLimitHz?: number[] | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Probability of vocal tract length perturbation (Jaitly and Hinton 2013; default 0, off).',
  })
  vtlpProbability?: number | null;

  @Field(() => [Float], { nullable: true, description: 'VTLP warp factor range [low, high] (default [0.9, 1.1]).' })
  vtlpRange?: number[] | null;
}

@InputType('FeaturesInput', {
  description:
    "The feature front end of a new version (FeatureConfig fields), stored with the version and recomputed by serving; omitted fields keep their defaults. Ignored with baseVersion (the base version's features are kept).",
})
export class FeaturesInput {
  @Field(() => String, {
    nullable: true,
    description:
      'log-mel (default), mfcc (DCT-II of the log-mel) or pcen (per-channel energy normalisation of the mel energies, Wang et al. 2017); waveform (the fitted samples) for importModelVersion only.',
  })
  type?: string | null;

  @Field(() => Int, { nullable: true, description: 'Analysis window length, samples (default 480: 30 ms).' })
  windowSamples?: number | null;

  @Field(() => Int, { nullable: true, description: 'Hop between frames, samples (default 160: 10 ms).' })
  hopSamples?: number | null;

  @Field(() => Int, { nullable: true, description: 'FFT size, a power of two ≥ windowSamples (default 512).' })
  fftSize?: number | null;

  @Field(() => Int, { nullable: true, description: 'Mel filters (default 40).' })
  melBins?: number | null;

  @Field(() => Float, { nullable: true, description: 'Lower edge of the lowest mel filter, Hz (default 20).' })
  fMinHz?: number | null;

  @Field(() => Float, { nullable: true, description: 'Upper edge of the highest mel filter, Hz (default 7600).' })
  fMaxHz?: number | null;

  @Field(() => Float, { nullable: true, description: 'Floor of the mel energy before the log (default 1e-6).' })
  logFloor?: number | null;

  @Field(() => Int, { nullable: true, description: 'MFCCs kept with type mfcc (default 13).' })
  mfccCoefficients?: number | null;

  @Field(() => Float, { nullable: true, description: 'PCEN smoothing coefficient s, in (0, 1] (default 0.025).' })
  pcenSmoothing?: number | null;

  @Field(() => Float, { nullable: true, description: 'PCEN gain exponent α, in [0, 1] (default 0.98).' })
  pcenGain?: number | null;

  @Field(() => Float, { nullable: true, description: 'PCEN bias δ, > 0 (default 2).' })
  pcenBias?: number | null;

  @Field(() => Float, { nullable: true, description: 'PCEN compression exponent r, in (0, 1] (default 0.5).' })
  pcenPower?: number | null;

  @Field(() => Float, { nullable: true, description: 'PCEN ε added to the smoothed energy, > 0 (default 1e-6).' })
  pcenEpsilon?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'none (default) or utterance-cmvn (per-bin mean 0, standard deviation 1 over the clip).',
  })
  normalization?: string | null;
}

/** A declared option's GraphQL description: what it does, its choices, the schema's note, its default with its unit. */
function optionDescription(spec: OptionSpec): string {
  const choices =
    spec.kind === 'enum' && spec.choices !== undefined
      ? `: ${spec.choices.slice(0, -1).join(', ')} or ${String(spec.choices.at(-1))}`
      : '';
  const note = spec.graphql?.note === undefined ? '' : `; ${spec.graphql.note}`;
  const text = `${spec.description.charAt(0).toUpperCase()}${spec.description.slice(1)}${choices}${note}.`;
  if (spec.default === undefined) return text;
  return `${text} Default ${typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)}${spec.unit === undefined ? '' : ` ${spec.unit}`}.`;
}

/** GraphQL types of the declared kinds (`json` options name their input type). */
const KIND_TYPES = {
  integer: Int,
  number: Float,
  boolean: Boolean,
  enum: String,
  path: String,
  string: String,
} as const;

/**
 * `@Field` for a RetrainInput field from its declared training option (TRAIN_OPTIONS): the GraphQL
 * type from its kind (or `type` for a `json` option), nullable unless required, the description
 * from the declaration.
 *
 * @throws Error when the class is defined, if the property is not the option's GraphQL name.
 */
function TrainOptionField(name: TrainOptionName, type?: () => ClassType): PropertyDecorator {
  const spec: OptionSpec = TRAIN_OPTIONS[name];
  return (target, property) => {
    if (property !== spec.graphql?.field)
      throw new Error(`RetrainInput.${String(property)} is not the GraphQL name of the training option ${name}`);
    const graphqlType = spec.kind === 'json' ? type : () => KIND_TYPES[spec.kind as keyof typeof KIND_TYPES];
    if (graphqlType === undefined) throw new Error(`the json training option ${name} needs its GraphQL input type`);
    Field(graphqlType, { nullable: spec.required !== true, description: optionDescription(spec) })(target, property);
  };
}

@InputType({ description: 'A training run that makes a new model version. Omitted fields take kws train defaults.' })
export class RetrainInput {
  @TrainOptionField('dataDir')
  dataDir!: string;

  @TrainOptionField('architecture')
  architecture?: string | null;

  @TrainOptionField('epochs')
  epochs?: number | null;

  @TrainOptionField('batchSize')
  batchSize?: number | null;

  @TrainOptionField('learningRate')
  learningRate?: number | null;

  @TrainOptionField('patience')
  patience?: number | null;

  @TrainOptionField('balanced')
  balancedSampling?: boolean | null;

  @TrainOptionField('augment', () => AugmentationInput)
  augmentation?: AugmentationInput | null;

  @TrainOptionField('features', () => FeaturesInput)
  features?: FeaturesInput | null;

  @TrainOptionField('baseVersion')
  baseVersion?: number | null;

  @TrainOptionField('fineTuneOnly')
  fineTuneOnly?: boolean | null;

  @TrainOptionField('allowMissingClasses')
  allowMissingClasses?: boolean | null;

  @TrainOptionField('dataset', () => DatasetInput)
  dataset?: DatasetInput | null;

  @TrainOptionField('unknownTargetRecall')
  unknownTargetRecall?: number | null;

  @TrainOptionField('outlierExposure')
  outlierExposure?: number | null;

  @TrainOptionField('distillFrom')
  distillFrom?: number | null;

  @TrainOptionField('distillWeight')
  distillWeight?: number | null;

  @TrainOptionField('allWords')
  allWords?: boolean | null;

  @TrainOptionField('pseudoLabelDir')
  pseudoLabelDir?: string | null;

  @TrainOptionField('pseudoLabelFrom')
  pseudoLabelFrom?: number | null;

  @TrainOptionField('pseudoLabelConfidence')
  pseudoLabelConfidence?: number | null;

  @TrainOptionField('pseudoLabelMaxPerClass')
  pseudoLabelMaxPerClass?: number | null;

  @TrainOptionField('threads')
  threads?: number | null;

  @TrainOptionField('seed')
  seed?: number | null;
}

@InputType({ description: 'A Kaggle test folder to score into a submission.' })
export class ScoreTestSetInput {
  @Field(() => String, {
    description: 'Absolute path of the folder (audio/*.wav), inside a root the server may score.',
  })
  dir!: string;

  @Field(() => Int, { nullable: true, description: 'Default: production.' })
  modelVersion?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Overrides the version's calibrated unknown threshold (max-softmax probability, 0 to 1).",
  })
  unknownThreshold?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Also write all 12 probabilities per clip. Default true.' })
  probabilities?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Test-time augmentation: each clip also scored 100 ms earlier, 100 ms later and 6 dB louder, probabilities averaged (about 4x the compute). Default: the version’s own (kws calibrate --tta), else false.',
  })
  tta?: boolean | null;
}
