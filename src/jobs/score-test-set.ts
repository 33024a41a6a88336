import { createHash } from 'node:crypto';
import { makeDirs } from '../config/index.js';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { LABELS } from '../labels/index.js';
import { listTestClips } from '../data/index.js';
import type { Label } from '../labels/index.js';
import { validateTta } from '../engine/index.js';
import type { EnginePool, ScoredChunk, TtaSpec } from '../engine/index.js';
import { describeValue, fromFsError, KwsError } from '../errors/index.js';
import { decide, NON_SPEECH_LIMITS, validateThresholds } from '../inference/index.js';
import type { Thresholds } from '../inference/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { ScoreCheckpoint, ScoreCheckpointStore } from '../storage/index.js';
import { readServingVersion } from '../serving/index.js';
import type { ServingVersion } from '../serving/index.js';

/** What {@link scoreTestSet} needs. */
export interface ScoreOptions {
  /** A Kaggle test folder: `audio/*.wav` (or `*.wav` directly). */
  readonly dir: string;
  /** The submission CSV (`fname,label`). */
  readonly out: string;
  /** Optional CSV with all 12 probabilities per clip (`fname,yes,...,unknown`), for ensembling. */
  readonly probabilitiesOut?: string | null;
  /** CSV of the files that failed to decode (`fname,code,message,label`). Default `<out>.errors.csv`. */
  readonly errorsOut?: string;
  /** Version number or alias; `production` when omitted. */
  readonly modelVersion?: number | string | null;
  /** Overrides the version's calibrated unknown threshold (max-softmax probability, 0 to 1). */
  readonly unknownThreshold?: number | null;
  /** Clips per worker task and inference batch. Default 256. */
  readonly chunkSize?: number;
  /** Test-time augmentation (see `TtaSpec`): each clip also scored shifted and louder, outputs averaged. Default: the version's own (`version.json` `tta`), else none; null: none. */
  readonly tta?: TtaSpec | null;
  /** Continue from the checkpoint stored under `checkpointKey`, if there is one for the same inputs. */
  readonly resume?: boolean;
  /** Where progress is checkpointed (a job id, or the output path for the CLI). */
  readonly checkpointKey: string;
  /** Stops the run after the chunks in flight (the result says `cancelled`). */
  readonly signal?: AbortSignal;
  /** Called after every chunk written. */
  readonly onProgress?: (progress: ScoreProgress) => void;
}

/** Progress of a run. */
export interface ScoreProgress {
  readonly processed: number;
  readonly failed: number;
  readonly total: number;
  /** Clips per second in this run (resumed clips excluded). */
  readonly clipsPerSecond: number;
  readonly etaSeconds: number | null;
}

/** What a run did. */
export interface ScoreSummary extends ScoreProgress {
  readonly out: string;
  readonly probabilitiesOut: string | null;
  readonly errorsOut: string;
  readonly modelVersion: number;
  readonly thresholds: Thresholds;
  /** The test-time augmentation the run used; null for none. */
  readonly tta: TtaSpec | null;
  readonly wallSeconds: number;
  /** Clips already done by an earlier, interrupted run. */
  readonly resumedFrom: number;
  readonly cancelled: boolean;
  readonly labelCounts: Readonly<Record<Label, number>>;
}

/**
 * The label of a file that did not decode: `silence` when it holds no audio (code EMPTY), else
 * `unknown`, so that the submission still has a row for every file.
 */
export function fallbackLabel(code: string): Label {
  return code === 'EMPTY' ? 'silence' : 'unknown';
}

/** The first line of each output file of a bulk-scoring run. */
export const SCORE_HEADERS = {
  submission: 'fname,label\n',
  probabilities: `fname,${LABELS.join(',')}\n`,
  errors: 'fname,code,message,label\n',
} as const;

/** The open output files of a run (or of one shard of it): the submission, the probabilities (or null), the errors. */
export interface Outputs {
  readonly csv: FileHandle;
  readonly probabilities: FileHandle | null;
  readonly errors: FileHandle;
}

/** Opens an output file, truncated to `bytes` (0: a fresh file). @throws KwsError `FILE_UNWRITABLE`. */
export async function openAt(path: string, bytes: number): Promise<FileHandle> {
  try {
    makeDirs(dirname(path));
    const handle = await open(path, bytes > 0 ? 'r+' : 'w');
    await handle.truncate(bytes);
    return handle;
  } catch (error) {
    throw fromFsError(error, path, 'write');
  }
}

/** Lists `*.wav` of a test folder, sorted by file name (the submission's row order). */
export async function listSorted(dir: string): Promise<Array<{ fname: string; path: string }>> {
  const clips: Array<{ fname: string; path: string }> = [];
  for await (const clip of listTestClips(dir)) clips.push({ fname: clip.fname, path: clip.path });
  return clips.sort((a, b) => (a.fname < b.fname ? -1 : a.fname > b.fname ? 1 : 0));
}

function fingerprint(clips: ReadonlyArray<{ fname: string }>, parts: Readonly<Record<string, unknown>>): string {
  const hash = createHash('sha1');
  for (const clip of clips) hash.update(`${clip.fname}\n`);
  hash.update(JSON.stringify(parts));
  return hash.digest('hex');
}

/** The rows of one chunk in the three output files. */
function chunkRows(
  clips: ReadonlyArray<{ fname: string }>,
  scored: ScoredChunk,
  thresholds: Thresholds,
  labelCounts: Record<Label, number>,
  withProbabilities: boolean,
): { csv: string; probabilities: string; errors: string; failed: number } {
  const failures = new Map(scored.failures.map((f) => [f.index, f]));
  const labels: string[][] = [];
  const probabilities: Array<Array<string>> = [];
  const errors: string[][] = [];
  clips.forEach((clip, i) => {
    const failure = failures.get(i);
    const label =
      failure === undefined
        ? decide(
            scored.probabilities,
            scored.rmsDbfs[i] as number,
            thresholds,
            i * LABELS.length,
            scored.energy[i] as number,
            scored.shapes[i],
          ).label
        : fallbackLabel(failure.code);
    labelCounts[label]++;
    labels.push([clip.fname, label]);
    if (failure !== undefined) errors.push([clip.fname, failure.code, failure.message, label]);
    if (withProbabilities)
      probabilities.push([
        clip.fname,
        ...LABELS.map((_, k) =>
          failure === undefined ? (scored.probabilities[i * LABELS.length + k] as number).toFixed(6) : '',
        ),
      ]);
  });
  return {
    csv: stringify(labels),
    probabilities: withProbabilities ? stringify(probabilities) : '',
    errors: stringify(errors),
    failed: errors.length,
  };
}

/**
 * Bulk-scores a Kaggle test folder into a submission CSV (`fname,label`, one row per `.wav`, sorted
 * by `fname`), optionally a probabilities CSV, and an errors CSV. Files are listed, sorted and cut
 * into chunks; each chunk is read, decoded, featurized and scored in a worker thread (one inference
 * batch per chunk), with one chunk per thread in flight plus one queued; finished chunks are written
 * in order and checkpointed in `checkpoints` (under `options.checkpointKey`) with the byte length
 * of each file. A run killed at any point and resumed with `resume` truncates the files to the last
 * checkpoint and goes on, so its output has the same bytes as an uninterrupted run.
 *
 * @throws KwsError `FILE_NOT_FOUND` for a missing folder, `NOT_FOUND` for an unknown version,
 *   `INVALID_ARGUMENT` for bad options or a checkpoint made for other inputs, `FILE_UNWRITABLE`.
 */
export async function scoreTestSet(
  registry: ModelRegistry,
  pool: EnginePool,
  checkpoints: ScoreCheckpointStore,
  options: ScoreOptions,
): Promise<ScoreSummary> {
  const started = performance.now();
  const run = await planRun(registry, checkpoints, options);
  const { record, thresholds, clips, errorsOut, probabilitiesOut } = run;
  let checkpoint = run.checkpoint;
  const total = clips.length;
  const labelCounts = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number>;
  if (checkpoint.processed > 0) await countWritten(options.out, checkpoint.csvBytes, labelCounts);
  const outputs: Outputs = {
    csv: await openAt(options.out, checkpoint.csvBytes),
    probabilities: probabilitiesOut === null ? null : await openAt(probabilitiesOut, checkpoint.probabilitiesBytes),
    errors: await openAt(errorsOut, checkpoint.errorsBytes),
  };
  const resumedFrom = checkpoint.processed;
  let cancelled = options.signal?.aborted === true;
  const progress = (): ScoreProgress => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? (checkpoint.processed - resumedFrom) / seconds : 0;
    return {
      processed: checkpoint.processed,
      failed: checkpoint.failed,
      total,
      clipsPerSecond: rate,
      etaSeconds: rate > 0 ? (total - checkpoint.processed) / rate : null,
    };
  };
  try {
    // The headers go first, once: a checkpoint taken after them (even with no chunk done) has csvBytes > 0.
    if (checkpoint.csvBytes === 0) {
      checkpoint = await append(
        outputs,
        checkpoint,
        SCORE_HEADERS.submission,
        probabilitiesOut === null ? '' : SCORE_HEADERS.probabilities,
        SCORE_HEADERS.errors,
      );
      checkpoints.put(options.checkpointKey, checkpoint);
    }
    const written = await writeChunks(run, pool, outputs, checkpoint, labelCounts, {
      cancelled: () => cancelled || (cancelled = options.signal?.aborted === true),
      onChunk: (next) => {
        checkpoint = next;
        checkpoints.put(options.checkpointKey, checkpoint);
        options.onProgress?.(progress());
      },
    });
    checkpoint = written;
    // An abort while the last chunks were scored still cancels (the checkpoint is kept to resume from).
    if (options.signal?.aborted === true) cancelled = true;
  } finally {
    await Promise.all([outputs.csv.close(), outputs.probabilities?.close(), outputs.errors.close()]);
  }
  if (!cancelled) checkpoints.drop(options.checkpointKey);
  return {
    ...progress(),
    out: options.out,
    probabilitiesOut,
    errorsOut,
    modelVersion: record.version,
    thresholds,
    tta: run.tta,
    wallSeconds: (performance.now() - started) / 1000,
    resumedFrom,
    cancelled,
    labelCounts,
  };
}

/** Adds the labels of the rows a resumed run's submission already holds (its first `bytes`) to `counts`. */
async function countWritten(path: string, bytes: number, counts: Record<Label, number>): Promise<void> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      await handle.read(buffer, 0, bytes, 0);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fromFsError(error, path, 'read');
  }
  for (const line of text.split('\n').slice(1)) {
    const label = line.slice(line.lastIndexOf(',') + 1) as Label;
    if (label in counts) counts[label]++;
  }
}

/** What a bulk-scoring run scores with: the version, its thresholds, the chunking and the TTA. */
export interface ScoringSetup {
  readonly record: ServingVersion;
  readonly thresholds: Thresholds;
  readonly chunkSize: number;
  readonly tta: TtaSpec | null;
}

/** The clips of a run, in `fname` order (the submission's). */
export type SortedClips = ReadonlyArray<{ readonly fname: string; readonly path: string }>;

/**
 * Checks the options of a run and resolves the version, its thresholds (the unknown threshold
 * overridden) and the TTA (absent: the version's own; null: none).
 *
 * @throws KwsError `INVALID_ARGUMENT` for a chunk size outside 1 to 4096 or bad thresholds; as
 *   `readServingVersion` for the version.
 */
export function resolveScoring(
  registry: ModelRegistry,
  options: Pick<ScoreOptions, 'modelVersion' | 'unknownThreshold' | 'chunkSize' | 'tta'>,
): ScoringSetup {
  const chunkSize = options.chunkSize ?? 256;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 4096)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `chunkSize must be an integer from 1 to 4096, got ${describeValue(chunkSize)}`,
    );
  const record = readServingVersion(registry, options.modelVersion);
  const thresholds = validateThresholds({
    ...record.thresholds,
    unknownThreshold: options.unknownThreshold ?? record.thresholds.unknownThreshold,
  });
  // Absent: the version's own TTA (kws calibrate --tta); null: none.
  const asked = options.tta === undefined ? (record.manifest.tta ?? null) : options.tta;
  const tta = asked === null ? null : validateTta(asked);
  return { record, thresholds, chunkSize, tta };
}

/** A bulk-scoring run, checked and planned before any file is opened. */
interface ScoreRun extends ScoringSetup {
  readonly clips: SortedClips;
  readonly errorsOut: string;
  readonly probabilitiesOut: string | null;
  /** Where to start: the stored checkpoint of a resumed run, or an empty one. */
  readonly checkpoint: ScoreCheckpoint;
}

/**
 * Checks the options, resolves the version and thresholds, lists the clips and reads the
 * checkpoint of a resumed run (which must have been made for the same file list, version,
 * thresholds, temperature, chunk size and outputs).
 *
 * @throws KwsError `INVALID_ARGUMENT` for a bad chunk size, an empty folder or a checkpoint of
 *   another run; as `readServingVersion` for the version.
 */
async function planRun(
  registry: ModelRegistry,
  checkpoints: ScoreCheckpointStore,
  options: ScoreOptions,
): Promise<ScoreRun> {
  const { record, thresholds, chunkSize, tta } = resolveScoring(registry, options);
  const clips = await listSorted(options.dir);
  if (clips.length === 0)
    throw new KwsError('INVALID_ARGUMENT', `no .wav files in ${options.dir} (or its audio/ folder)`);
  const errorsOut = options.errorsOut ?? `${options.out}.errors.csv`;
  const probabilitiesOut = options.probabilitiesOut ?? null;
  const print = fingerprint(clips, {
    version: record.version,
    thresholds: { u: thresholds.unknownThreshold, s: String(thresholds.silenceThresholdDbfs) },
    // Only where they matter, so that runs checkpointed before these were recorded still resume.
    ...(thresholds.unknownScore === 'energy' ? { energy: thresholds.unknownEnergyThreshold } : {}),
    ...(record.target.temperature === 1 ? {} : { temperature: record.target.temperature }),
    chunkSize,
    probabilities: probabilitiesOut !== null,
    ...(tta === null ? {} : { tta }),
    // A run checkpointed before the non-speech rule decided its labels without it: not resumed.
    nonSpeech: NON_SPEECH_LIMITS,
  });
  const stored = options.resume === true ? checkpoints.get(options.checkpointKey) : null;
  if (stored !== null && stored.fingerprint !== print) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `cannot resume ${options.out}: its checkpoint was made for another file list, model version, threshold, chunk size or TTA; run again without resume`,
    );
  }
  const checkpoint = stored ?? {
    fingerprint: print,
    chunksDone: 0,
    processed: 0,
    failed: 0,
    csvBytes: 0,
    probabilitiesBytes: 0,
    errorsBytes: 0,
  };
  return { record, thresholds, clips, chunkSize, tta, errorsOut, probabilitiesOut, checkpoint };
}

/**
 * Scores the chunks from `checkpoint.chunksDone` up to `end` (default: the last), a window of them
 * in flight across the engine threads, and appends each chunk's rows in order (chunks finish out of
 * order); after each chunk, `onChunk` gets the new checkpoint (and is awaited). Stops taking new
 * chunks once `cancelled()` is true and returns after writing those already in flight. Returns the
 * last checkpoint. A chunk is `clips[k * chunkSize, (k + 1) * chunkSize)` whatever the range, so a
 * range scored apart (a shard) gets the same inference batches, and the same bytes, as a whole run.
 */
export async function writeChunks(
  run: ScoringSetup & { readonly clips: SortedClips },
  pool: EnginePool,
  outputs: Outputs,
  from: ScoreCheckpoint,
  labelCounts: Record<Label, number>,
  hooks: {
    readonly cancelled: () => boolean;
    readonly onChunk: (checkpoint: ScoreCheckpoint) => void | Promise<void>;
  },
  end = Math.ceil(run.clips.length / run.chunkSize),
): Promise<ScoreCheckpoint> {
  const { clips, chunkSize, record, thresholds } = run;
  let checkpoint = from;
  const chunks = Math.min(end, Math.ceil(clips.length / chunkSize));
  const inFlight = new Map<number, Promise<ScoredChunk>>();
  let next = checkpoint.chunksDone;
  const window = pool.options.threads * 2 + 2; // keep every thread busy while the oldest chunk is written
  const slice = (k: number): ReadonlyArray<{ fname: string; path: string }> =>
    clips.slice(k * chunkSize, (k + 1) * chunkSize);
  while (checkpoint.chunksDone < chunks) {
    while (!hooks.cancelled() && next < chunks && inFlight.size < window) {
      const k = next++;
      const scoring = pool.scoreChunk(
        slice(k).map((c) => c.path),
        record.manifest.featureConfig,
        record.target,
        undefined,
        run.tta,
      );
      scoring.catch(() => undefined); // awaited in order below; a failure must not go unhandled meanwhile
      inFlight.set(k, scoring);
    }
    const k = checkpoint.chunksDone;
    const pending = inFlight.get(k);
    if (pending === undefined) break; // cancelled: nothing more in flight to write
    const scored = await pending;
    inFlight.delete(k);
    const rows = chunkRows(slice(k), scored, thresholds, labelCounts, outputs.probabilities !== null);
    checkpoint = await append(outputs, checkpoint, rows.csv, rows.probabilities, rows.errors);
    checkpoint = {
      ...checkpoint,
      chunksDone: k + 1,
      processed: checkpoint.processed + slice(k).length,
      failed: checkpoint.failed + rows.failed,
    };
    await hooks.onChunk(checkpoint);
  }
  await Promise.allSettled(inFlight.values());
  return checkpoint;
}

/** Appends text to the outputs (in the order csv, probabilities, errors) and returns the new byte lengths. */
export async function append(
  outputs: Outputs,
  checkpoint: ScoreCheckpoint,
  csv: string,
  probabilities: string,
  errors: string,
): Promise<ScoreCheckpoint> {
  const write = async (handle: FileHandle | null, text: string, at: number): Promise<number> => {
    if (handle === null || text === '') return at;
    const bytes = Buffer.from(text, 'utf8');
    await handle.write(bytes, 0, bytes.length, at);
    return at + bytes.length;
  };
  return {
    ...checkpoint,
    csvBytes: await write(outputs.csv, csv, checkpoint.csvBytes),
    probabilitiesBytes: await write(outputs.probabilities, probabilities, checkpoint.probabilitiesBytes),
    errorsBytes: await write(outputs.errors, errors, checkpoint.errorsBytes),
  };
}
