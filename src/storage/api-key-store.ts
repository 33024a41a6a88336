import { createHash, randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { describeValue, KwsError } from '../errors/index.js';
import { openDatabase } from './database.js';
import type { Migration, SqliteDatabase } from './database.js';

/**
 * What an API key may do, each scope including the ones before it:
 * - `predict`: upload and classify clips, read its own clips;
 * - `read`: also read every clip, model versions and their metrics, jobs and dashboard data, `/metrics`;
 * - `admin`: also every mutation that changes state (retrain, search, scoreTestSet, promote,
 *   archive, removeAlias, cancel) and the audit log.
 */
export type Scope = 'predict' | 'read' | 'admin';

/** Every scope, weakest first. */
export const SCOPES: readonly Scope[] = ['predict', 'read', 'admin'];

/** Whether a key of scope `have` may do what needs `need` (scopes nest: admin > read > predict). */
export function scopeAllows(have: Scope, need: Scope): boolean {
  return SCOPES.indexOf(have) >= SCOPES.indexOf(need);
}

/**
 * Parses a scope name.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the value and the scopes.
 */
export function parseScope(value: string): Scope {
  if ((SCOPES as readonly string[]).includes(value)) return value as Scope;
  throw new KwsError('INVALID_ARGUMENT', `scope must be one of ${SCOPES.join(', ')}, got ${describeValue(value)}`);
}

/** An API key as stored and listed: never its secret. */
export interface ApiKeyRecord {
  readonly id: number;
  /** Unique among keys, 1 to 64 printable characters. */
  readonly name: string;
  readonly scope: Scope;
  /** The first characters of the key (`kws_` and 6 more), to tell keys apart; not enough to use one. */
  readonly prefix: string;
  readonly createdAt: string;
  /** When it was revoked; null while it works. */
  readonly revokedAt: string | null;
}

/** A new key: the secret, shown once, and its record. */
export interface CreatedApiKey {
  /** `kws_` then 43 base64url characters (32 random bytes). Only its SHA-256 is stored. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

/**
 * Who is asking: a live API key, or anyone (`open`) on a server whose data folder never had a key
 * (it listens on loopback only unless told `--insecure`).
 */
export type Principal = { readonly kind: 'open' } | { readonly kind: 'key'; readonly key: ApiKeyRecord };

/**
 * Puts the principal on a request's locals (express `res.locals`), where the HTTP layer's
 * `authenticate` leaves it for the routes and the GraphQL context.
 */
export function setPrincipal(locals: Record<string, unknown>, principal: Principal): void {
  locals[PRINCIPAL_LOCAL] = principal;
}

/**
 * The principal {@link setPrincipal} left on a request's locals. Fails closed.
 *
 * @throws KwsError `INTERNAL` when there is none (a route mounted without `authenticate`): never an open door.
 */
export function principalOn(locals: Record<string, unknown>): Principal {
  const principal = locals[PRINCIPAL_LOCAL] as Principal | undefined;
  if (principal === undefined) throw new KwsError('INTERNAL', 'no principal: authenticate must run before this route');
  return principal;
}

const PRINCIPAL_LOCAL = 'principal';

/** The principal of a server without keys: may do everything. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ kind: 'open' });

/** What a principal may do: `admin` when open. */
export function principalScope(principal: Principal): Scope {
  return principal.kind === 'open' ? 'admin' : principal.key.scope;
}

/** The owner recorded on a clip this principal uploads: its key's id, null when open. */
export function principalKeyId(principal: Principal): number | null {
  return principal.kind === 'open' ? null : principal.key.id;
}

/**
 * Whether a principal may see a clip of this owner: `read` and `admin` keys (and an open server)
 * see every clip; a `predict` key only its own.
 */
export function canSeeClip(principal: Principal, ownerKeyId: number | null): boolean {
  return seesEveryClip(principal) || principalKeyId(principal) === ownerKeyId;
}

/** Whether a principal sees every clip (`read` or more, or an open server), not only its own. */
export function seesEveryClip(principal: Principal): boolean {
  return scopeAllows(principalScope(principal), 'read');
}

/** Random bytes of a key (256 bits). */
export const API_KEY_RANDOM_BYTES = 32;
const KEY_PREFIX = 'kws_';
/** Characters of a key shown in listings (`kws_` + 6). */
const SHOWN_CHARACTERS = KEY_PREFIX.length + 6;

const MIGRATIONS: readonly Migration[] = [
  {
    name: 'keys/1-create',
    up: `
CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  scope TEXT NOT NULL CHECK (scope IN ('predict', 'read', 'admin')),
  prefix TEXT NOT NULL,
  sha256 BLOB NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);`,
  },
];

interface KeyRow {
  id: number;
  name: string;
  scope: Scope;
  prefix: string;
  sha256: Buffer;
  created_at: string;
  revoked_at: string | null;
}

const toRecord = (row: KeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  prefix: row.prefix,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

const sha256 = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * API keys in the data folder's `kws.db` (table `api_keys`): each key is 32 random bytes
 * (`crypto.randomBytes`), shown once as `kws_<base64url>`; only its SHA-256 is stored, with a name,
 * a {@link Scope} and a short prefix for listings. A key of 256 random bits needs no slow password
 * hash (OWASP, "Password Storage": fast hashes are fine for high-entropy secrets).
 *
 * A server with a store that has never held a key runs open (loopback only, see `startServer`);
 * once any key was created, every request needs a valid one, even after all are revoked.
 */
export class ApiKeyStore {
  private readonly sql: { byHash: Statement; byName: Statement; anyEver: Statement };
  private keysExisted = false;

  private constructor(private readonly db: SqliteDatabase) {
    this.sql = {
      byHash: db.prepare('SELECT * FROM api_keys WHERE sha256 = ?'),
      byName: db.prepare('SELECT * FROM api_keys WHERE name = ?'),
      anyEver: db.prepare('SELECT 1 FROM api_keys LIMIT 1'),
    };
  }

  /**
   * Opens (creating) the key table in a SQLite file, normally `<dataDir>/kws.db`.
   *
   * @throws KwsError `FILE_UNWRITABLE` when the file cannot be opened.
   */
  static open(dbPath: string): ApiKeyStore {
    return new ApiKeyStore(openDatabase(dbPath, { migrations: MIGRATIONS, unwritablePath: dbPath }));
  }

  /**
   * Makes a key. The returned `key` is the only copy of the secret.
   *
   * @throws KwsError `INVALID_ARGUMENT` for a name that is empty, longer than 64 characters, has
   *   control characters, is all digits (it would read as an id) or is taken (revoked keys keep
   *   their names).
   */
  create(name: string, scope: Scope): CreatedApiKey {
    // eslint-disable-next-line no-control-regex
    if (name.length === 0 || name.length > 64 || /[\u0000-\u001f\u007f]/.test(name))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `a key name must be 1 to 64 characters without control characters, got ${describeValue(name)}`,
      );
    if (/^\d+$/.test(name))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `a key name must not be all digits (revoke takes a name or an id), got ${describeValue(name)}`,
      );
    parseScope(scope);
    const key = KEY_PREFIX + randomBytes(API_KEY_RANDOM_BYTES).toString('base64url');
    const createdAt = new Date().toISOString();
    const created = this.db
      .transaction(() => {
        if (this.sql.byName.get(name) !== undefined)
          throw new KwsError('INVALID_ARGUMENT', `a key named ${describeValue(name)} exists already`);
        return this.db
          .prepare('INSERT INTO api_keys (name, scope, prefix, sha256, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(name, scope, key.slice(0, SHOWN_CHARACTERS), sha256(key), createdAt);
      })
      .immediate();
    return { key, record: this.get(Number(created.lastInsertRowid)) as ApiKeyRecord };
  }

  /** Every key, oldest first (by id), revoked ones included; never a secret or hash. */
  list(): ApiKeyRecord[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY id').all() as KeyRow[]).map(toRecord);
  }

  /** One key by id, or null. */
  get(id: number): ApiKeyRecord | null {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as KeyRow | undefined;
    return row === undefined ? null : toRecord(row);
  }

  /**
   * Revokes a key by name or id (a decimal string); revoking a revoked key changes nothing.
   *
   * @returns The key as revoked.
   * @throws KwsError `NOT_FOUND` when no key has that name or id.
   */
  revoke(nameOrId: string): ApiKeyRecord {
    const row = (this.sql.byName.get(nameOrId) ??
      (/^\d+$/.test(nameOrId)
        ? this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(Number(nameOrId))
        : undefined)) as KeyRow | undefined;
    if (row === undefined)
      throw new KwsError('NOT_FOUND', `no API key is named or numbered ${describeValue(nameOrId)}`);
    this.db
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
      .run(new Date().toISOString(), row.id);
    return this.get(row.id) as ApiKeyRecord;
  }

  /**
   * The live key whose secret this is, or null (unknown or revoked). The presented key is hashed
   * first and looked up by its SHA-256, so the lookup's timing says nothing about the secret.
   */
  authenticate(presented: string): ApiKeyRecord | null {
    if (!presented.startsWith(KEY_PREFIX) || presented.length > 256) return null;
    const row = this.sql.byHash.get(sha256(presented)) as KeyRow | undefined;
    return row === undefined || row.revoked_at !== null ? null : toRecord(row);
  }

  /**
   * Whether a key was ever created here (then requests need one, even if all are revoked). Keys are
   * never deleted, so once true it stays true without asking SQLite again (4 µs a request saved).
   */
  anyKeyEver(): boolean {
    this.keysExisted ||= this.sql.anyEver.get() !== undefined;
    return this.keysExisted;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
