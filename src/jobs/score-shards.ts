import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnginePool } from '../engine/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { JobOf } from './job-record.js';
import { JOB_OUTPUTS, scoreJobTtaSpec } from './score-job.js';
import { listSorted, openAt, resolveScoring, SCORE_HEADERS, writeChunks } from './score-test-set.js';
import type { Outputs, SortedClips } from './score-test-set.js';

/**
 * A scoring job cut into shards for the workers of a Redis queue, written once at submission to
 * `<outputDir>/plan.json`: the clips in `fname` order and the chunking. Shard `k` is chunks
 * `[k * shardChunks, (k + 1) * shardChunks)`; a chunk is `chunkSize` clips, the same chunks as a run
 * on one machine, so each inference batch, and each output byte, is the same.
 */
export interface ShardPlan {
  /** Clips per chunk (one inference batch). */
  readonly chunkSize: number;
  /** Chunks per shard. */
  readonly shardChunks: number;
  /** Number of shards (at least 1). */
  readonly shards: number;
  readonly clips: SortedClips;
}

/** What a finished shard did, written beside its rows as `<k>.json`. */
interface ShardSummary {
  readonly processed: number;
  readonly failed: number;
}

const PLAN_FILE = 'plan.json';
const SHARDS_DIR = 'shards';
const PARTS = ['submission', 'probabilities', 'errors'] as const;

/** The output folder of a scoring job. @throws KwsError `INTERNAL` for one recorded without. */
function outputDirOf(job: JobOf<'score'>): string {
  if (job.outputDir === null) throw new KwsError('INTERNAL', `scoring job ${job.id} has no output folder`);
  return job.outputDir;
}

/** Writes `text` to `path` through a temporary file renamed into place (readers see all or nothing). */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw fromFsError(error, path, 'write');
  }
}

/**
 * Lists a scoring job's folder and writes its shard plan (`<outputDir>/plan.json`).
 *
 * @param chunkSize Clips per chunk, 1 to 4096 (the one-machine run's, so that the bytes agree).
 * @param shardClips Clips per shard, rounded up to whole chunks.
 * @throws KwsError `INVALID_ARGUMENT` for an empty folder, `FILE_NOT_FOUND`, `FILE_UNWRITABLE`.
 */
export async function planShards(job: JobOf<'score'>, chunkSize: number, shardClips: number): Promise<ShardPlan> {
  const clips = await listSorted(job.params.dir);
  if (clips.length === 0)
    throw new KwsError('INVALID_ARGUMENT', `no .wav files in ${job.params.dir} (or its audio/ folder)`);
  const shardChunks = Math.max(1, Math.ceil(shardClips / chunkSize));
  const shards = Math.ceil(Math.ceil(clips.length / chunkSize) / shardChunks);
  const plan: ShardPlan = { chunkSize, shardChunks, shards, clips };
  const dir = outputDirOf(job);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw fromFsError(error, dir, 'write');
  }
  await writeAtomically(join(dir, PLAN_FILE), JSON.stringify(plan));
  return plan;
}

/**
 * Reads a scoring job's shard plan.
 *
 * @throws KwsError `FILE_NOT_FOUND` when it was never written, `MALFORMED` for one that does not read.
 */
export async function readShardPlan(job: JobOf<'score'>): Promise<ShardPlan> {
  const path = join(outputDirOf(job), PLAN_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fromFsError(error, path, 'read');
  }
  const plan = JSON.parse(text) as ShardPlan;
  if (!Array.isArray(plan.clips) || !(plan.shards >= 1) || !(plan.chunkSize >= 1) || !(plan.shardChunks >= 1))
    throw new KwsError('MALFORMED', `${path} is not a shard plan`);
  return plan;
}

/** Shard `k`'s clips as a human reads them: `shard 2 of 5 (clips 4097-8192)`. */
export function describeShard(plan: ShardPlan, k: number): string {
  const per = plan.shardChunks * plan.chunkSize;
  const first = k * per + 1;
  const last = Math.min((k + 1) * per, plan.clips.length);
  return `shard ${k + 1} of ${plan.shards} (clips ${first}-${last})`;
}

/** The file of one part of shard `k`. */
function shardFile(dir: string, k: number, part: (typeof PARTS)[number] | 'summary'): string {
  return join(dir, SHARDS_DIR, part === 'summary' ? `${k}.json` : `${k}.${part}.csv`);
}

/** Options of {@link scoreShard}. */
export interface ShardRunOptions {
  readonly registry: ModelRegistry;
  readonly pool: EnginePool;
  /** Stops the shard after the chunks in flight; nothing of it is kept. */
  readonly signal: AbortSignal;
  /** A pause after each chunk, ms (fault-injection and demos: `kws worker --chunk-delay-ms`). Default 0. */
  readonly chunkDelayMs?: number;
}

/**
 * Scores shard `k` of a job into `<outputDir>/shards/<k>.{submission,probabilities,errors}.csv` (rows
 * only) and `<k>.json` (its counts), each through a temporary file renamed into place once the whole
 * shard is done, so that a shard retried after its worker died is written again from nothing and a
 * half-written one is never read.
 *
 * @returns Its counts, or null when `signal` stopped it.
 * @throws KwsError as `resolveScoring` for the version; `FILE_UNWRITABLE` for the output folder.
 */
export async function scoreShard(
  job: JobOf<'score'>,
  plan: ShardPlan,
  k: number,
  options: ShardRunOptions,
): Promise<ShardSummary | null> {
  const { params } = job;
  const setup = resolveScoring(options.registry, {
    modelVersion: params.modelVersion,
    unknownThreshold: params.unknownThreshold,
    chunkSize: plan.chunkSize,
    tta: scoreJobTtaSpec(options.registry, params),
  });
  const dir = outputDirOf(job);
  const tag = randomUUID();
  const temp = (part: (typeof PARTS)[number]): string => `${shardFile(dir, k, part)}.${tag}.tmp`;
  try {
    await mkdir(join(dir, SHARDS_DIR), { recursive: true });
  } catch (error) {
    throw fromFsError(error, join(dir, SHARDS_DIR), 'write');
  }
  const outputs: Outputs = {
    csv: await openAt(temp('submission'), 0),
    probabilities: params.probabilities ? await openAt(temp('probabilities'), 0) : null,
    errors: await openAt(temp('errors'), 0),
  };
  const counts = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number>;
  const empty = { fingerprint: '', processed: 0, failed: 0, csvBytes: 0, probabilitiesBytes: 0, errorsBytes: 0 };
  const delay = options.chunkDelayMs ?? 0;
  let done;
  try {
    done = await writeChunks(
      { ...setup, clips: plan.clips },
      options.pool,
      outputs,
      { ...empty, chunksDone: k * plan.shardChunks },
      counts,
      {
        cancelled: () => options.signal.aborted,
        // The pause ends early on a cancel: the shard stops within the cancel poll.
        onChunk: () =>
          delay > 0 && !options.signal.aborted
            ? sleep(delay, undefined, { signal: options.signal }).catch(() => undefined)
            : undefined,
      },
      (k + 1) * plan.shardChunks,
    );
  } finally {
    await Promise.all([outputs.csv.close(), outputs.probabilities?.close(), outputs.errors.close()]);
  }
  const parts = PARTS.filter((part) => part !== 'probabilities' || params.probabilities);
  if (options.signal.aborted || done.chunksDone < Math.min((k + 1) * plan.shardChunks, chunkCount(plan))) {
    await Promise.all(parts.map((part) => rm(temp(part), { force: true })));
    return null;
  }
  try {
    for (const part of parts) await rename(temp(part), shardFile(dir, k, part));
  } catch (error) {
    throw fromFsError(error, join(dir, SHARDS_DIR), 'write');
  }
  const summary: ShardSummary = { processed: done.processed, failed: done.failed };
  await writeAtomically(shardFile(dir, k, 'summary'), JSON.stringify(summary));
  return summary;
}

function chunkCount(plan: ShardPlan): number {
  return Math.ceil(plan.clips.length / plan.chunkSize);
}

/**
 * The counts of a job's finished shards (those whose `<k>.json` exists), summed: a shard scored
 * twice (its first worker presumed dead) counts once.
 */
export async function finishedShards(job: JobOf<'score'>): Promise<ShardSummary & { readonly shards: number }> {
  const dir = join(outputDirOf(job), SHARDS_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { processed: 0, failed: 0, shards: 0 };
  }
  const summaries = await Promise.all(
    names
      .filter((name) => /^\d+\.json$/.test(name))
      .map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as ShardSummary),
  );
  return {
    processed: summaries.reduce((sum, s) => sum + s.processed, 0),
    failed: summaries.reduce((sum, s) => sum + s.failed, 0),
    shards: summaries.length,
  };
}

/**
 * Assembles a job's output files from its shards, in order, after their headers: the same bytes as
 * a run on one machine. Each file is written through a temporary file renamed into place; the shards
 * stay until {@link removeShards} (after the job is recorded SUCCEEDED, so that an assembly cut short
 * by a dead worker can run again).
 *
 * @returns The job's counts.
 * @throws KwsError `FILE_NOT_FOUND` naming a shard that is missing, `FILE_UNWRITABLE`.
 */
export async function assembleShards(job: JobOf<'score'>, plan: ShardPlan): Promise<ShardSummary> {
  const dir = outputDirOf(job);
  const parts = PARTS.filter((part) => part !== 'probabilities' || job.params.probabilities);
  for (const part of parts) {
    const out = join(dir, JOB_OUTPUTS[part]);
    const temp = `${out}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, SCORE_HEADERS[part]);
      for (let k = 0; k < plan.shards; k++) await appendFile(temp, await readShardPart(dir, plan, k, part));
      await rename(temp, out);
    } catch (error) {
      await rm(temp, { force: true });
      throw error instanceof KwsError ? error : fromFsError(error, out, 'write');
    }
  }
  const totals = await finishedShards(job);
  return { processed: totals.processed, failed: totals.failed };
}

/** Removes a finished job's shards and plan (its output files stay). */
export async function removeShards(job: JobOf<'score'>): Promise<void> {
  const dir = outputDirOf(job);
  await rm(join(dir, SHARDS_DIR), { recursive: true, force: true });
  await rm(join(dir, PLAN_FILE), { force: true });
}

async function readShardPart(dir: string, plan: ShardPlan, k: number, part: (typeof PARTS)[number]): Promise<Buffer> {
  try {
    return await readFile(shardFile(dir, k, part));
  } catch (error) {
    throw new KwsError('FILE_NOT_FOUND', `${describeShard(plan, k)} has no ${part} rows to assemble`, {
      cause: error,
    });
  }
}
