import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../config/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import { openDatabase } from '../storage/index.js';
import type { Migration, SqliteDatabase } from '../storage/index.js';
import type { VersionManifest, VersionState } from './manifest.js';

/** One model version as the registry lists it. */
export interface VersionRecord {
  readonly version: number;
  readonly state: VersionState;
  readonly architecture: string | null;
  readonly createdAt: string;
  /** Testing accuracy with calibrated thresholds, else validation accuracy; null until ready. */
  readonly accuracy: number | null;
  /** Aliases pointing at this version, e.g. `production`. */
  readonly aliases: readonly string[];
  /** The version's folder (for ready and archived versions). */
  readonly dir: string;
}

/** A version being written: its number and the private folder to write its files into. */
export interface PendingVersion {
  readonly version: number;
  readonly dir: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    name: 'registry/1-create',
    up: `
CREATE TABLE IF NOT EXISTS versions (
  version INTEGER PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('training', 'ready', 'failed', 'archived')),
  architecture TEXT,
  created_at TEXT NOT NULL,
  accuracy REAL,
  error TEXT
);
CREATE TABLE IF NOT EXISTS aliases (
  alias TEXT PRIMARY KEY,
  version INTEGER NOT NULL REFERENCES versions(version)
);`,
  },
];

/** Folder names of version folders: the number itself. */
const VERSION_DIR = /^[1-9][0-9]*$/;

/**
 * The model repository (after Triton's: one numbered folder per version, `models/<N>/` holding
 * `version.json`, `model.json`, `weights.bin`), indexed in SQLite (WAL mode) with each version's
 * state and the aliases that name versions (`production` serves).
 *
 * A version is written into a hidden temporary folder and renamed into place when complete, so a
 * reader never sees half a version, and a ready version's folder never changes. On open, version
 * folders found on disk (the bundled default model, versions made elsewhere) are added to the index.
 * `production` defaults to the newest ready version until it is set.
 */
export class ModelRegistry {
  private constructor(
    private readonly db: SqliteDatabase,
    readonly modelsDir: string,
  ) {}

  /**
   * @param modelsDir The model repository folder (created when missing, unless `createModelsDir` is false).
   * @param dbPath The SQLite file (its folder is created), or `:memory:`.
   * @throws KwsError `FILE_NOT_FOUND` for a missing repository that may not be created,
   *   `FILE_UNWRITABLE` when a folder or the database cannot be created.
   */
  static open(modelsDir: string, dbPath: string, options: { readonly createModelsDir?: boolean } = {}): ModelRegistry {
    if (options.createModelsDir === false && !existsSync(modelsDir))
      throw new KwsError('FILE_NOT_FOUND', `model repository ${modelsDir} does not exist`);
    try {
      makeDirs(modelsDir);
      if (dbPath !== ':memory:') makeDirs(join(dbPath, '..'));
    } catch (error) {
      throw fromFsError(error, dbPath, 'write');
    }
    const db = openDatabase(dbPath, { foreignKeys: true, migrations: MIGRATIONS, unwritablePath: dbPath });
    const registry = new ModelRegistry(db, modelsDir);
    registry.syncFromDisk();
    return registry;
  }

  close(): void {
    this.db.close();
  }

  /** Adds version folders present on disk but unknown to the index, as ready versions. */
  private syncFromDisk(): void {
    const known = new Set(
      (this.db.prepare('SELECT version FROM versions').all() as Array<{ version: number }>).map((r) => r.version),
    );
    const insert = this.db.prepare(
      'INSERT INTO versions (version, state, architecture, created_at, accuracy) VALUES (?, ?, ?, ?, ?)',
    );
    for (const name of readdirSync(this.modelsDir)) {
      if (!VERSION_DIR.test(name) || known.has(Number(name))) continue;
      const manifestPath = join(this.modelsDir, name, 'version.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as VersionManifest;
      insert.run(Number(name), 'ready', manifest.architecture, manifest.createdAt, headlineAccuracy(manifest));
    }
  }

  /** Every version, newest first. */
  list(): VersionRecord[] {
    const aliases = this.aliases();
    const rows = this.db
      .prepare(
        'SELECT version, state, architecture, created_at AS createdAt, accuracy FROM versions ORDER BY version DESC',
      )
      .all() as Array<Omit<VersionRecord, 'aliases' | 'dir'>>;
    return rows.map((row) => ({
      ...row,
      aliases: Object.entries(aliases)
        .filter(([, v]) => v === row.version)
        .map(([a]) => a),
      dir: join(this.modelsDir, String(row.version)),
    }));
  }

  /** Alias → version, `production` included (its default when unset). */
  aliases(): Record<string, number> {
    const rows = this.db.prepare('SELECT alias, version FROM aliases').all() as Array<{
      alias: string;
      version: number;
    }>;
    const out: Record<string, number> = Object.fromEntries(rows.map((r) => [r.alias, r.version]));
    if (out['production'] === undefined) {
      const newest = this.db.prepare("SELECT max(version) AS v FROM versions WHERE state = 'ready'").get() as {
        v: number | null;
      };
      if (newest.v !== null) out['production'] = newest.v;
    }
    return out;
  }

  /**
   * The ready version a reference names: a number, an alias, or `undefined` for `production`.
   *
   * @throws KwsError `NOT_FOUND` for an unknown alias or version number, `NOT_READY` when no version
   *   is ready yet, `INVALID_ARGUMENT` for a version that is not ready (training, failed, archived).
   */
  resolve(ref?: number | string): VersionRecord {
    const key = ref === undefined ? 'production' : String(ref);
    const version = /^[0-9]+$/.test(key) ? Number(key) : this.aliases()[key];
    if (version === undefined)
      throw key === 'production'
        ? new KwsError('NOT_READY', 'no model version is ready yet: train one with kws train')
        : new KwsError('NOT_FOUND', `no model version is named "${key}"`);
    const record = this.list().find((r) => r.version === version);
    if (record === undefined) throw new KwsError('NOT_FOUND', `model version ${version} does not exist`);
    if (record.state !== 'ready')
      throw new KwsError('INVALID_ARGUMENT', `model version ${version} is ${record.state}, not ready`);
    return record;
  }

  /** The manifest of a ready version. */
  manifest(version: number): VersionManifest {
    return JSON.parse(readFileSync(join(this.modelsDir, String(version), 'version.json'), 'utf8')) as VersionManifest;
  }

  /** Reserves the next version number (state `training`) and a private folder to write it into. */
  begin(architecture: string): PendingVersion {
    const next = (this.db.prepare('SELECT coalesce(max(version), 0) + 1 AS v FROM versions').get() as { v: number }).v;
    let version = next;
    while (existsSync(join(this.modelsDir, String(version)))) version++;
    this.db
      .prepare("INSERT INTO versions (version, state, architecture, created_at) VALUES (?, 'training', ?, ?)")
      .run(version, architecture, new Date().toISOString());
    const dir = join(this.modelsDir, `.tmp-${version}-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    return { version, dir };
  }

  /** Writes `version.json`, moves the folder into place and marks the version ready. */
  commit(pending: PendingVersion, manifest: VersionManifest): VersionRecord {
    writeFileSync(join(pending.dir, 'version.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(pending.dir, join(this.modelsDir, String(pending.version)));
    this.db
      .prepare("UPDATE versions SET state = 'ready', accuracy = ?, created_at = ? WHERE version = ?")
      .run(headlineAccuracy(manifest), manifest.createdAt, pending.version);
    return this.resolve(pending.version);
  }

  /** Marks a pending version failed with its error and removes its files; serving is untouched. */
  fail(pending: PendingVersion, error: string): void {
    rmSync(pending.dir, { recursive: true, force: true });
    this.db.prepare("UPDATE versions SET state = 'failed', error = ? WHERE version = ?").run(error, pending.version);
  }

  /**
   * Marks a version that was being trained as failed and removes its private folder, for a training
   * run that died (its worker thread was terminated, the process crashed). Other states are left alone.
   */
  abandon(version: number, error: string): void {
    const state = this.db.prepare('SELECT state FROM versions WHERE version = ?').get(version) as
      { state: string } | undefined;
    if (state?.state !== 'training') return;
    for (const name of readdirSync(this.modelsDir))
      if (name.startsWith(`.tmp-${version}-`)) rmSync(join(this.modelsDir, name), { recursive: true, force: true });
    this.db.prepare("UPDATE versions SET state = 'failed', error = ? WHERE version = ?").run(error, version);
  }

  /**
   * Makes `production` an explicit alias of the version it names now (by default the newest ready
   * one), so that a version trained later does not start serving before it is promoted.
   */
  pinProduction(): void {
    const explicit = this.db.prepare("SELECT version FROM aliases WHERE alias = 'production'").get();
    const current = this.aliases()['production'];
    if (explicit === undefined && current !== undefined) this.setAlias('production', current);
  }

  /**
   * Archives a ready version: it stays on disk and listed, but no longer serves or resolves.
   *
   * @throws KwsError `NOT_FOUND` for an unknown version; `INVALID_ARGUMENT` when it is not ready or an
   *   alias (`production` included, even by default) names it: promote another version first.
   */
  archive(version: number): VersionRecord {
    const record = this.list().find((r) => r.version === version);
    if (record === undefined) throw new KwsError('NOT_FOUND', `model version ${version} does not exist`);
    if (record.state !== 'ready')
      throw new KwsError(
        'INVALID_ARGUMENT',
        `model version ${version} is ${record.state}; only ready versions can be archived`,
      );
    if (record.aliases.length > 0)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `model version ${version} is ${record.aliases.join(', ')}; promote another version to ${record.aliases.length > 1 ? 'those aliases' : 'that alias'} first`,
      );
    this.db.prepare("UPDATE versions SET state = 'archived' WHERE version = ?").run(version);
    return { ...record, state: 'archived' };
  }

  /**
   * Points an alias at a ready version (promotion; rollback is promoting an older one).
   *
   * @throws KwsError `INVALID_ARGUMENT` when the version is not ready or the alias is not a name.
   */
  setAlias(alias: string, version: number): void {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(alias))
      throw new KwsError('INVALID_ARGUMENT', `alias must be lowercase letters, digits, - or _, got "${alias}"`);
    this.resolve(version);
    this.db
      .prepare(
        'INSERT INTO aliases (alias, version) VALUES (?, ?) ON CONFLICT(alias) DO UPDATE SET version = excluded.version',
      )
      .run(alias, version);
  }
}

function headlineAccuracy(manifest: VersionManifest): number {
  return manifest.metrics.testing?.accuracy ?? manifest.metrics.validation.accuracy;
}
