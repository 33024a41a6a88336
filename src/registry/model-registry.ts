import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirs, PROJECT_ROOT } from '../config/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import { openDatabase } from '../storage/index.js';
import type { Migration, SqliteDatabase } from '../storage/index.js';
import type { VersionManifest, VersionState } from './manifest.js';
import { listedArchitecture } from './manifest.js';

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
 * folders found on disk (versions made elsewhere, the bundled default model) are added to the index.
 * The index and the aliases live in the repository (`registry.db`), so every process using the
 * repository agrees on them, whatever its data folder; `production` moves only by {@link setAlias}.
 */
export class ModelRegistry {
  private constructor(
    private readonly db: SqliteDatabase,
    readonly modelsDir: string,
    /** The read-only repository whose versions this one shows where it has no folder of their number; null for none. */
    readonly bundledDir: string | null,
  ) {}

  /**
   * Opens a model repository and its index, `<modelsDir>/registry.db` (SQLite, WAL): every process
   * that opens one repository (the server, `kws score`, a training worker), whatever its data
   * folder, sees the same versions and aliases, each change one transaction. Version folders found on
   * disk are indexed as ready, those of `bundledDir` too when this repository has no folder of that
   * number (the bundled model stays readable from a user repository without being copied). An
   * index without `production` gets it pointed at the newest bundled version, else the newest
   * ready version, else (an empty repository) at the first version committed; after that only
   * {@link setAlias} moves it.
   *
   * @param modelsDir The model repository folder (created when missing, unless `createModelsDir` is false).
   * @throws KwsError `FILE_NOT_FOUND` for a missing repository that may not be created,
   *   `FILE_UNWRITABLE` when the folder or its index cannot be created.
   */
  static open(modelsDir: string, options: RegistryOpenOptions = {}): ModelRegistry {
    if (options.createModelsDir === false && !existsSync(modelsDir))
      throw new KwsError('FILE_NOT_FOUND', `model repository ${modelsDir} does not exist`);
    const indexPath = options.inMemoryIndex === true ? ':memory:' : join(modelsDir, 'registry.db');
    try {
      makeDirs(modelsDir);
    } catch (error) {
      throw fromFsError(error, modelsDir, 'write');
    }
    const db = openDatabase(indexPath, { foreignKeys: true, migrations: MIGRATIONS, unwritablePath: indexPath });
    const bundled = options.bundledDir === undefined ? BUNDLED_MODELS_DIR : options.bundledDir;
    const registry = new ModelRegistry(
      db,
      modelsDir,
      bundled === null || resolve(bundled) === resolve(modelsDir) || !existsSync(bundled) ? null : bundled,
    );
    registry.syncFromDisk();
    registry.defaultProduction(bundled === null ? [] : shippedVersions(bundled));
    return registry;
  }

  close(): void {
    this.db.close();
  }

  /**
   * A version's folder: this repository's, else the bundled repository's when only it has one.
   */
  private dirOf(version: number): string {
    const own = join(this.modelsDir, String(version));
    if (this.bundledDir === null || existsSync(own)) return own;
    const bundled = join(this.bundledDir, String(version));
    return existsSync(bundled) ? bundled : own;
  }

  /**
   * True when the version is served from the bundled repository (this repository has no folder of
   * that number). A bundled ensemble was made of the bundled members, so a folder of this
   * repository under a member's number (a version of its own) is not one of its members.
   */
  private isBundled(version: number): boolean {
    return this.bundledDir !== null && this.dirOf(version) !== join(this.modelsDir, String(version));
  }

  /** Version numbers with a folder holding `version.json` in `dir`, ascending. */
  private static folderVersions(dir: string | null): number[] {
    if (dir === null || !existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => VERSION_DIR.test(name) && existsSync(join(dir, name, 'version.json')))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * Points `production`, when nothing does yet, at the newest shipped version (of `shipped`) that is
   * ready and served from the bundled repository (or from this one, when it is the bundled one);
   * else, when this repository's own folders shadow every shipped number, at the oldest shipped one
   * that is ready (the default before later versions were shipped, not an unrelated version of its
   * own under a newer shipped number); else at the newest ready version.
   */
  private defaultProduction(shipped: readonly number[]): void {
    if (this.db.prepare("SELECT 1 FROM aliases WHERE alias = 'production'").get() !== undefined) return;
    const ready = new Set(
      (this.db.prepare("SELECT version FROM versions WHERE state = 'ready'").all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    );
    const shippedReady = [...shipped].filter((v) => ready.has(v)).sort((a, b) => a - b);
    const pick =
      shippedReady.filter((v) => this.bundledDir === null || this.isBundled(v)).at(-1) ??
      shippedReady[0] ??
      [...ready].sort((a, b) => a - b).at(-1);
    if (pick !== undefined)
      this.db.prepare("INSERT OR IGNORE INTO aliases (alias, version) VALUES ('production', ?)").run(pick);
  }

  /** Adds version folders present on disk but unknown to the index, as ready versions. */
  private syncFromDisk(): void {
    const known = new Set(
      (this.db.prepare('SELECT version FROM versions').all() as Array<{ version: number }>).map((r) => r.version),
    );
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO versions (version, state, architecture, created_at, accuracy) VALUES (?, ?, ?, ?, ?)',
    );
    const found = new Set([
      ...ModelRegistry.folderVersions(this.modelsDir),
      ...ModelRegistry.folderVersions(this.bundledDir),
    ]);
    for (const version of found) {
      if (known.has(version)) continue;
      const manifest = JSON.parse(readFileSync(join(this.dirOf(version), 'version.json'), 'utf8')) as VersionManifest;
      // INSERT OR IGNORE: another process opening the repository at the same moment may have added it.
      insert.run(version, 'ready', listedArchitecture(manifest), manifest.createdAt, headlineAccuracy(manifest));
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
      dir: this.dirOf(row.version),
    }));
  }

  /** Alias → version, as the repository's index holds them (`production` once any version is ready). */
  aliases(): Record<string, number> {
    const rows = this.db.prepare('SELECT alias, version FROM aliases ORDER BY alias').all() as Array<{
      alias: string;
      version: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
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
    return JSON.parse(readFileSync(join(this.dirOf(version), 'version.json'), 'utf8')) as VersionManifest;
  }

  /** Reserves the next version number (state `training`) and a private folder to write it into. */
  begin(architecture: string): PendingVersion {
    // One IMMEDIATE transaction: of two processes reserving at once, the second waits for the first's number.
    const version = this.db
      .transaction(() => {
        const next = (this.db.prepare('SELECT coalesce(max(version), 0) + 1 AS v FROM versions').get() as { v: number })
          .v;
        let v = Math.max(next, (ModelRegistry.folderVersions(this.bundledDir).at(-1) ?? 0) + 1);
        while (existsSync(join(this.modelsDir, String(v)))) v++;
        this.db
          .prepare("INSERT INTO versions (version, state, architecture, created_at) VALUES (?, 'training', ?, ?)")
          .run(v, architecture, new Date().toISOString());
        return v;
      })
      .immediate();
    const dir = join(this.modelsDir, `.tmp-${version}-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    return { version, dir };
  }

  /**
   * Writes `version.json`, moves the folder into place and marks the version ready; the first ready
   * version of an empty repository becomes `production` (no other commit moves an alias).
   */
  commit(pending: PendingVersion, manifest: VersionManifest): VersionRecord {
    writeFileSync(join(pending.dir, 'version.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(pending.dir, join(this.modelsDir, String(pending.version)));
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE versions SET state = 'ready', accuracy = ?, created_at = ? WHERE version = ?")
        .run(headlineAccuracy(manifest), manifest.createdAt, pending.version);
      this.db.prepare("INSERT OR IGNORE INTO aliases (alias, version) VALUES ('production', ?)").run(pending.version);
    })();
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
   * Archives a ready version: it stays on disk and listed, but no longer serves or resolves.
   *
   * @throws KwsError `NOT_FOUND` for an unknown version; `INVALID_ARGUMENT` when it is not ready, an
   *   alias names it (named): promote another version to that alias, or remove the alias, first; or
   *   a ready ensemble version has it as a member (named): archive the ensemble first (a bundled
   *   ensemble's members are the bundled versions, not this repository's folders of those numbers).
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
        `model version ${version} is ${record.aliases.join(', ')}; promote another version to ${record.aliases.length > 1 ? 'those aliases' : 'that alias'}${record.aliases.includes('production') ? '' : ' or remove it'} first`,
      );
    const ensembles = this.list()
      .filter((r) => r.state === 'ready' && r.version !== version)
      .filter((r) => this.manifest(r.version).ensemble?.members.includes(version) === true)
      .filter((r) => !this.isBundled(r.version) || this.isBundled(version))
      .map((r) => r.version);
    if (ensembles.length > 0)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `model version ${version} is a member of ensemble version${ensembles.length > 1 ? 's' : ''} ${ensembles.join(', ')}; archive ${ensembles.length > 1 ? 'them' : 'it'} first`,
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
  /**
   * Removes an alias (the version it named stays as it is).
   *
   * @returns The version it named.
   * @throws KwsError `NOT_FOUND` for an alias that names nothing; `INVALID_ARGUMENT` for
   *   `production`, which always names the serving version (promote another version instead).
   */
  removeAlias(alias: string): number {
    if (alias === 'production')
      throw new KwsError(
        'INVALID_ARGUMENT',
        'production cannot be removed: it names the version the server serves; promote another version to it instead',
      );
    const version = this.aliases()[alias];
    if (version === undefined) throw new KwsError('NOT_FOUND', `no alias is named ${JSON.stringify(alias)}`);
    this.db.prepare('DELETE FROM aliases WHERE alias = ?').run(alias);
    return version;
  }
}

/**
 * The versions a repository ships (`<dir>/bundled.json`, `{ "versions": [1] }`): what `production`
 * starts at. Other folders there (versions trained into a checkout before repositories had their own
 * index) are shown but never chosen by default. Empty when the file is missing or unreadable.
 */
export function shippedVersions(dir: string): number[] {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, 'bundled.json'), 'utf8')) as { versions?: unknown };
    return Array.isArray(parsed.versions) ? parsed.versions.filter((v): v is number => Number.isInteger(v)) : [];
  } catch {
    return [];
  }
}

/** The bundled model repository, `<project>/models`, shown read-only by every repository. */
export const BUNDLED_MODELS_DIR = resolve(PROJECT_ROOT, 'models');

/** Options of {@link ModelRegistry.open}. */
export interface RegistryOpenOptions {
  /** Create the repository folder when missing. Default true. */
  readonly createModelsDir?: boolean;
  /**
   * A read-only repository whose version folders this one shows where it has none of that number.
   * Default {@link BUNDLED_MODELS_DIR}; null for none; ignored when it is the repository itself.
   */
  readonly bundledDir?: string | null;
  /**
   * Keep the index in memory and write nothing into the folder (to read a repository one may not
   * write, e.g. the bundled one in a benchmark). Default false.
   */
  readonly inMemoryIndex?: boolean;
}

function headlineAccuracy(manifest: VersionManifest): number {
  return manifest.metrics.testing?.accuracy ?? manifest.metrics.validation.accuracy;
}
