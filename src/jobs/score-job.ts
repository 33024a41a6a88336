import { join } from 'node:path';
import { DEFAULT_TTA, describeTta } from '../engine/index.js';
import type { TtaSpec } from '../engine/index.js';
import { validateThresholds } from '../inference/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { stopReason } from './job-context.js';
import type { JobContext } from './job-context.js';
import type { JobOf, ScoreParams } from './job-record.js';
import type { PathPolicy } from './path-policy.js';
import { scoreTestSet } from './score-test-set.js';
import type { ScoreSummary } from './score-test-set.js';

/** Input of a bulk-scoring job (GraphQL `scoreTestSet`). */
export interface ScoreJobInput {
  /** Test folder (`audio/*.wav`), inside one of the allowed roots. */
  readonly dir: string;
  /** Default: the version `production` names now (resolved on submission). */
  readonly modelVersion?: number | null;
  /** Overrides the version's calibrated unknown threshold (max-softmax probability, 0 to 1). */
  readonly unknownThreshold?: number | null;
  /** Also write all 12 probabilities per clip. Default true. */
  readonly probabilities?: boolean | null;
  /** Test-time augmentation with `DEFAULT_TTA`. Default: the version's own (`kws calibrate --tta`), else none. */
  readonly tta?: boolean | null;
}

/** A scoring job's test-time augmentation as one line (`describeTta`), or null without. */
export function scoreJobTta(params: ScoreParams): string | null {
  return params.tta ? describeTta(DEFAULT_TTA) : null;
}

/** The TTA a scoring job runs with: the version's own when it has one, else `DEFAULT_TTA`; null without. */
export function scoreJobTtaSpec(registry: ModelRegistry, params: ScoreParams): TtaSpec | null {
  return params.tta ? (registry.manifest(params.modelVersion).tta ?? DEFAULT_TTA) : null;
}

/** The files a finished scoring job leaves in its output folder. */
export const JOB_OUTPUTS = {
  submission: 'submission.csv',
  probabilities: 'probabilities.csv',
  errors: 'errors.csv',
} as const;

/**
 * Checks a bulk-scoring request and returns the params to store.
 *
 * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `FILE_UNREADABLE` for the folder (see
 *   {@link PathPolicy.allowedDir}), `NOT_FOUND` / `NOT_READY` for the version, `INVALID_ARGUMENT`
 *   for a bad threshold.
 */
export function scoreParamsOf(input: ScoreJobInput, paths: PathPolicy, registry: ModelRegistry): ScoreParams {
  const dir = paths.allowedDir(input.dir);
  const modelVersion = registry.resolve(input.modelVersion ?? undefined).version;
  const unknownThreshold = input.unknownThreshold ?? null;
  if (unknownThreshold !== null)
    validateThresholds({ unknownThreshold, silenceThresholdDbfs: Number.NEGATIVE_INFINITY });
  // Without a word, a version calibrated with TTA scores with it.
  const tta = input.tta ?? registry.manifest(modelVersion).tta !== undefined;
  return { dir, modelVersion, unknownThreshold, probabilities: input.probabilities ?? true, tta };
}

/**
 * Runs a claimed scoring job: scores its folder in the engine's worker threads into its output
 * folder, checkpointing every chunk under `job:<id>`; a reclaimed job (attempt > 1) resumes from
 * its checkpoint. Ends SUCCEEDED, FAILED with the (masked) error, or CANCELLED; on a shutdown it
 * stays RUNNING at its last checkpoint, to be reclaimed by the next process. Never throws for a
 * failure of the scoring itself.
 */
export async function runScoreJob(job: JobOf<'score'>, ctx: JobContext): Promise<void> {
  const { id, params } = job;
  const outputDir = job.outputDir ?? join(ctx.outputRoot, String(id));
  let summary: ScoreSummary;
  try {
    summary = await scoreTestSet(ctx.registry, ctx.pool, ctx.checkpoints, {
      dir: params.dir,
      out: join(outputDir, JOB_OUTPUTS.submission),
      probabilitiesOut: params.probabilities ? join(outputDir, JOB_OUTPUTS.probabilities) : null,
      errorsOut: join(outputDir, JOB_OUTPUTS.errors),
      modelVersion: params.modelVersion,
      unknownThreshold: params.unknownThreshold,
      tta: scoreJobTtaSpec(ctx.registry, params),
      ...(ctx.chunkSize === undefined ? {} : { chunkSize: ctx.chunkSize }),
      resume: job.attempt > 1,
      checkpointKey: `job:${id}`,
      signal: ctx.signal,
      onProgress: (p) => {
        ctx.store.progress(id, {
          processed: p.processed,
          failed: p.failed,
          total: p.total,
          clipsPerSecond: p.clipsPerSecond,
          etaSeconds: p.etaSeconds,
        });
      },
    });
  } catch (error) {
    ctx.store.fail(id, ctx.errorOf(error));
    return;
  }
  const counts = { processed: summary.processed, failed: summary.failed, total: summary.total };
  if (!summary.cancelled) ctx.store.succeed(id, { ...counts, etaSeconds: 0 });
  else if (stopReason(ctx.signal) === 'cancel') ctx.store.cancel(id, { ...counts, etaSeconds: null });
  // else: a shutdown; the job stays RUNNING at its last checkpoint and is reclaimed at the next start.
}
