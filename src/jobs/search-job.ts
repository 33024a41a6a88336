import { Rng } from '../data/index.js';
import { describeValue, KwsError, UnreachableCaseError } from '../errors/index.js';
import { ARCHITECTURES, isArchitecture } from '../model/index.js';
import { sampleRandom, suggestTpe, validateSearchSpace, validateTrainOptions } from '../training/index.js';
import type { Parameters, SearchSpace, TrainWorkerData } from '../training/index.js';
import { stopReason } from './job-context.js';
import type { JobContext } from './job-context.js';
import { withoutUndefined } from './job-params.js';
import type { JobOf, JobProgress, SearchMetric, SearchParams, SearchStrategy, SearchTrial } from './job-record.js';
import type { PathPolicy } from './path-policy.js';
import { endStopped, trainInWorker } from './train-job.js';

/**
 * Input of a hyperparameter search (GraphQL `startSearch`). The space may hold `architecture`
 * (choices), `learningRate`, `dropout`, `l2` (floats, log scale for rates) and the augmentation
 * fields `noiseProbability`, `timeShiftMs`, `speedProbability`.
 */
export interface SearchInput {
  readonly dataDir: string;
  readonly space: SearchSpace;
  readonly strategy: SearchStrategy;
  /** Trials to run, 1 to 100. */
  readonly trials: number;
  /** Default `validationAccuracy`. */
  readonly metric?: SearchMetric | null;
  /** Epochs per trial. Default 10. */
  readonly epochs?: number | null;
  readonly batchSize?: number | null;
  readonly patience?: number | null;
  /** Seed of the suggestions and of every trial's training. Default 1. */
  readonly seed?: number | null;
  /** Train even when the training split lacks some of the 12 classes. Default false. */
  readonly allowMissingClasses?: boolean | null;
}

/** The parameters a search may tune, and where each goes in the training options. */
export const SEARCHABLE = [
  'architecture',
  'learningRate',
  'dropout',
  'l2',
  'noiseProbability',
  'timeShiftMs',
  'speedProbability',
] as const;

/** The training options of one trial: the search's fixed options plus the trial's point. */
function trialOptions(search: SearchParams, point: Parameters, jobId: number): TrainWorkerData['options'] {
  const num = (name: string): number | undefined => {
    const value = point[name];
    return typeof value === 'number' ? value : undefined;
  };
  const architecture = point['architecture'];
  const augment = withoutUndefined({
    noiseProbability: num('noiseProbability'),
    timeShiftMs: num('timeShiftMs'),
    speedProbability: num('speedProbability'),
  });
  const model = withoutUndefined({ dropout: num('dropout'), l2: num('l2') });
  return withoutUndefined({
    dataDir: search.dataDir,
    epochs: search.epochs,
    seed: search.seed,
    batchSize: search.batchSize,
    patience: search.patience,
    allowMissingClasses: search.allowMissingClasses === true ? true : undefined,
    architecture: typeof architecture === 'string' && isArchitecture(architecture) ? architecture : undefined,
    learningRate: num('learningRate'),
    augment: Object.keys(augment).length > 0 ? augment : undefined,
    model: Object.keys(model).length > 0 ? model : undefined,
    searchJob: jobId,
  });
}

/**
 * Checks a search request and returns the params to store (defaults applied): the space, the
 * trial count, and every range's ends as training options.
 *
 * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `FILE_UNREADABLE` for the dataset,
 *   `INVALID_ARGUMENT` for the space, the trials or an option.
 */
export function searchParamsOf(input: SearchInput, paths: PathPolicy): SearchParams {
  const dataDir = paths.allowedDir(input.dataDir);
  validateSearchSpace(input.space);
  for (const name of Object.keys(input.space))
    if (!(SEARCHABLE as readonly string[]).includes(name))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `cannot search ${describeValue(name)}; searchable: ${SEARCHABLE.join(', ')}`,
      );
  const arch = input.space['architecture'];
  if (
    arch !== undefined &&
    (arch.kind !== 'choice' || !arch.values.every((v) => typeof v === 'string' && isArchitecture(v)))
  )
    throw new KwsError('INVALID_ARGUMENT', `architecture choices must be among ${ARCHITECTURES.join(', ')}`);
  if (!Number.isInteger(input.trials) || input.trials < 1 || input.trials > 100)
    throw new KwsError('INVALID_ARGUMENT', `trials must be from 1 to 100, got ${describeValue(input.trials)}`);
  const params: SearchParams = withoutUndefined({
    dataDir,
    space: input.space,
    strategy: input.strategy,
    trials: input.trials,
    metric: input.metric ?? 'validationAccuracy',
    epochs: input.epochs ?? 10,
    seed: input.seed ?? 1,
    batchSize: input.batchSize ?? undefined,
    patience: input.patience ?? undefined,
    allowMissingClasses: input.allowMissingClasses === true ? true : undefined,
  });
  // Every trial must be a valid training run: try each range's ends.
  for (const end of ['min', 'max'] as const) {
    const point: Parameters = Object.fromEntries(
      Object.entries(input.space).map(([name, spec]) => [
        name,
        spec.kind === 'choice' ? (spec.values[0] ?? '') : spec[end],
      ]),
    );
    validateTrainOptions(trialOptions(params, point, 0));
  }
  return params;
}

type FinishedTrial = SearchTrial & { readonly metric: number };

const isFinished = (trial: SearchTrial): trial is FinishedTrial => trial.metric !== null;

/** The trial with the highest metric (the first of equals), or null while none has finished. */
function bestTrial(trials: readonly SearchTrial[]): SearchTrial | null {
  return trials
    .filter(isFinished)
    .reduce<FinishedTrial | null>((best, t) => (best === null || t.metric > best.metric ? t : best), null);
}

/** The next point to try: at random, or by TPE from the finished trials. */
export function suggest(params: SearchParams, trials: readonly SearchTrial[], rng: Rng): Parameters {
  switch (params.strategy) {
    case 'RANDOM':
      return sampleRandom(params.space, rng);
    case 'TPE':
      return suggestTpe(
        params.space,
        trials.filter(isFinished).map((t) => ({ parameters: t.parameters, metric: t.metric })),
        rng,
      );
    default:
      throw new UnreachableCaseError(params.strategy);
  }
}

/** A search's figures for the job store: its trial table (in trial order), best trial, counts. */
export function searchProgress(params: SearchParams, trials: readonly SearchTrial[]): JobProgress {
  const table = [...trials].sort((a, b) => a.trial - b.trial);
  const best = bestTrial(table);
  return {
    result: { strategy: params.strategy, metric: params.metric, trials: table, best },
    processed: table.filter((t) => t.status !== 'RUNNING').length,
    total: params.trials,
    resultVersion: best?.version ?? null,
  };
}

/** A trial that has just started. */
export function startedTrial(trial: number, parameters: Parameters, worker: string | null): SearchTrial {
  return {
    trial,
    parameters,
    version: null,
    metric: null,
    status: 'RUNNING',
    error: null,
    worker,
    startedAt: new Date().toISOString(),
    finishedAt: null,
  };
}

/**
 * Trains one trial in a worker thread (`trainInWorker`), reporting the version it reserves through
 * `set` and its training progress to the job; returns the trial as it ended.
 */
export async function runTrial(
  ctx: JobContext,
  id: number,
  params: SearchParams,
  entry: SearchTrial,
  set: (trial: SearchTrial) => void,
): Promise<SearchTrial> {
  const outcome = await trainInWorker(
    ctx,
    trialOptions(params, entry.parameters, id),
    (version) => set({ ...entry, version }),
    (progress) => ctx.store.progress(id, { training: progress }),
  );
  const finishedAt = new Date().toISOString();
  switch (outcome.kind) {
    case 'made': {
      const manifest = ctx.registry.manifest(outcome.version);
      return {
        ...entry,
        version: outcome.version,
        metric:
          params.metric === 'calibratedAccuracy' ? manifest.calibration.accuracy : manifest.metrics.validation.accuracy,
        status: 'SUCCEEDED',
        finishedAt,
      };
    }
    case 'stopped':
      return { ...entry, status: 'CANCELLED', finishedAt };
    case 'failed':
      return { ...entry, status: 'FAILED', error: outcome.error, finishedAt };
    default:
      throw new UnreachableCaseError(outcome);
  }
}

/**
 * Ends a search whose trials have all ended: SUCCEEDED when some trial finished, else FAILED with
 * the first trial's error.
 */
export function endSearch(ctx: JobContext, id: number, trials: readonly SearchTrial[]): void {
  if (bestTrial(trials) === null)
    ctx.store.fail(id, trials[0]?.error ?? { code: 'INTERNAL', message: 'no trial finished' });
  else ctx.store.succeed(id);
}

/**
 * Runs a claimed hyperparameter search in this process: trials run one after another as training
 * runs (each a model version tagged with the search's job id), suggested at random or by TPE from
 * the finished trials; the trial table and the best trial are kept in the job's result after every
 * change. Ends SUCCEEDED when some trial finished, FAILED with the first trial's error when none
 * did, CANCELLED, or FAILED `INTERRUPTED` on a shutdown. (With a Redis queue, trials run in
 * parallel on workers: search-trials.ts.)
 */
export async function runSearchJob(job: JobOf<'search'>, ctx: JobContext): Promise<void> {
  const { id, params } = job;
  const rng = new Rng(params.seed);
  const trials: SearchTrial[] = [];
  for (let trial = 1; trial <= params.trials && stopReason(ctx.signal) === null; trial++) {
    const index = trials.length;
    const set = (next: SearchTrial): void => {
      trials[index] = next;
      ctx.store.progress(id, searchProgress(params, trials));
    };
    const entry = startedTrial(trial, suggest(params, trials, rng), null);
    set(entry);
    set(await runTrial(ctx, id, params, entry, set));
  }
  const reason = stopReason(ctx.signal);
  if (reason !== null) endStopped(ctx, id, reason);
  else endSearch(ctx, id, trials);
}
