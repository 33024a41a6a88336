import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { KwsError, describeValue, UnreachableCaseError } from '../errors/index.js';
import { parseRecordId } from '../serving/index.js';
import { renderJobError, scoreJobTta } from '../jobs/index.js';
import type { DatasetOptions } from '../data/index.js';
import type { JobRecord, SearchMetric, SearchResult, SearchStrategy, SearchTrial } from '../jobs/index.js';
import type { ParameterSpec, SearchSpace } from '../training/index.js';
import { SearchInput, SearchMetricEnum, SearchStrategyEnum } from './search.type.js';
import type { RangeInput, SearchResultType, SearchSpaceInput, SearchTrialType } from './search.type.js';
import type { KwsContext } from './context.js';
import { JobStatusEnum, JobType, RetrainInput, ScoreTestSetInput } from './job.type.js';
import type { AugmentationInput, FeaturesInput } from './job.type.js';
import { DEFAULT_AUGMENT_CONFIG, resolveAugmentConfig } from '../data/index.js';
import type { AugmentConfig } from '../data/index.js';
import { ARCHITECTURES, isArchitecture } from '../model/index.js';
import { resolveFeatureConfig } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';

/** A stored job as the `Job` type (`error` as `CODE: message`). */
export function jobType(job: JobRecord): JobType {
  const base = {
    id: String(job.id),
    kind: job.kind,
    status: job.status,
    processed: job.processed,
    failed: job.failed,
    total: job.total,
    clipsPerSecond: job.clipsPerSecond,
    etaSeconds: job.etaSeconds,
    error: job.error === null ? null : renderJobError(job.error),
    training:
      job.training === null ? null : { ...job.training, history: (job.training.history ?? []).map((e) => ({ ...e })) },
    resultVersion: job.resultVersion,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
  const noFiles = { outputUrl: null, probabilitiesUrl: null, errorsUrl: null };
  switch (job.kind) {
    case 'score': {
      const url = (file: string): string | null => (job.status === 'SUCCEEDED' ? `/v1/jobs/${job.id}/${file}` : null);
      return {
        ...base,
        modelVersion: job.params.modelVersion,
        tta: scoreJobTta(job.params),
        outputUrl: url('submission.csv'),
        probabilitiesUrl: job.params.probabilities ? url('probabilities.csv') : null,
        errorsUrl: url('errors.csv'),
        search: null,
      };
    }
    case 'train':
      return { ...base, ...noFiles, modelVersion: job.resultVersion, tta: null, search: null };
    case 'search':
      return {
        ...base,
        ...noFiles,
        modelVersion: job.resultVersion,
        tta: null,
        search: job.result === null ? null : searchType(job.result),
      };
    default:
      throw new UnreachableCaseError(job);
  }
}

/** The GraphQL enums of the search's strategy and metric (a record: every member mapped). */
const STRATEGIES: Readonly<Record<SearchStrategy, SearchStrategyEnum>> = {
  RANDOM: SearchStrategyEnum.RANDOM,
  TPE: SearchStrategyEnum.TPE,
};
const METRICS: Readonly<Record<SearchMetric, SearchMetricEnum>> = {
  validationAccuracy: SearchMetricEnum.VALIDATION_ACCURACY,
  calibratedAccuracy: SearchMetricEnum.CALIBRATED_ACCURACY,
};

function trialType(t: SearchTrial): SearchTrialType {
  return {
    trial: t.trial,
    status: t.status,
    version: t.version,
    metric: t.metric,
    error: t.error === null ? null : renderJobError(t.error),
    worker: t.worker,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    parameters: Object.entries(t.parameters).map(([name, value]) => ({ name, value: String(value) })),
  };
}

function searchType(result: SearchResult): SearchResultType {
  return {
    strategy: STRATEGIES[result.strategy],
    metric: METRICS[result.metric],
    best: result.best === null ? null : trialType(result.best),
    trials: result.trials.map(trialType),
  };
}

/** The search space of the GraphQL input, with rates on a log scale. */
function searchSpace(input: SearchSpaceInput): SearchSpace {
  const space: Record<string, ParameterSpec> = {};
  if (input.architectures !== null && input.architectures !== undefined)
    space['architecture'] = { kind: 'choice', values: input.architectures };
  const ranges: Array<[keyof SearchSpaceInput & string, boolean]> = [
    ['learningRate', true],
    ['dropout', false],
    ['l2', true],
    ['noiseProbability', false],
    ['timeShiftMs', false],
    ['speedProbability', false],
  ];
  for (const [name, log] of ranges) {
    const range = input[name] as RangeInput | null | undefined;
    if (range !== null && range !== undefined) space[name] = { kind: 'float', min: range.min, max: range.max, log };
  }
  return space;
}

/** AugmentationInput as an AugmentConfig: each field of DEFAULT_AUGMENT_CONFIG given, ranges (arrays there) as `[low, high]`. */
function pair(input: AugmentationInput): Partial<AugmentConfig> {
  const given = input as unknown as Readonly<Record<string, number | number[] | null | undefined>>;
  const config: Record<string, unknown> = {};
  for (const [name, fallback] of Object.entries(DEFAULT_AUGMENT_CONFIG)) {
    const value = given[name];
    if (value === null || value === undefined) continue;
    if (Array.isArray(fallback) && (!Array.isArray(value) || value.length !== 2))
      throw new KwsError('INVALID_ARGUMENT', `augmentation.${name} must be [low, high], got ${describeValue(value)}`);
    config[name] = Array.isArray(value) ? [value[0] as number, value[1] as number] : value;
  }
  resolveAugmentConfig(config as Partial<AugmentConfig>); // refuse bad values now, not in the worker
  return config as Partial<AugmentConfig>;
}

/**
 * The FeatureConfig fields a FeaturesInput sets (null ones keep their defaults), checked now rather
 * than in the worker.
 *
 * @throws FeatureError `INVALID_FEATURE_CONFIG` naming the field, the rule and the value.
 */
/** The FeatureConfig fields a `FeaturesInput` gives (nulls left out), checked. */
export function featuresOf(input: FeaturesInput): Partial<FeatureConfig> {
  const config = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
  resolveFeatureConfig(config); // type and normalization are strings in GraphQL: this refuses any other value
  return config as Partial<FeatureConfig>;
}

function jobId(id: string): number {
  const numeric = parseRecordId(id);
  if (numeric === null) throw new KwsError('NOT_FOUND', `no job has id ${describeValue(id)}`);
  return numeric;
}

@Resolver(() => JobType)
export class JobResolver {
  @Mutation(() => JobType, {
    description:
      'Queues a bulk-scoring job over a Kaggle test folder (inside the roots the server may score). Runs in the background: in the server, one job at a time, or (with --redis) in shards on kws worker processes, assembled in order.',
  })
  async scoreTestSet(
    @Arg('input', () => ScoreTestSetInput) input: ScoreTestSetInput,
    @Ctx() ctx: KwsContext,
  ): Promise<JobType> {
    return jobType(await ctx.jobs.submitScore(input));
  }

  @Mutation(() => JobType, {
    description:
      'Queues a training job that makes a new model version, off the request path (a worker thread, or a kws worker process with --redis). The new version serves only once promoted (promoteModelVersion).',
  })
  async retrain(@Arg('input', () => RetrainInput) input: RetrainInput, @Ctx() ctx: KwsContext): Promise<JobType> {
    const architecture = input.architecture ?? null;
    if (architecture !== null && !isArchitecture(architecture))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `unknown architecture ${describeValue(architecture)}; choose one of ${ARCHITECTURES.join(', ')}`,
      );
    const augmentation =
      input.augmentation === null || input.augmentation === undefined ? null : pair(input.augmentation);
    // Fields given as null keep their defaults, as omitted ones do.
    const dataset =
      input.dataset === null || input.dataset === undefined
        ? null
        : (Object.fromEntries(
            Object.entries(input.dataset).filter(([, v]) => v !== null && v !== undefined),
          ) as DatasetOptions);
    const features = input.features === null || input.features === undefined ? null : featuresOf(input.features);
    return jobType(await ctx.jobs.submitTrain({ ...input, architecture, augmentation, dataset, features }));
  }

  @Mutation(() => JobType, {
    description:
      'Starts a hyperparameter search: trials run as training runs (each a model version tagged with the search), RANDOM or TPE, one after another in the server or in parallel on kws worker processes (--redis); job(id).search has the trial table and the best trial.',
  })
  async startSearch(@Arg('input', () => SearchInput) input: SearchInput, @Ctx() ctx: KwsContext): Promise<JobType> {
    return jobType(await ctx.jobs.submitSearch({ ...input, space: searchSpace(input.space) }));
  }

  @Mutation(() => JobType, { description: 'Cancels a QUEUED or RUNNING job.' })
  async cancelJob(@Arg('id', () => ID) id: string, @Ctx() ctx: KwsContext): Promise<JobType> {
    return jobType(await ctx.jobs.cancel(jobId(id)));
  }

  @Query(() => JobType, { nullable: true, description: 'One job; null when there is none.' })
  job(@Arg('id', () => ID) id: string, @Ctx() ctx: KwsContext): JobType | null {
    const numeric = parseRecordId(id);
    const job = numeric === null ? null : ctx.jobs.store.get(numeric);
    return job === null ? null : jobType(job);
  }

  @Query(() => [JobType], { description: 'Jobs, newest first.' })
  jobs(
    @Ctx() ctx: KwsContext,
    @Arg('status', () => JobStatusEnum, { nullable: true }) status?: JobStatusEnum | null,
  ): JobType[] {
    return ctx.jobs.store.list(status ?? null).map(jobType);
  }
}
