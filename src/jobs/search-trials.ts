import { Rng } from '../data/index.js';
import { KwsError } from '../errors/index.js';
import { stopReason } from './job-context.js';
import type { JobContext } from './job-context.js';
import type { JobError } from './job-error.js';
import type { JobRecord, SearchParams, SearchTrial } from './job-record.js';
import { endSearch, runTrial, searchProgress, startedTrial, suggest } from './search-job.js';

/**
 * The seed of trial `trial`'s suggestion in a search spread over workers: each trial draws from its
 * own stream, so that which worker asks first changes only what TPE has seen, not the random draws.
 */
export function trialSeed(seed: number, trial: number): number {
  return (Math.imul(seed, 1_000_003) + trial * 7919) >>> 0;
}

/** The search a trial belongs to, RUNNING (started now if it was QUEUED), or null once it has ended. */
function runningSearch(ctx: JobContext, id: number): (JobRecord & { kind: 'search' }) | null {
  let job = ctx.store.require(id);
  if (job.kind !== 'search') throw new KwsError('INTERNAL', `job ${id} is a ${job.kind} job, not a search`);
  if (job.status === 'QUEUED') job = ctx.store.start(id);
  return job.status === 'RUNNING' && job.kind === 'search' ? job : null;
}

/**
 * Reserves trial `trial` of a search in one transaction: a new trial gets a point suggested from
 * the trials finished by now (TPE) or drawn at random; a trial left RUNNING by a worker that died
 * is run again with the same point (its half-made version is returned, to abandon). A trial that
 * has ended, or a search that has, is not run (null).
 */
function reserveTrial(
  ctx: JobContext,
  id: number,
  trial: number,
  worker: string,
): { readonly params: SearchParams; readonly entry: SearchTrial; readonly abandon: number | null } | null {
  return ctx.store.atomically(() => {
    const job = runningSearch(ctx, id);
    if (job === null) return null;
    const trials = job.result?.trials ?? [];
    const left = trials.find((t) => t.trial === trial);
    if (left !== undefined && left.status !== 'RUNNING') return null;
    const parameters = left?.parameters ?? suggest(job.params, trials, new Rng(trialSeed(job.params.seed, trial)));
    const entry = startedTrial(trial, parameters, worker);
    ctx.store.progress(id, searchProgress(job.params, [...trials.filter((t) => t.trial !== trial), entry]));
    return { params: job.params, entry, abandon: left?.version ?? null };
  });
}

/** Writes one trial into its search's table, in one transaction; a search that has ended is left alone. */
function recordTrial(ctx: JobContext, id: number, params: SearchParams, entry: SearchTrial): SearchTrial[] | null {
  return ctx.store.atomically(() => {
    const job = ctx.store.require(id);
    if (job.status !== 'RUNNING' || job.kind !== 'search') return null;
    const trials = [...(job.result?.trials ?? []).filter((t) => t.trial !== entry.trial), entry];
    ctx.store.progress(id, searchProgress(params, trials));
    return trials;
  });
}

/**
 * Runs trial `trial` of a search on this worker (a `kws worker` of a Redis queue; many run trials of
 * one search at once): reserves it, trains it in a worker thread, writes it into the search's
 * table, and ends the search when every trial has ended (SUCCEEDED when one finished, else FAILED
 * with the first trial's error). A cancelled search stops the trial (`ctx.signal`), whose version
 * is abandoned.
 *
 * @param worker This worker's name (`host:pid`), kept in the trial.
 */
export async function runSearchTrial(ctx: JobContext, id: number, trial: number, worker: string): Promise<void> {
  const reserved = reserveTrial(ctx, id, trial, worker);
  if (reserved === null) return;
  const { params, entry } = reserved;
  if (reserved.abandon !== null)
    ctx.registry.abandon(reserved.abandon, 'the worker training it stopped; the trial ran again on another');
  const ended = await runTrial(ctx, id, params, entry, (next) => void recordTrial(ctx, id, params, next));
  if (stopReason(ctx.signal) === 'lost') return; // another worker runs the trial now
  endTrial(ctx, id, params, ended);
}

/** Writes a trial as it ended and, when it was the last to end, ends its search; one transaction. */
function endTrial(ctx: JobContext, id: number, params: SearchParams, ended: SearchTrial): void {
  ctx.store.atomically(() => {
    const trials = recordTrial(ctx, id, params, ended);
    if (trials !== null && trials.length >= params.trials && trials.every((t) => t.status !== 'RUNNING'))
      endSearch(ctx, id, trials);
  });
}

/**
 * Records trial `trial` FAILED with `error` when its part failed for good (every try, or its
 * workers died too often), and ends the search if it was the last trial: one trial's failure does
 * not fail a search whose other trials finish.
 */
export function failTrial(ctx: JobContext, id: number, trial: number, error: JobError): void {
  const job = ctx.store.get(id);
  if (job === null || job.kind !== 'search' || job.status !== 'RUNNING') return;
  const left = job.result?.trials.find((t) => t.trial === trial);
  if (left?.version !== null && left?.version !== undefined && left.status === 'RUNNING')
    ctx.registry.abandon(left.version, `${error.code}: ${error.message}`);
  const entry: SearchTrial = {
    ...(left ?? startedTrial(trial, {}, null)),
    status: 'FAILED',
    error,
    finishedAt: new Date().toISOString(),
  };
  endTrial(ctx, id, job.params, entry);
}
