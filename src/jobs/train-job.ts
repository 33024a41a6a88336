import { spawnWorker } from '../config/index.js';
import { KwsError, UnreachableCaseError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import {
  checkDistillation,
  refuseEnsemble,
  refuseImported,
  trainOptionsFromRetrainInput,
  validateTrainOptions,
} from '../training/index.js';
import type { RetrainInputOptions, TrainingProgress, TrainWorkerData, TrainWorkerMessage } from '../training/index.js';
import { stopReason } from './job-context.js';
import type { JobContext, StopReason } from './job-context.js';
import { renderJobError } from './job-error.js';
import { followVersionWorker } from './worker-run.js';
import type { JobError } from './job-error.js';
import type { JobOf, TrainParams } from './job-record.js';
import type { PathPolicy } from './path-policy.js';

/**
 * Input of a training job (GraphQL `retrain`): the declared training options under their GraphQL
 * names (`TRAIN_OPTIONS`, `RetrainInputOptions`), each optional but `dataDir`; omitted fields take
 * `kws train`'s defaults.
 */
export type RetrainInput = RetrainInputOptions;

/**
 * Checks a training request (numbers and ranges now, not in the worker) and returns the params to
 * store: the given fields only, so that the rest take `kws train`'s defaults.
 *
 * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `FILE_UNREADABLE` for the dataset or the
 *   pseudo-label folder, `NOT_FOUND` / `INVALID_ARGUMENT` for the base, teacher or pseudo-labelling version, `INVALID_ARGUMENT` for an
 *   option or a distillation that does not fit (see `checkDistillation`).
 */
export function trainParamsOf(input: RetrainInput, paths: PathPolicy, registry: ModelRegistry): TrainParams {
  const dataDir = paths.allowedDir(input.dataDir);
  const baseVersion = input.baseVersion ?? undefined;
  const base = baseVersion === undefined ? null : registry.manifest(registry.resolve(baseVersion).version);
  if (base !== null) {
    refuseEnsemble(base, 'a base version', 'distil it instead (distillFrom)');
    refuseImported(base, 'a base version');
    if (base.words === undefined && input.allWords === true)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `allWords trains a model of every word, from scratch or from an all-words base version; version ${base.version} answers the 12 labels`,
      );
  }
  if (input.fineTuneOnly === true && baseVersion === undefined)
    throw new KwsError('INVALID_ARGUMENT', 'fineTuneOnly needs a baseVersion to start from');
  const pseudoLabelDir =
    input.pseudoLabelDir === undefined || input.pseudoLabelDir === null
      ? input.pseudoLabelDir
      : paths.allowedDir(input.pseudoLabelDir);
  // GraphQL's names (balancedSampling...) to TrainOptions'
  const params: TrainParams = trainOptionsFromRetrainInput({ ...input, dataDir, pseudoLabelDir });
  // An all-words base makes a model of words: check the options as such.
  validateTrainOptions(base?.words === undefined ? params : { ...params, allWords: true });
  checkDistillation(registry, params);
  if (params.pseudoLabelFrom !== undefined && params.pseudoLabelFrom !== null) registry.resolve(params.pseudoLabelFrom);
  return params;
}

/** How a training run in a worker thread ended. */
export type TrainOutcome =
  | { readonly kind: 'made'; readonly version: number }
  | { readonly kind: 'stopped'; readonly reason: StopReason }
  | { readonly kind: 'failed'; readonly error: JobError };

/**
 * Trains one version in a worker thread (TF.js on wasm occupies its thread for minutes), which is
 * terminated when `ctx.signal` aborts. A run that is stopped or fails has its half-made version
 * abandoned (marked failed, its folder removed); a made version is passed to `ctx.onVersion`.
 *
 * @param onBegin Called with the version number once the worker has reserved it.
 * @param onProgress Called with each (throttled) progress report.
 * @returns Never rejects: a failure is a `failed` outcome with its error masked by `ctx.errorOf`.
 */
export async function trainInWorker(
  ctx: JobContext,
  options: TrainWorkerData['options'],
  onBegin: (version: number) => void,
  onProgress: (progress: TrainingProgress) => void,
): Promise<TrainOutcome> {
  const before = stopReason(ctx.signal);
  if (before !== null) return { kind: 'stopped', reason: before };
  const data: TrainWorkerData = { modelsDir: ctx.registry.modelsDir, options };
  const worker = spawnWorker('train', { train: data });
  const seen = await followVersionWorker<TrainWorkerMessage>(worker, ctx.signal, onBegin, (message) =>
    onProgress(message.progress),
  );
  if (seen.made !== null && seen.error === null) {
    ctx.onVersion(seen.made);
    return { kind: 'made', version: seen.made };
  }
  const reason = stopReason(ctx.signal);
  const outcome: TrainOutcome =
    reason !== null
      ? { kind: 'stopped', reason }
      : {
          kind: 'failed',
          error: ctx.errorOf(seen.error ?? new Error(`the training worker exited with code ${seen.exitCode}`)),
        };
  if (seen.version !== null) ctx.registry.abandon(seen.version, abandonReason(outcome));
  return outcome;
}

/** What a version's record says about a run that did not make it. */
function abandonReason(outcome: Exclude<TrainOutcome, { kind: 'made' }>): string {
  switch (outcome.kind) {
    case 'stopped':
      switch (outcome.reason) {
        case 'shutdown':
          return 'training was interrupted by a shutdown of the server';
        case 'cancel':
          return 'training was cancelled';
        case 'lost':
          return 'its worker lost the part to another worker, which trains it again';
        default:
          throw new UnreachableCaseError(outcome.reason);
      }
    case 'failed':
      return renderJobError(outcome.error);
    default:
      throw new UnreachableCaseError(outcome);
  }
}

/**
 * Ends a training job or search that a cancel or a shutdown stopped: CANCELLED, or FAILED with
 * `INTERRUPTED` (training cannot resume); a part whose worker lost it (`lost`) is left to the
 * worker that has it now.
 */
export function endStopped(ctx: JobContext, id: number, reason: StopReason): void {
  switch (reason) {
    case 'cancel':
      ctx.store.cancel(id);
      return;
    case 'shutdown':
      ctx.store.fail(id, { code: 'INTERRUPTED', message: 'interrupted by a shutdown of the server; submit it again' });
      return;
    case 'lost':
      return;
    default:
      throw new UnreachableCaseError(reason);
  }
}

/** The training figures of a finished version: its best epoch, the one it keeps. */
function finalProgress(registry: ModelRegistry, version: number, epochs: number | undefined): TrainingProgress {
  const { history, bestEpoch } = registry.manifest(version).training;
  const best = history.find((h) => h.epoch === bestEpoch) ?? history.at(-1);
  return {
    phase: 'done',
    epoch: bestEpoch,
    epochs: epochs ?? history.length,
    loss: best?.loss ?? null,
    accuracy: best?.accuracy ?? null,
    valAccuracy: best?.valAccuracy ?? null,
    etaSeconds: 0,
    history,
  };
}

/**
 * Runs a claimed training job: one version trained in a worker thread, its progress in
 * `Job.training`. Ends SUCCEEDED with the version (which serves only once promoted), FAILED with
 * the (masked) error, CANCELLED, or FAILED `INTERRUPTED` on a shutdown.
 */
export async function runTrainJob(job: JobOf<'train'>, ctx: JobContext): Promise<void> {
  const { id } = job;
  const outcome = await trainInWorker(
    ctx,
    job.params,
    (version) => ctx.store.progress(id, { resultVersion: version }),
    (progress) => ctx.store.progress(id, { training: progress, etaSeconds: progress.etaSeconds }),
  );
  switch (outcome.kind) {
    case 'made':
      ctx.store.succeed(id, {
        resultVersion: outcome.version,
        training: finalProgress(ctx.registry, outcome.version, ctx.store.require(id).training?.epochs),
        etaSeconds: 0,
      });
      return;
    case 'stopped':
      endStopped(ctx, id, outcome.reason);
      return;
    case 'failed':
      ctx.store.fail(id, outcome.error);
      return;
    default:
      throw new UnreachableCaseError(outcome);
  }
}
