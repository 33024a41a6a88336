import { openDatabase } from './database.js';
import type { Migration, SqliteDatabase } from './database.js';

/** One state-changing request as the audit log keeps it. */
export interface AuditEntry {
  readonly id: number;
  /** ISO 8601, when the request finished. */
  readonly at: string;
  /** The key's id and name; null for a server running open (no keys). */
  readonly keyId: number | null;
  readonly keyName: string | null;
  /** What was asked, e.g. `promoteModelVersion` (the GraphQL mutation field). */
  readonly action: string;
  /** Its arguments as JSON (uploads are never written here). */
  readonly arguments: string;
  /** `ok`, or the error code it ended with (e.g. `FORBIDDEN`, `NOT_FOUND`). */
  readonly outcome: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    name: 'audit/1-create',
    up: `
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  key_id INTEGER,
  key_name TEXT,
  action TEXT NOT NULL,
  arguments TEXT NOT NULL,
  outcome TEXT NOT NULL
);`,
  },
];

interface AuditRow {
  id: number;
  at: string;
  key_id: number | null;
  key_name: string | null;
  action: string;
  arguments: string;
  outcome: string;
}

/**
 * The audit log in `kws.db` (table `audit_log`): who asked for which state-changing operation,
 * when, and how it ended. Rows are only ever appended.
 */
export class AuditLog {
  private constructor(private readonly db: SqliteDatabase) {}

  /**
   * Opens (creating) the audit table in a SQLite file, normally `<dataDir>/kws.db`.
   *
   * @throws KwsError `FILE_UNWRITABLE` when the file cannot be opened.
   */
  static open(dbPath: string): AuditLog {
    return new AuditLog(openDatabase(dbPath, { migrations: MIGRATIONS, unwritablePath: dbPath }));
  }

  /**
   * Appends one entry; `at` is now.
   *
   * @throws the SQLite error when the write fails (busy past 5 s, disk full): callers that must not
   *   fail because of the audit (a mutation that has run) catch and log it.
   */
  record(entry: Omit<AuditEntry, 'id' | 'at'>): void {
    this.db
      .prepare('INSERT INTO audit_log (at, key_id, key_name, action, arguments, outcome) VALUES (?, ?, ?, ?, ?, ?)')
      .run(new Date().toISOString(), entry.keyId, entry.keyName, entry.action, entry.arguments, entry.outcome);
  }

  /** The newest `first` entries, newest first; `first` is clamped to 1-1000. */
  recent(first: number): AuditEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?')
      .all(Math.max(1, Math.min(1000, Math.floor(first)))) as AuditRow[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      keyId: r.key_id,
      keyName: r.key_name,
      action: r.action,
      arguments: r.arguments,
      outcome: r.outcome,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
