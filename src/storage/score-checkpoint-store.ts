import type { Statement } from 'better-sqlite3';
import { migrate, openDatabase } from './database.js';
import type { Migration, OpenDatabaseOptions, SqliteDatabase } from './database.js';

/** Where a bulk-scoring run has got to: chunks written, and the byte length of each output file then. */
export interface ScoreCheckpoint {
  /** Hash of what the run depends on (file list, model version, thresholds, chunk size). */
  readonly fingerprint: string;
  readonly chunksDone: number;
  /** Clips written, failed ones included. */
  readonly processed: number;
  /** Clips that failed to decode. */
  readonly failed: number;
  /** Byte length of the submission CSV at this checkpoint. */
  readonly csvBytes: number;
  /** Byte length of the probabilities CSV (0 when none is written). */
  readonly probabilitiesBytes: number;
  /** Byte length of the errors CSV. */
  readonly errorsBytes: number;
}

const MIGRATIONS: readonly Migration[] = [
  {
    // The table JobStore created before it moved here: same name, same columns.
    name: 'score_checkpoints/1-create',
    up: `CREATE TABLE IF NOT EXISTS score_checkpoints (
      key TEXT PRIMARY KEY,
      fingerprint TEXT NOT NULL,
      chunks_done INTEGER NOT NULL,
      processed INTEGER NOT NULL,
      failed INTEGER NOT NULL,
      csv_bytes INTEGER NOT NULL,
      probabilities_bytes INTEGER NOT NULL,
      errors_bytes INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    )`,
  },
];

interface CheckpointRow {
  fingerprint: string;
  chunks_done: number;
  processed: number;
  failed: number;
  csv_bytes: number;
  probabilities_bytes: number;
  errors_bytes: number;
}

/**
 * Checkpoints of bulk-scoring runs (`score_checkpoints` in `kws.db`), by key: a job (`job:<id>`)
 * or a `kws score` output path (`cli:<path>`). Each {@link put} is one transaction, so a crash
 * leaves the previous checkpoint or the new one, never half of one.
 */
export class ScoreCheckpointStore {
  private readonly sql: { get: Statement; put: Statement; drop: Statement };

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly owned: boolean,
  ) {
    this.sql = {
      get: db.prepare(
        'SELECT fingerprint, chunks_done, processed, failed, csv_bytes, probabilities_bytes, errors_bytes FROM score_checkpoints WHERE key = ?',
      ),
      put: db.prepare(
        'INSERT OR REPLACE INTO score_checkpoints (key, fingerprint, chunks_done, processed, failed, csv_bytes, probabilities_bytes, errors_bytes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      drop: db.prepare('DELETE FROM score_checkpoints WHERE key = ?'),
    };
  }

  /**
   * Opens the checkpoints of the SQLite file `dbPath` (`:memory:` for tests) on a connection of
   * their own (`kws score`, which has no job store); {@link close} closes it.
   *
   * @throws as {@link openDatabase}.
   */
  static open(
    dbPath: string,
    options: Pick<OpenDatabaseOptions, 'autoCheckpointPages' | 'unwritablePath'> = {},
  ): ScoreCheckpointStore {
    return new ScoreCheckpointStore(openDatabase(dbPath, { ...options, migrations: MIGRATIONS }), true);
  }

  /**
   * The checkpoints of a database another store has opened (the job store's `kws.db`), on that
   * connection: its pragmas apply, and {@link close} leaves it open for its owner to close.
   */
  static on(db: SqliteDatabase): ScoreCheckpointStore {
    migrate(db, MIGRATIONS);
    return new ScoreCheckpointStore(db, false);
  }

  /** Closes the connection when {@link open} made it; a no-op for one made by {@link on}. */
  close(): void {
    if (this.owned) this.db.close();
  }

  /** The checkpoint stored under `key`, or null. */
  get(key: string): ScoreCheckpoint | null {
    const row = this.sql.get.get(key) as CheckpointRow | undefined;
    return row === undefined
      ? null
      : {
          fingerprint: row.fingerprint,
          chunksDone: row.chunks_done,
          processed: row.processed,
          failed: row.failed,
          csvBytes: row.csv_bytes,
          probabilitiesBytes: row.probabilities_bytes,
          errorsBytes: row.errors_bytes,
        };
  }

  /** Stores (replacing) the checkpoint under `key`, in one transaction. */
  put(key: string, checkpoint: ScoreCheckpoint): void {
    const c = checkpoint;
    this.sql.put.run(
      key,
      c.fingerprint,
      c.chunksDone,
      c.processed,
      c.failed,
      c.csvBytes,
      c.probabilitiesBytes,
      c.errorsBytes,
      new Date().toISOString(),
    );
  }

  /** Forgets the checkpoint under `key` (a finished run); nothing happens when there is none. */
  drop(key: string): void {
    this.sql.drop.run(key);
  }
}
