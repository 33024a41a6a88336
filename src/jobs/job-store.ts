import type { Statement } from 'better-sqlite3';
import { KwsError, UnreachableCaseError } from '../errors/index.js';
import { columnsOf, openDatabase, ScoreCheckpointStore, setAutoCheckpointPages } from '../storage/index.js';
import type { Migration, OpenDatabaseOptions, SqliteDatabase } from '../storage/index.js';
import { parseJobErrorText } from './job-error.js';
import type { JobError } from './job-error.js';
import { jobError, parseJobSpec, parseJson, searchResult, trainingProgress } from './job-params.js';
import type { JobFields, JobProgress, JobRecord, JobSpec, JobStatus } from './job-record.js';

/**
 * The legal moves of a job, and the only ways its status changes. Each is one
 * `UPDATE ... WHERE id = ? AND status IN (from)` (SQLite serialises writers), so of two processes
 * or callers making a move from the same state, exactly one succeeds; the other gets
 * `ILLEGAL_TRANSITION` and the job is left as the winner made it.
 *
 * - `start`: QUEUED -> RUNNING, the claim of a queued job (attempt 1, `startedAt` set).
 * - `reclaim`: RUNNING -> RUNNING, for a scoring job that a process which died (or shut down) left
 *   RUNNING: the next process resumes it from its checkpoint. Only scoring jobs can be reclaimed
 *   (training cannot resume), and only by a caller that read the job's current `attempt`: the move
 *   raises it by one, so of two runners reclaiming one job, one wins.
 * - `retry`: RUNNING -> RUNNING for a job of any kind whose worker died under a Redis queue: BullMQ
 *   hands its part (a shard, a training run, a trial) to another worker, which starts that part
 *   again; `attempt` rises by one, guarded by the attempt read as `reclaim` is.
 * - `succeed`, `fail`: RUNNING -> SUCCEEDED, FAILED (`finishedAt` set; `fail` stores the error).
 * - `cancel`: QUEUED or RUNNING -> CANCELLED.
 *
 * Finished jobs (SUCCEEDED, FAILED, CANCELLED) never change again; `progress` writes figures of a
 * RUNNING job and never its status.
 */
export const JOB_TRANSITIONS = {
  start: { from: ['QUEUED'], to: 'RUNNING' },
  reclaim: { from: ['RUNNING'], to: 'RUNNING' },
  retry: { from: ['RUNNING'], to: 'RUNNING' },
  succeed: { from: ['RUNNING'], to: 'SUCCEEDED' },
  fail: { from: ['RUNNING'], to: 'FAILED' },
  cancel: { from: ['QUEUED', 'RUNNING'], to: 'CANCELLED' },
} as const satisfies Record<string, { readonly from: readonly JobStatus[]; readonly to: JobStatus }>;

/** A legal move of a job (see {@link JOB_TRANSITIONS}). */
export type JobMove = keyof typeof JOB_TRANSITIONS;

const MIGRATIONS: readonly Migration[] = [
  {
    name: 'jobs/1-create',
    up: `CREATE TABLE IF NOT EXISTS jobs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
      params TEXT NOT NULL,
      processed INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0,
      total INTEGER NOT NULL DEFAULT 0,
      clips_per_second REAL NOT NULL DEFAULT 0,
      eta_seconds REAL,
      error TEXT,
      output_dir TEXT,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT
    )`,
  },
  {
    // Databases made before training jobs and searches lack their columns.
    name: 'jobs/2-training-columns',
    up: (db) => {
      const columns = columnsOf(db, 'jobs');
      if (!columns.has('training')) db.exec('ALTER TABLE jobs ADD COLUMN training TEXT');
      if (!columns.has('result_version')) db.exec('ALTER TABLE jobs ADD COLUMN result_version INTEGER');
      if (!columns.has('result')) db.exec('ALTER TABLE jobs ADD COLUMN result TEXT');
    },
  },
  {
    // Errors as { code, message } instead of one `CODE: message` string, in the job and in a
    // search's trials; and the claim counter `attempt` (1 for every job that has started).
    name: 'jobs/3-error-code-attempt',
    up: (db) => {
      db.exec(`ALTER TABLE jobs ADD COLUMN error_code TEXT;
        ALTER TABLE jobs ADD COLUMN error_message TEXT;
        ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
        UPDATE jobs SET attempt = 1 WHERE started_at IS NOT NULL OR status = 'RUNNING';`);
      const setError = db.prepare('UPDATE jobs SET error_code = ?, error_message = ? WHERE id = ?');
      for (const row of db.prepare('SELECT id, error FROM jobs WHERE error IS NOT NULL').all() as Array<{
        id: number;
        error: string;
      }>) {
        const error = parseJobErrorText(row.error);
        setError.run(error.code, error.message, row.id);
      }
      const setResult = db.prepare('UPDATE jobs SET result = ? WHERE id = ?');
      for (const row of db
        .prepare("SELECT id, result FROM jobs WHERE kind = 'search' AND result IS NOT NULL")
        .all() as Array<{ id: number; result: string }>) {
        setResult.run(JSON.stringify(legacyTrialErrors(JSON.parse(row.result) as unknown)), row.id);
      }
      db.exec('ALTER TABLE jobs DROP COLUMN error');
    },
  },
];

/** A stored search result with its trials' `error: "CODE: message"` strings made `{ code, message }`. */
function legacyTrialErrors(result: unknown): unknown {
  const trial = (t: unknown): unknown =>
    typeof t === 'object' && t !== null && 'error' in t && typeof t.error === 'string'
      ? { ...t, error: parseJobErrorText(t.error) }
      : t;
  if (typeof result !== 'object' || result === null) return result;
  const r: Record<string, unknown> = { ...result };
  if (Array.isArray(r['trials'])) r['trials'] = r['trials'].map(trial);
  if (r['best'] !== undefined) r['best'] = trial(r['best']);
  return r;
}

interface JobRow {
  id: number;
  kind: string;
  status: JobStatus;
  attempt: number;
  params: string;
  processed: number;
  failed: number;
  total: number;
  clips_per_second: number;
  eta_seconds: number | null;
  error_code: string | null;
  error_message: string | null;
  output_dir: string | null;
  training: string | null;
  result_version: number | null;
  result: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** A row as a typed record: params, result, progress and error read (and checked) here, once. */
function toJob(row: JobRow): JobRecord {
  const where = `job ${row.id}`;
  const fields: JobFields = {
    id: row.id,
    status: row.status,
    attempt: row.attempt,
    processed: row.processed,
    failed: row.failed,
    total: row.total,
    clipsPerSecond: row.clips_per_second,
    etaSeconds: row.eta_seconds,
    error:
      row.error_code === null
        ? null
        : jobError({ code: row.error_code, message: row.error_message ?? '' }, `${where} error`),
    outputDir: row.output_dir,
    training:
      row.training === null
        ? null
        : trainingProgress(parseJson(row.training, `${where} training`), `${where} training`),
    resultVersion: row.result_version,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
  const spec = parseJobSpec(row.kind, row.params, where);
  switch (spec.kind) {
    case 'score':
      return { ...fields, ...spec, result: null };
    case 'train':
      return { ...fields, ...spec, result: null };
    case 'search':
      return {
        ...fields,
        ...spec,
        result: row.result === null ? null : searchResult(parseJson(row.result, `${where} result`), `${where} result`),
      };
    default:
      throw new UnreachableCaseError(spec);
  }
}

/** Extra conditions of a move: the job's kind, and the attempt the caller read. */
interface Condition {
  readonly kind?: string;
  readonly attempt?: number;
}

/** Why a move or a progress write matched no row, for `ILLEGAL_TRANSITION`'s message. */
function refusal(
  job: JobRecord,
  action: JobMove | 'progress',
  from: readonly JobStatus[],
  to: JobStatus | null,
  where: Condition,
): string {
  const head = action === 'progress' ? `cannot record progress of job ${job.id}` : `cannot ${action} job ${job.id}`;
  if (!from.includes(job.status))
    return `${head}: it is ${job.status}, and ${to === null ? `only ${from.join(' or ')} jobs record progress` : `${action} moves only ${from.join(' or ')} jobs to ${to}`}`;
  if (where.kind !== undefined && job.kind !== where.kind)
    return `${head}: it is a ${job.kind} job, and only ${where.kind} jobs are reclaimed after a restart (training cannot resume)`;
  return `${head}: another runner reclaimed it first (attempt ${job.attempt}, not ${where.attempt ?? job.attempt})`;
}

/** Column values of a progress patch (only the fields given). */
function progressColumns(patch: JobProgress): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (patch.processed !== undefined) columns['processed'] = patch.processed;
  if (patch.failed !== undefined) columns['failed'] = patch.failed;
  if (patch.total !== undefined) columns['total'] = patch.total;
  if (patch.clipsPerSecond !== undefined) columns['clips_per_second'] = patch.clipsPerSecond;
  if (patch.etaSeconds !== undefined) columns['eta_seconds'] = patch.etaSeconds;
  if (patch.training !== undefined)
    columns['training'] = patch.training === null ? null : JSON.stringify(patch.training);
  if (patch.resultVersion !== undefined) columns['result_version'] = patch.resultVersion;
  if (patch.result !== undefined) columns['result'] = patch.result === null ? null : JSON.stringify(patch.result);
  return columns;
}

/**
 * Jobs in SQLite (`kws.db`, shared with the model registry and the clip store; WAL, `synchronous =
 * NORMAL`: a commit survives a crash of the process). Rows are read as typed {@link JobRecord}s;
 * a job's status changes only through the moves of {@link JOB_TRANSITIONS}, each atomic.
 */
export class JobStore {
  /** The bulk-scoring checkpoints of the same file, on this connection (scoring jobs resume from them). */
  readonly checkpoints: ScoreCheckpointStore;
  private readonly sql: { get: Statement; insert: Statement };
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly db: SqliteDatabase) {
    this.checkpoints = ScoreCheckpointStore.on(db);
    this.sql = {
      get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      insert: db.prepare("INSERT INTO jobs (kind, status, params, created_at) VALUES (?, 'QUEUED', ?, ?)"),
    };
  }

  /**
   * Opens (creating, migrating) the job table of the SQLite file `dbPath` (`:memory:` for tests).
   * Rows of older versions read: errors stored as `CODE: message` become `{ code, message }`.
   *
   * @throws KwsError `FILE_UNWRITABLE` for a file that cannot be opened; better-sqlite3's
   *   `SqliteError` for one that is not a database.
   */
  static open(dbPath: string, options: Pick<OpenDatabaseOptions, 'autoCheckpointPages'> = {}): JobStore {
    return new JobStore(openDatabase(dbPath, { ...options, migrations: MIGRATIONS, unwritablePath: dbPath }));
  }

  /** Sets this connection's `wal_autocheckpoint`, pages (SQLite's default is 1000; 0 turns automatic checkpoints off). */
  setAutoCheckpointPages(pages: number): void {
    setAutoCheckpointPages(this.db, pages);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Records a new QUEUED job (attempt 0).
   *
   * @param outputDirFor The job's output folder, from its id (scoring jobs); stored in the same transaction.
   */
  create(spec: JobSpec, outputDirFor?: (id: number) => string): JobRecord {
    const id = this.db.transaction(() => {
      const inserted = Number(
        this.sql.insert.run(spec.kind, JSON.stringify(spec.params), new Date().toISOString()).lastInsertRowid,
      );
      if (outputDirFor !== undefined)
        this.db.prepare('UPDATE jobs SET output_dir = ? WHERE id = ?').run(outputDirFor(inserted), inserted);
      return inserted;
    })();
    return this.require(id);
  }

  /** A job, or null. @throws KwsError `INTERNAL` for a row that does not read. */
  get(id: number): JobRecord | null {
    const row = this.sql.get.get(id) as JobRow | undefined;
    return row === undefined ? null : toJob(row);
  }

  /**
   * A job that must exist.
   *
   * @throws KwsError `NOT_FOUND`.
   */
  require(id: number): JobRecord {
    const job = this.get(id);
    if (job === null) throw new KwsError('NOT_FOUND', `no job has id ${id}`);
    return job;
  }

  /** Jobs, newest first, optionally only those in `status`. */
  list(status?: JobStatus | null): JobRecord[] {
    const rows = (
      status === undefined || status === null
        ? this.db.prepare('SELECT * FROM jobs ORDER BY id DESC').all()
        : this.db.prepare('SELECT * FROM jobs WHERE status = ? ORDER BY id DESC').all(status)
    ) as JobRow[];
    return rows.map(toJob);
  }

  /**
   * QUEUED -> RUNNING: claims a queued job (attempt 1, `startedAt` now).
   *
   * @throws KwsError `ILLEGAL_TRANSITION` when it is not QUEUED (another caller claimed it first),
   *   `NOT_FOUND`.
   */
  start(id: number): JobRecord {
    return this.move(id, 'start', { attempt: 1, started_at: new Date().toISOString() });
  }

  /**
   * RUNNING -> RUNNING: reclaims a scoring job that an earlier process left RUNNING (it resumes
   * from its checkpoint); `startedAt` is kept and `attempt` becomes `attempt + 1`.
   *
   * @param attempt The job's `attempt` as the caller read it: the move fails if another caller has
   *   reclaimed it since.
   * @throws KwsError `ILLEGAL_TRANSITION` when it is not RUNNING, not a scoring job, or its attempt
   *   is no longer `attempt`; `NOT_FOUND`.
   */
  reclaim(id: number, attempt: number): JobRecord {
    return this.move(id, 'reclaim', { attempt: attempt + 1 }, { kind: 'score', attempt });
  }

  /**
   * RUNNING -> RUNNING: a worker of a Redis queue takes over the part of a job that a dead worker
   * left (`attempt + 1`; a training job's half-made version is for the caller to abandon).
   *
   * @param attempt The job's `attempt` as the caller read it.
   * @throws KwsError `ILLEGAL_TRANSITION` when it is not RUNNING or another worker retried it first.
   */
  retry(id: number, attempt: number): JobRecord {
    return this.move(id, 'retry', { attempt: attempt + 1 }, { attempt });
  }

  /**
   * Reads a job and writes the progress `patch(job)` computes from it, in one `BEGIN IMMEDIATE`
   * transaction, so that workers of a Redis queue updating one job (a search's trial table, a
   * scoring job's shard counts) never lose each other's writes. A null patch writes nothing.
   *
   * @throws KwsError `NOT_FOUND`; `ILLEGAL_TRANSITION` when the job is not RUNNING and the patch is not null.
   */
  update(id: number, patch: (job: JobRecord) => JobProgress | null): JobRecord {
    return this.atomically(() => {
      const job = this.require(id);
      const next = patch(job);
      return next === null ? job : this.progress(id, next);
    });
  }

  /**
   * Removes a job that is still QUEUED and was never handed to a queue (its queue refused it): a
   * refused submission leaves no record. Returns whether a row went.
   */
  discard(id: number): boolean {
    return this.statement("DELETE FROM jobs WHERE id = ? AND status = 'QUEUED'").run(id).changes > 0;
  }

  /**
   * Runs `body` in one `BEGIN IMMEDIATE` transaction of this store's connection: the moves and
   * writes inside it are one atomic step for every process that opens the file.
   */
  atomically<T>(body: () => T): T {
    return this.db.transaction(body).immediate();
  }

  /**
   * Writes figures of a RUNNING job (counts, throughput, training progress, a search's trials);
   * its status is never touched.
   *
   * @throws KwsError `ILLEGAL_TRANSITION` when the job is not RUNNING (a finished job does not
   *   change), `NOT_FOUND`.
   */
  progress(id: number, patch: JobProgress): JobRecord {
    return this.write(id, 'progress', ['RUNNING'], null, progressColumns(patch), {});
  }

  /**
   * RUNNING -> SUCCEEDED, with its final figures (`finishedAt` now).
   *
   * @throws KwsError `ILLEGAL_TRANSITION` when it is not RUNNING, `NOT_FOUND`.
   */
  succeed(id: number, final: JobProgress = {}): JobRecord {
    return this.move(id, 'succeed', { ...progressColumns(final), finished_at: new Date().toISOString() });
  }

  /**
   * RUNNING -> FAILED with its error (`finishedAt` now). Give an error masked as `toJobError`
   * does: it is shown to clients as it is.
   *
   * @throws KwsError `ILLEGAL_TRANSITION` when it is not RUNNING, `NOT_FOUND`.
   */
  fail(id: number, error: JobError, final: JobProgress = {}): JobRecord {
    return this.move(id, 'fail', {
      ...progressColumns(final),
      error_code: error.code,
      error_message: error.message,
      finished_at: new Date().toISOString(),
    });
  }

  /**
   * QUEUED or RUNNING -> CANCELLED (`finishedAt` now).
   *
   * @throws KwsError `ILLEGAL_TRANSITION` when it has already finished, `NOT_FOUND`.
   */
  cancel(id: number, final: JobProgress = {}): JobRecord {
    return this.move(id, 'cancel', { ...progressColumns(final), finished_at: new Date().toISOString() });
  }

  private move(id: number, move: JobMove, columns: Record<string, unknown>, where: Condition = {}): JobRecord {
    const { from, to } = JOB_TRANSITIONS[move];
    return this.write(id, move, from, to, columns, where);
  }

  /**
   * One atomic `UPDATE ... WHERE id AND status IN (from) [AND kind AND attempt] RETURNING *`; when
   * no row matched, reads the job to say why.
   */
  private write(
    id: number,
    action: JobMove | 'progress',
    from: readonly JobStatus[],
    to: JobStatus | null,
    columns: Record<string, unknown>,
    where: Condition,
  ): JobRecord {
    const sets = Object.keys(columns).map((column) => `${column} = @${column}`);
    if (to !== null) sets.push('status = @status');
    const conditions = ['id = @id', `status IN (${from.map((s) => `'${s}'`).join(', ')})`];
    if (where.kind !== undefined) conditions.push('kind = @whereKind');
    if (where.attempt !== undefined) conditions.push('attempt = @whereAttempt');
    const values = {
      ...columns,
      id,
      ...(to === null ? {} : { status: to }),
      ...(where.kind === undefined ? {} : { whereKind: where.kind }),
      ...(where.attempt === undefined ? {} : { whereAttempt: where.attempt }),
    };
    // An empty progress patch still checks that the job is RUNNING: `SET id = id` changes nothing.
    const row = this.statement(
      `UPDATE jobs SET ${sets.length === 0 ? 'id = id' : sets.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING *`,
    ).get(values) as JobRow | undefined;
    if (row !== undefined) return toJob(row);
    throw new KwsError('ILLEGAL_TRANSITION', refusal(this.require(id), action, from, to, where));
  }

  /** Prepared once per SQL text (a progress write happens every chunk). */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
