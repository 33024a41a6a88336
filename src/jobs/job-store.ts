import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { KwsError } from '../errors/index.js';
import type { TrainingProgress } from '../training/index.js';

/** Lifecycle of a job. QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED; QUEUED -> CANCELLED. */
export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** Every job status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** What a job does: bulk scoring, or training a new model version. */
export type JobKind = 'score' | 'train' | 'search';

/** A job as stored. */
export interface JobRecord {
  readonly id: number;
  readonly kind: JobKind;
  readonly status: JobStatus;
  /** The job's input, as given (JSON). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Items done (clips scored, including those that failed to decode). */
  readonly processed: number;
  /** Items that failed (and got a fallback). */
  readonly failed: number;
  /** Items in all; 0 until known. */
  readonly total: number;
  /** Throughput of the current run, items per second. */
  readonly clipsPerSecond: number;
  /** Estimated seconds to finish, null when unknown. */
  readonly etaSeconds: number | null;
  readonly error: string | null;
  /** Folder of the job's output files. */
  readonly outputDir: string | null;
  /** Training jobs: the latest progress report. */
  readonly training: TrainingProgress | null;
  /** Training jobs: the model version they made (or were making); searches: the best trial's version. */
  readonly resultVersion: number | null;
  /** Searches: the trial table and the best trial (JSON). */
  readonly result: Readonly<Record<string, unknown>> | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** Where a bulk-scoring run has got to: chunks written, and the byte length of each output file then. */
export interface ScoreCheckpoint {
  /** Hash of what the run depends on (file list, model version, thresholds, chunk size). */
  readonly fingerprint: string;
  readonly chunksDone: number;
  readonly processed: number;
  readonly failed: number;
  readonly csvBytes: number;
  readonly probabilitiesBytes: number;
  readonly errorsBytes: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
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
  training TEXT,
  result_version INTEGER,
  result TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE TABLE IF NOT EXISTS score_checkpoints (
  key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  chunks_done INTEGER NOT NULL,
  processed INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  csv_bytes INTEGER NOT NULL,
  probabilities_bytes INTEGER NOT NULL,
  errors_bytes INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
`;

interface JobRow {
  id: number;
  kind: JobKind;
  status: JobStatus;
  params: string;
  processed: number;
  failed: number;
  total: number;
  clips_per_second: number;
  eta_seconds: number | null;
  error: string | null;
  output_dir: string | null;
  training: string | null;
  result_version: number | null;
  result: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toJob = (row: JobRow): JobRecord => ({
  id: row.id,
  kind: row.kind,
  status: row.status,
  params: JSON.parse(row.params) as Record<string, unknown>,
  processed: row.processed,
  failed: row.failed,
  total: row.total,
  clipsPerSecond: row.clips_per_second,
  etaSeconds: row.eta_seconds,
  error: row.error,
  outputDir: row.output_dir,
  training: row.training === null ? null : (JSON.parse(row.training) as TrainingProgress),
  resultVersion: row.result_version,
  result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

/** Fields a runner may change. */
export type JobUpdate = Partial<Pick<JobRecord, 'status' | 'processed' | 'failed' | 'total' | 'clipsPerSecond' | 'etaSeconds' | 'error' | 'outputDir' | 'startedAt' | 'finishedAt' | 'training' | 'resultVersion' | 'result'>>;

const COLUMNS: Record<keyof JobUpdate, string> = {
  status: 'status',
  processed: 'processed',
  failed: 'failed',
  total: 'total',
  clipsPerSecond: 'clips_per_second',
  etaSeconds: 'eta_seconds',
  error: 'error',
  outputDir: 'output_dir',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  training: 'training',
  resultVersion: 'result_version',
  result: 'result',
};

/**
 * Jobs and bulk-scoring checkpoints in SQLite (WAL, `synchronous = NORMAL`: a commit survives a
 * crash of the process). Shares `kws.db` with the model registry and the clip store.
 */
export class JobStore {
  private readonly sql: { get: Statement; checkpoint: Statement; saveCheckpoint: Statement; dropCheckpoint: Statement };

  private constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      checkpoint: db.prepare('SELECT * FROM score_checkpoints WHERE key = ?'),
      saveCheckpoint: db.prepare('INSERT OR REPLACE INTO score_checkpoints (key, fingerprint, chunks_done, processed, failed, csv_bytes, probabilities_bytes, errors_bytes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      dropCheckpoint: db.prepare('DELETE FROM score_checkpoints WHERE key = ?'),
    };
  }

  /** Opens (creating) the job tables in the SQLite file `dbPath` (`:memory:` for tests). */
  static open(dbPath: string): JobStore {
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    // Databases made before training jobs existed lack their columns.
    const columns = new Set((db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>).map((c) => c.name));
    if (!columns.has('training')) db.exec('ALTER TABLE jobs ADD COLUMN training TEXT');
    if (!columns.has('result_version')) db.exec('ALTER TABLE jobs ADD COLUMN result_version INTEGER');
    if (!columns.has('result')) db.exec('ALTER TABLE jobs ADD COLUMN result TEXT');
    return new JobStore(db);
  }

  /** Sets this connection's `wal_autocheckpoint`, pages (SQLite's default is 1000; 0 turns automatic checkpoints off). */
  setAutoCheckpointPages(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(pages))}`);
  }

  close(): void {
    this.db.close();
  }

  /** Records a new QUEUED job. */
  create(kind: JobKind, params: Readonly<Record<string, unknown>>): JobRecord {
    const info = this.db.prepare('INSERT INTO jobs (kind, status, params, created_at) VALUES (?, ?, ?, ?)').run(kind, 'QUEUED', JSON.stringify(params), new Date().toISOString());
    return this.require(Number(info.lastInsertRowid));
  }

  /** A job, or null. */
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
    const rows = (status === undefined || status === null ? this.db.prepare('SELECT * FROM jobs ORDER BY id DESC').all() : this.db.prepare('SELECT * FROM jobs WHERE status = ? ORDER BY id DESC').all(status)) as JobRow[];
    return rows.map(toJob);
  }

  /** Changes some fields of a job; returns it. */
  update(id: number, update: JobUpdate): JobRecord {
    const keys = Object.keys(update) as Array<keyof JobUpdate>;
    if (keys.length > 0) {
      const values: Record<string, unknown> = { ...update, id };
      if (update.training !== undefined) values['training'] = update.training === null ? null : JSON.stringify(update.training);
      if (update.result !== undefined) values['result'] = update.result === null ? null : JSON.stringify(update.result);
      this.db.prepare(`UPDATE jobs SET ${keys.map((k) => `${COLUMNS[k]} = @${k}`).join(', ')} WHERE id = @id`).run(values);
    }
    return this.require(id);
  }

  /** The checkpoint stored under `key`, or null. */
  checkpoint(key: string): ScoreCheckpoint | null {
    const row = this.sql.checkpoint.get(key) as { fingerprint: string; chunks_done: number; processed: number; failed: number; csv_bytes: number; probabilities_bytes: number; errors_bytes: number } | undefined;
    return row === undefined ? null : { fingerprint: row.fingerprint, chunksDone: row.chunks_done, processed: row.processed, failed: row.failed, csvBytes: row.csv_bytes, probabilitiesBytes: row.probabilities_bytes, errorsBytes: row.errors_bytes };
  }

  /** Stores a checkpoint (one transaction: a crash leaves the previous one or this one). */
  saveCheckpoint(key: string, checkpoint: ScoreCheckpoint): void {
    const c = checkpoint;
    this.sql.saveCheckpoint.run(key, c.fingerprint, c.chunksDone, c.processed, c.failed, c.csvBytes, c.probabilitiesBytes, c.errorsBytes, new Date().toISOString());
  }

  /** Forgets a checkpoint (a finished run). */
  dropCheckpoint(key: string): void {
    this.sql.dropCheckpoint.run(key);
  }
}
