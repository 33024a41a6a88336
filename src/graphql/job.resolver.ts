import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { KwsError, describeValue } from '../errors/index.js';
import type { JobRecord } from '../jobs/index.js';
import type { KwsContext } from './context.js';
import { JobStatusEnum, JobType, ScoreTestSetInput } from './job.type.js';

/** A stored job as the `Job` type. */
export function jobType(job: JobRecord): JobType {
  const done = job.status === 'SUCCEEDED';
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
    modelVersion: typeof job.params['modelVersion'] === 'number' ? job.params['modelVersion'] : null,
    outputUrl: url('submission.csv'),
    probabilitiesUrl: job.params['probabilities'] === false ? null : url('probabilities.csv'),
    errorsUrl: url('errors.csv'),
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
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
