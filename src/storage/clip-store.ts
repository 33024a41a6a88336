import { randomUUID } from 'node:crypto';
import { makeDirs } from '../config/index.js';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import type { SignalShape } from '../features/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import { columnsOf, openDatabase, setAutoCheckpointPages } from './database.js';
import type { Migration, SqliteDatabase } from './database.js';

/** An uploaded clip as stored: metadata in SQLite, bytes under `<dataDir>/clips/`. */
export interface ClipRecord {
  /** Sequential id, as a decimal string in the APIs. */
  readonly id: number;
  /** The client's file name, kept only as metadata (never used as a path), at most 255 characters. */
  readonly filename: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly container: string;
  readonly codec: string;
  readonly sourceSampleRateHz: number;
  /** Decoded duration before fitting to 1 s, ms. */
  readonly durationMs: number;
  readonly createdAt: string;
  /** The API key that uploaded it; null when the server ran without keys. */
  readonly ownerKeyId: number | null;
}

/** The model output for one clip and one version (thresholds are applied on read). */
export interface StoredPrediction {
  readonly clipId: number;
  readonly modelVersion: number;
  /** `[12]` softmax probabilities in {@link LABELS} order. */
  readonly probabilities: readonly number[];
  /** RMS of the clip fitted to the model's length, dBFS. */
  readonly rmsDbfs: number;
  /** Energy score (see `ModelOutput`); NaN when the model has none (stored as NULL). */
  readonly energy: number;
  /** The clip's `SignalShape` (the non-speech rule); absent or null for rows stored before it was kept. */
  readonly shape?: SignalShape | null;
  /** Label under the version's calibrated thresholds (what `clips(label)` filters on). */
  readonly label: Label;
  /** Time from request to result when it was computed, ms. */
  readonly latencyMs: number;
  /** For a model of every word, the most probable word (`kws train --all-words`); absent or null otherwise. */
  readonly topWord?: string | null;
}

const MIGRATIONS: readonly Migration[] = [
  {
    name: 'clips/1-create',
    up: `
CREATE TABLE IF NOT EXISTS clips (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  filename TEXT NOT NULL,
  file TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  container TEXT NOT NULL,
  codec TEXT NOT NULL,
  source_sample_rate_hz INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS predictions (
  clip_id INTEGER NOT NULL REFERENCES clips(id),
  model_version INTEGER NOT NULL,
  probabilities TEXT NOT NULL,
  rms_dbfs REAL NOT NULL,
  label TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  created_at TEXT NOT NULL,
  energy REAL,
  PRIMARY KEY (clip_id, model_version)
);
CREATE INDEX IF NOT EXISTS predictions_by_label ON predictions (model_version, label, clip_id);`,
  },
  {
    // Databases made before energy scores were stored: add the column (old rows read as NaN).
    name: 'clips/2-prediction-energy',
    up: (db) => {
      if (!columnsOf(db, 'predictions').has('energy')) db.exec('ALTER TABLE predictions ADD COLUMN energy REAL');
    },
  },
  {
    // Clips belong to the API key that uploaded them (a `predict` key reads only its own).
    name: 'clips/3-owner',
    up: (db) => {
      if (!columnsOf(db, 'clips').has('owner_key_id')) db.exec('ALTER TABLE clips ADD COLUMN owner_key_id INTEGER');
      db.exec('CREATE INDEX IF NOT EXISTS clips_by_owner ON clips (owner_key_id, id)');
    },
  },
  {
    // A model of every word answers its top word too (old rows read as null).
    name: 'clips/4-top-word',
    up: (db) => {
      if (!columnsOf(db, 'predictions').has('top_word')) db.exec('ALTER TABLE predictions ADD COLUMN top_word TEXT');
    },
  },
  {
    // The clip's signal shape, for the non-speech rule (old rows read as null; ServingService.predictions computes them again).
    name: 'clips/5-signal-shape',
    up: (db) => {
      const columns = columnsOf(db, 'predictions');
      if (!columns.has('peak_concentration')) db.exec('ALTER TABLE predictions ADD COLUMN peak_concentration REAL');
      if (!columns.has('stationarity')) db.exec('ALTER TABLE predictions ADD COLUMN stationarity REAL');
    },
  },
];

interface ClipRow {
  id: number;
  filename: string;
  file: string;
  size_bytes: number;
  sha256: string;
  container: string;
  codec: string;
  source_sample_rate_hz: number;
  duration_ms: number;
  created_at: string;
  owner_key_id: number | null;
}

interface PredictionRow {
  clip_id: number;
  model_version: number;
  probabilities: string;
  rms_dbfs: number;
  label: string;
  latency_ms: number;
  energy: number | null;
  top_word: string | null;
  peak_concentration: number | null;
  stationarity: number | null;
}

interface PendingInsert {
  readonly file: string;
  readonly sizeBytes: number;
  readonly meta: Omit<ClipRecord, 'id' | 'createdAt' | 'sizeBytes'>;
  readonly prediction: Omit<StoredPrediction, 'clipId'> | undefined;
  readonly resolve: (record: ClipRecord) => void;
  readonly reject: (error: unknown) => void;
}

const toClip = (row: ClipRow): ClipRecord => ({
  id: row.id,
  filename: row.filename,
  sizeBytes: row.size_bytes,
  sha256: row.sha256,
  container: row.container,
  codec: row.codec,
  sourceSampleRateHz: row.source_sample_rate_hz,
  durationMs: row.duration_ms,
  createdAt: row.created_at,
  ownerKeyId: row.owner_key_id,
});

const toPrediction = (row: PredictionRow): StoredPrediction => ({
  clipId: row.clip_id,
  modelVersion: row.model_version,
  probabilities: JSON.parse(row.probabilities) as number[],
  rmsDbfs: row.rms_dbfs,
  energy: row.energy ?? Number.NaN,
  label: (LABELS as readonly string[]).includes(row.label) ? (row.label as Label) : 'unknown',
  latencyMs: row.latency_ms,
  topWord: row.top_word ?? null,
  shape:
    row.peak_concentration === null || row.stationarity === null
      ? null
      : { peakConcentration: row.peak_concentration, stationarity: row.stationarity },
});

/**
 * The one sanitiser of client file names, for REST and GraphQL uploads alike: the base name (what
 * follows the last `/` or `\\`, as busboy keeps it without `preservePath`), without control (C0,
 * DEL, C1) and bidirectional-override characters, at most 255 characters, `unnamed` when nothing is
 * left (`.` and `..` count as nothing). It is kept only as metadata and echoed back, never used to build a path.
 */
export function sanitizeFilename(name: string | undefined): string {
  const last = (name ?? '').split(/[/\\]/).at(-1) ?? '';
  const base = last === '.' || last === '..' ? '' : last; // as busboy's basename
  // eslint-disable-next-line no-control-regex
  const cleaned = [...base.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')]
    .slice(0, 255)
    .join('');
  return cleaned.length > 0 ? cleaned : 'unnamed';
}

/**
 * Uploaded clips and their predictions: SQLite in WAL mode (`kws.db`, shared with the model
 * registry) plus one file per clip under `<dataDir>/clips/`, written before its row is inserted, so
 * an acknowledged clip survives a restart or a crash of the process.
 */
export class ClipStore {
  /** Prepared once: better-sqlite3 statements are reusable, and preparing costs more than running. */
  private readonly sql: {
    insertClip: Statement;
    insertPrediction: Statement;
    clipById: Statement;
    fileById: Statement;
    prediction: Statement;
  };
  /** Inserts waiting for the next group commit. */
  private pending: PendingInsert[] = [];

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly clipsDir: string,
  ) {
    this.sql = {
      insertClip: db.prepare(
        'INSERT INTO clips (filename, file, size_bytes, sha256, container, codec, source_sample_rate_hz, duration_ms, created_at, owner_key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertPrediction: db.prepare(
        'INSERT OR REPLACE INTO predictions (clip_id, model_version, probabilities, rms_dbfs, label, latency_ms, created_at, energy, top_word, peak_concentration, stationarity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      clipById: db.prepare('SELECT * FROM clips WHERE id = ?'),
      fileById: db.prepare('SELECT file FROM clips WHERE id = ?'),
      prediction: db.prepare('SELECT * FROM predictions WHERE clip_id = ? AND model_version = ?'),
    };
  }

  /**
   * @param dataDir The state folder; clips go to `<dataDir>/clips/`.
   * @param dbPath The SQLite file, or `:memory:`.
   * @throws KwsError `FILE_UNWRITABLE` when the folder or database cannot be created.
   */
  static open(dataDir: string, dbPath: string): ClipStore {
    const clipsDir = join(dataDir, 'clips');
    try {
      makeDirs(clipsDir);
    } catch (error) {
      throw fromFsError(error, clipsDir, 'write');
    }
    return new ClipStore(openDatabase(dbPath, { migrations: MIGRATIONS, unwritablePath: clipsDir }), clipsDir);
  }

  /** Sets this connection's `wal_autocheckpoint`, pages (SQLite's default is 1000; 0 turns automatic checkpoints off). */
  setAutoCheckpointPages(pages: number): void {
    setAutoCheckpointPages(this.db, pages);
  }

  /** Commits what {@link insert} still holds, then closes the database. */
  close(): void {
    this.commitPending();
    this.db.close();
  }

  /**
   * A fresh place for a new clip's bytes: `<dataDir>/clips/<random UUID>.<container>`, written by
   * the engine's worker thread (`EnginePool.prepare` with `saveAs`) before {@link insert} names it.
   */
  newFileTarget(): { readonly dir: string; readonly stem: string } {
    return { dir: this.clipsDir, stem: randomUUID() };
  }

  /**
   * Records a clip whose bytes are already in `<dataDir>/clips/<file>`, with its first prediction;
   * resolves to its record once committed. Rows inserted in the same turn of the event loop (the
   * clips of one inference batch) share one SQLite transaction (group commit): a commit costs far
   * more than an insert. The file is written before its row exists, so a crash between the two
   * leaves an orphan file that nothing names, never a row without its bytes.
   *
   * @throws the SQLite error when the transaction fails (all clips of that commit are refused).
   */
  insert(
    file: string,
    sizeBytes: number,
    meta: Omit<ClipRecord, 'id' | 'createdAt' | 'sizeBytes'>,
    prediction?: Omit<StoredPrediction, 'clipId'>,
  ): Promise<ClipRecord> {
    return new Promise((resolve, reject) => {
      this.pending.push({ file, sizeBytes, meta, prediction, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.commitPending());
    });
  }

  /**
   * Removes clip files that no row names and that are older than `graceMs` (a crash between writing
   * a file and committing its row leaves one; the grace period spares uploads in flight, also of
   * another process sharing the folder). Called by the server at start.
   *
   * @param graceMs Minimum age of a file to remove, ms (by its modification time). Default 15 minutes.
   * @returns How many files were removed.
   */
  async removeOrphans(graceMs = 15 * 60_000): Promise<number> {
    const named = new Set(
      (this.db.prepare('SELECT file FROM clips').all() as Array<{ file: string }>).map((r) => r.file),
    );
    const cutoff = Date.now() - graceMs;
    let removed = 0;
    for (const name of await readdir(this.clipsDir)) {
      if (named.has(name)) continue;
      const path = join(this.clipsDir, name);
      try {
        const info = await stat(path);
        if (!info.isFile() || info.mtimeMs > cutoff) continue;
        // Named meanwhile (committed after the SELECT above)? Then keep it.
        if (this.db.prepare('SELECT 1 FROM clips WHERE file = ?').get(name) !== undefined) continue;
        await unlink(path);
        removed++;
      } catch {
        // gone already, or not ours to remove
      }
    }
    return removed;
  }

  /** Removes a clip file that no row names (its upload failed after the file was written). Never throws. */
  discardFile(file: string): void {
    unlink(join(this.clipsDir, basename(file))).catch(() => undefined);
  }

  /** One transaction for every pending {@link insert}; each caller gets its record or the error. */
  private commitPending(): void {
    const group = this.pending.splice(0);
    if (group.length === 0) return;
    const createdAt = new Date().toISOString();
    let ids: number[];
    try {
      ids = this.db.transaction(() =>
        group.map(({ file, sizeBytes, meta, prediction }) => {
          const info = this.sql.insertClip.run(
            meta.filename,
            file,
            sizeBytes,
            meta.sha256,
            meta.container,
            meta.codec,
            meta.sourceSampleRateHz,
            meta.durationMs,
            createdAt,
            meta.ownerKeyId,
          );
          const clipId = Number(info.lastInsertRowid);
          if (prediction !== undefined) this.insertPredictions([{ ...prediction, clipId }], createdAt);
          return clipId;
        }),
      )();
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => p.resolve({ ...p.meta, id: ids[i] as number, sizeBytes: p.sizeBytes, createdAt }));
  }

  /** The clips with these ids, in the same order; null where there is none. */
  get(ids: readonly number[]): Array<ClipRecord | null> {
    return ids.map((id) => {
      const row = this.sql.clipById.get(id) as ClipRow | undefined;
      return row === undefined ? null : toClip(row);
    });
  }

  /**
   * Reads a stored clip's bytes.
   *
   * @throws KwsError `NOT_FOUND` for an unknown id, `FILE_NOT_FOUND` when its file is gone.
   */
  async bytes(id: number): Promise<Uint8Array> {
    const row = this.sql.fileById.get(id) as { file: string } | undefined;
    if (row === undefined) throw new KwsError('NOT_FOUND', `no clip has id ${id}`);
    const path = join(this.clipsDir, row.file);
    try {
      return await readFile(path);
    } catch (error) {
      throw fromFsError(error, path, 'read');
    }
  }

  /**
   * A page of clips in upload order, after the clip with id `afterId`; with `label`, only clips
   * whose stored prediction by `modelVersion` has that label; with `ownerKeyId`, only that key's.
   */
  page(options: {
    readonly first: number;
    readonly afterId: number;
    readonly label?: Label;
    readonly modelVersion: number;
    readonly ownerKeyId?: number;
  }): { clips: ClipRecord[]; hasNextPage: boolean; totalCount: number } {
    const { first, afterId, label, modelVersion, ownerKeyId } = options;
    const filter =
      (label === undefined
        ? ''
        : 'AND id IN (SELECT clip_id FROM predictions WHERE model_version = @modelVersion AND label = @label)') +
      (ownerKeyId === undefined ? '' : ' AND owner_key_id = @ownerKeyId');
    const rows = this.db
      .prepare(`SELECT * FROM clips WHERE id > @afterId ${filter} ORDER BY id LIMIT @limit`)
      .all({ afterId, modelVersion, label, ownerKeyId, limit: first + 1 }) as ClipRow[];
    const total = this.db
      .prepare(`SELECT COUNT(*) AS n FROM clips WHERE 1 = 1 ${filter}`)
      .get({ modelVersion, label, ownerKeyId }) as { n: number };
    return { clips: rows.slice(0, first).map(toClip), hasNextPage: rows.length > first, totalCount: total.n };
  }

  /** Stored predictions for (clip, version) pairs, in order; null where none is stored. */
  predictions(
    keys: ReadonlyArray<{ readonly clipId: number; readonly modelVersion: number }>,
  ): Array<StoredPrediction | null> {
    return keys.map(({ clipId, modelVersion }) => {
      const row = this.sql.prediction.get(clipId, modelVersion) as PredictionRow | undefined;
      return row === undefined ? null : toPrediction(row);
    });
  }

  /** Stores (or replaces) predictions, in one transaction. */
  savePredictions(predictions: readonly StoredPrediction[]): void {
    if (predictions.length > 0)
      this.db.transaction(() => this.insertPredictions(predictions, new Date().toISOString()))();
  }

  private insertPredictions(predictions: readonly StoredPrediction[], createdAt: string): void {
    for (const p of predictions)
      this.sql.insertPrediction.run(
        p.clipId,
        p.modelVersion,
        JSON.stringify(p.probabilities),
        p.rmsDbfs,
        p.label,
        p.latencyMs,
        createdAt,
        Number.isFinite(p.energy) ? p.energy : null,
        p.topWord ?? null,
        p.shape?.peakConcentration ?? null,
        p.shape?.stationarity ?? null,
      );
  }
}
