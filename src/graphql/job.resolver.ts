import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { KwsError, describeValue } from '../errors/index.js';
import type { JobRecord } from '../jobs/index.js';
import type { KwsContext } from './context.js';
import { JobStatusEnum, JobType, RetrainInput, ScoreTestSetInput } from './job.type.js';
import type { AugmentationInput } from './job.type.js';
import { resolveAugmentConfig } from '../data/index.js';
import type { AugmentConfig } from '../data/index.js';
import { ARCHITECTURES, isArchitecture } from '../model/index.js';

/** A stored job as the `Job` type. */
export function jobType(job: JobRecord): JobType {
  const done = job.status === 'SUCCEEDED' && job.kind === 'score';
  const url = (file: string): string | null => (done ? `/v1/jobs/${job.id}/${file}` : null);
  return {
    id: String(job.id),
    kind: job.kind,
    status: job.status,
    processed: job.processed,
    failed: job.failed,
    total: job.total,
    clipsPerSecond: job.clipsPerSecond,
    etaSeconds: job.etaSeconds,
    error: job.error,
    modelVersion: typeof job.params['modelVersion'] === 'number' ? job.params['modelVersion'] : job.resultVersion,
    outputUrl: url('submission.csv'),
    probabilitiesUrl: job.params['probabilities'] === false ? null : url('probabilities.csv'),
    errorsUrl: url('errors.csv'),
    training: job.training === null ? null : { ...job.training },
    resultVersion: job.resultVersion,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

/** AugmentConfig ranges are pairs: `[low, high]`. */
function pair(input: AugmentationInput): Partial<AugmentConfig> {
  const range = (name: string, value: number[] | null | undefined): readonly [number, number] | undefined => {
    if (value === null || value === undefined) return undefined;
    if (value.length !== 2) throw new KwsError('INVALID_ARGUMENT', `augmentation.${name} must be [low, high], got ${describeValue(value)}`);
    return [value[0] as number, value[1] as number];
  };
  const out: Record<string, unknown> = { timeShiftMs: input.timeShiftMs, noiseProbability: input.noiseProbability, speedProbability: input.speedProbability, gainDb: range('gainDb', input.gainDb), noiseSnrDb: range('noiseSnrDb', input.noiseSnrDb), speedRange: range('speedRange', input.speedRange) };
  const config = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null && v !== undefined)) as Partial<AugmentConfig>;
  resolveAugmentConfig(config); // refuse bad values now, not in the worker
  return config;
}

function jobId(id: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(id)) throw new KwsError('NOT_FOUND', `no job has id ${describeValue(id)}`);
  return Number(id);
}

@Resolver(() => JobType)
export class JobResolver {
  @Mutation(() => JobType, { description: 'Queues a bulk-scoring job over a Kaggle test folder (inside the roots the server may score). Runs in the background, one job at a time.' })
  scoreTestSet(@Arg('input', () => ScoreTestSetInput) input: ScoreTestSetInput, @Ctx() ctx: KwsContext): JobType {
    return jobType(ctx.jobs.submitScore(input));
  }

  @Mutation(() => JobType, { description: 'Queues a training job that makes a new model version, off the request path (a worker thread), one job at a time. The new version serves only once promoted (promoteModelVersion).' })
  retrain(@Arg('input', () => RetrainInput) input: RetrainInput, @Ctx() ctx: KwsContext): JobType {
    const architecture = input.architecture ?? null;
    if (architecture !== null && !isArchitecture(architecture)) throw new KwsError('INVALID_ARGUMENT', `unknown architecture ${describeValue(architecture)}; choose one of ${ARCHITECTURES.join(', ')}`);
    const augmentation = input.augmentation === null || input.augmentation === undefined ? null : pair(input.augmentation);
    return jobType(ctx.jobs.submitTrain({ ...input, architecture, augmentation }));
  }

  @Mutation(() => JobType, { description: 'Cancels a QUEUED or RUNNING job.' })
  async cancelJob(@Arg('id', () => ID) id: string, @Ctx() ctx: KwsContext): Promise<JobType> {
    return jobType(await ctx.jobs.cancel(jobId(id)));
  }

  @Query(() => JobType, { nullable: true, description: 'One job; null when there is none.' })
  job(@Arg('id', () => ID) id: string, @Ctx() ctx: KwsContext): JobType | null {
    const job = /^[1-9][0-9]{0,14}$/.test(id) ? ctx.jobs.store.get(Number(id)) : null;
    return job === null ? null : jobType(job);
  }

  @Query(() => [JobType], { description: 'Jobs, newest first.' })
  jobs(@Ctx() ctx: KwsContext, @Arg('status', () => JobStatusEnum, { nullable: true }) status?: JobStatusEnum | null): JobType[] {
    return ctx.jobs.store.list(status ?? null).map(jobType);
  }
}
