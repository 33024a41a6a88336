import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { fromFsError } from '../errors/index.js';
import { SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.js';

export type { SqliteDatabase };

/**
 * One step of a schema, applied once per database file, in list order, inside a write transaction
 * together with its record in `kws_migrations`. Several stores share `kws.db`, so names carry the
 * store's prefix (`jobs/3-error-code`) and are never renamed once shipped. Files made before
 * migrations were recorded have some tables already: the first steps use `IF NOT EXISTS` and
 * column checks so that they are safe on those too.
 */
export interface Migration {
  /** Unique across every store that shares the file, e.g. `clips/1-create`. */
  readonly name: string;
  /** SQL to run, or a function of the connection (data migrations). */
  readonly up: string | ((db: SqliteDatabase) => void);
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Schema steps of the store opening the file, oldest first. Default none. */
  readonly migrations?: readonly Migration[];
  /**
   * `foreign_keys` (checked references). Default true: better-sqlite3's own build default, set
   * here explicitly so that it does not depend on how the driver was compiled.
   */
  readonly foreignKeys?: boolean;
  /**
   * `wal_autocheckpoint` of this connection, pages; 0 turns automatic checkpoints off. Default
   * SQLite's {@link SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES} (1000). The server raises it once a checkpoint thread runs.
   */
  readonly autoCheckpointPages?: number;
  /**
   * When set, a file that cannot be opened or created is reported as a {@link KwsError} naming this
   * path (`FILE_UNWRITABLE`, via `fromFsError`); otherwise the driver's error is thrown as it is.
   */
  readonly unwritablePath?: string;
}

/** How long a connection waits for another one's write lock before `SQLITE_BUSY`, ms. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating) a SQLite file the way every store of kws-serve does: `busy_timeout` 5000 ms,
 * `journal_mode = WAL`, `synchronous = NORMAL` (with WAL, a commit survives a crash of the process;
 * only a power loss may drop the last commits: SQLite's recommended setting for WAL),
 * `foreign_keys`, `wal_autocheckpoint`, then the store's migrations ({@link migrate}).
 *
 * @param path The file, or `:memory:`; its folder must exist.
 * @throws KwsError `FILE_UNWRITABLE` naming `options.unwritablePath` when that is set and the file
 *   cannot be opened; otherwise better-sqlite3's `SqliteError`. A file that is not a database
 *   throws `SqliteError` (`SQLITE_NOTADB`) from the first pragma.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(path);
  } catch (error) {
    if (options.unwritablePath === undefined) throw error;
    throw fromFsError(error, options.unwritablePath, 'write');
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`foreign_keys = ${options.foreignKeys === false ? 'OFF' : 'ON'}`);
    setAutoCheckpointPages(db, options.autoCheckpointPages ?? SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
    migrate(db, options.migrations ?? []);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Sets a connection's `wal_autocheckpoint`, pages (rounded down; below 0 counts as 0, off). */
export function setAutoCheckpointPages(db: SqliteDatabase, pages: number): void {
  db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(pages))}`);
}

/**
 * Applies the migrations a file has not had yet, in order, each in its own `BEGIN IMMEDIATE`
 * transaction with its row in `kws_migrations`, so that two processes opening one file at once
 * apply each step once. Steps already recorded are skipped without taking the write lock.
 *
 * @throws Error when two migrations share a name (a programming error); whatever a step throws
 *   (its transaction is rolled back and later steps do not run).
 */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  const names = new Set(migrations.map((m) => m.name));
  if (names.size !== migrations.length)
    throw new Error(`migration names must be unique: ${migrations.map((m) => m.name).join(', ')}`);
  db.exec('CREATE TABLE IF NOT EXISTS kws_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = db.prepare('SELECT 1 FROM kws_migrations WHERE name = ?');
  const record = db.prepare('INSERT INTO kws_migrations (name, applied_at) VALUES (?, ?)');
  for (const migration of migrations) {
    if (applied.get(migration.name) !== undefined) continue;
    db.transaction(() => {
      if (applied.get(migration.name) !== undefined) return; // another connection got there first
      if (typeof migration.up === 'string') db.exec(migration.up);
      else migration.up(db);
      record.run(migration.name, new Date().toISOString());
    }).immediate();
  }
}

/** The column names of a table (empty when it does not exist). */
export function columnsOf(db: SqliteDatabase, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
}
