import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate, openDatabase } from '../../src/storage/index.js';
import type { Migration } from '../../src/storage/index.js';
import { tempDir } from '../helpers/signals.js';

const pragma = (db: Database.Database, name: string): unknown => db.pragma(name, { simple: true });

describe('openDatabase', () => {
  it('applies WAL, synchronous NORMAL, a 5000 ms busy timeout, foreign keys unless refused, and wal_autocheckpoint when given', () => {
    const dir = tempDir('kws-db-');
    const plain = openDatabase(join(dir, 'plain.db'));
    const unchecked = openDatabase(join(dir, 'unchecked.db'), { foreignKeys: false, autoCheckpointPages: 16_384 });
    try {
      assert.deepEqual(
        ['journal_mode', 'synchronous', 'busy_timeout', 'foreign_keys', 'wal_autocheckpoint'].map((p) =>
          pragma(plain, p),
        ),
        ['wal', 1, 5000, 1, 1000],
      );
      assert.deepEqual(
        ['journal_mode', 'synchronous', 'busy_timeout', 'foreign_keys', 'wal_autocheckpoint'].map((p) =>
          pragma(unchecked, p),
        ),
        ['wal', 1, 5000, 0, 16_384],
      );
    } finally {
      plain.close();
      unchecked.close();
    }
  });

  it('runs each migration once per file, in order, and later ones when they are added', () => {
    const dbPath = join(tempDir('kws-db-migrate-'), 'kws.db');
    const ran: string[] = [];
    const steps: Migration[] = [
      { name: 'test/1-create', up: 'CREATE TABLE t (x INTEGER)' },
      { name: 'test/2-fill', up: (db) => (ran.push('2'), db.exec('INSERT INTO t VALUES (7)')) },
    ];
    openDatabase(dbPath, { migrations: steps }).close();
    openDatabase(dbPath, { migrations: steps }).close();
    assert.deepEqual(ran, ['2'], 'the second open ran nothing');
    const db = openDatabase(dbPath, {
      migrations: [...steps, { name: 'test/3-more', up: (d) => (ran.push('3'), d.exec('INSERT INTO t VALUES (8)')) }],
    });
    try {
      assert.deepEqual(ran, ['2', '3']);
      assert.deepEqual(db.prepare('SELECT x FROM t ORDER BY x').all(), [{ x: 7 }, { x: 8 }]);
      assert.deepEqual(
        (db.prepare('SELECT name FROM kws_migrations ORDER BY name').all() as Array<{ name: string }>).map(
          (r) => r.name,
        ),
        ['test/1-create', 'test/2-fill', 'test/3-more'],
      );
    } finally {
      db.close();
    }
  });

  it('rolls back a migration that throws, records none of it, and runs none after it', () => {
    const dbPath = join(tempDir('kws-db-rollback-'), 'kws.db');
    let third = 0;
    const steps: Migration[] = [
      { name: 'test/1-create', up: 'CREATE TABLE t (x INTEGER)' },
      {
        name: 'test/2-broken',
        up: (db) => {
          db.exec('CREATE TABLE half (x INTEGER)');
          throw new Error('broken step');
        },
      },
      { name: 'test/3-never', up: () => void third++ },
    ];
    assert.throws(() => openDatabase(dbPath, { migrations: steps }), { name: 'Error', message: 'broken step' });
    assert.equal(third, 0);
    const db = new Database(dbPath, { readonly: true });
    try {
      assert.deepEqual(
        (
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
            name: string;
          }>
        ).map((r) => r.name),
        ['kws_migrations', 't'],
      );
      assert.deepEqual(db.prepare('SELECT name FROM kws_migrations').all(), [{ name: 'test/1-create' }]);
    } finally {
      db.close();
    }
  });

  it('refuses two migrations with one name', () => {
    const db = new Database(':memory:');
    try {
      assert.throws(
        () =>
          migrate(db, [
            { name: 'a/1', up: '' },
            { name: 'a/1', up: '' },
          ]),
        { name: 'Error', message: 'migration names must be unique: a/1, a/1' },
      );
    } finally {
      db.close();
    }
  });

  it('reports a file it cannot open as FILE_UNWRITABLE naming the given path, or as the driver raised it', () => {
    const dir = tempDir('kws-db-bad-');
    assert.throws(() => openDatabase(dir, { unwritablePath: '/srv/kws.db' }), {
      name: 'KwsError',
      code: 'FILE_UNWRITABLE',
      message: 'cannot write /srv/kws.db: SQLITE_CANTOPEN',
    });
    assert.throws(() => openDatabase(dir), {
      name: 'SqliteError',
      code: 'SQLITE_CANTOPEN',
      message: 'unable to open database file',
    });
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database, just text that is long enough to fill a SQLite header, and a little more.');
    assert.throws(() => openDatabase(text, { unwritablePath: text }), {
      name: 'SqliteError',
      code: 'SQLITE_NOTADB',
      message: 'file is not a database',
    });
  });
});
