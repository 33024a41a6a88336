import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, WalCheckpointer } from '../../src/storage/index.js';
import { tempDir } from '../helpers/signals.js';

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), what);
}

describe('WalCheckpointer', () => {
  it('checkpoints in its own thread the WAL that commits no longer checkpoint, and removes it on close', async () => {
    const dbPath = join(tempDir('kws-wal-'), 'kws.db');
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
    db.exec('CREATE TABLE t (x BLOB)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 600; i++) insert.run(Buffer.alloc(4096, i)); // about 1,200 pages: past SQLite's default threshold
    const walBytes = statSync(`${dbPath}-wal`).size;
    assert.ok(walBytes > 1000 * 4096, `the commits left the WAL to the checkpointer (${walBytes} bytes)`);
    const checkpointer = WalCheckpointer.start(dbPath, { intervalMs: 20 });
    await until(
      () => (checkpointer.last?.checkpointedPages ?? 0) >= 1000,
      `a checkpoint copied the WAL (${JSON.stringify(checkpointer.last)})`,
    );
    assert.equal(
      checkpointer.last?.checkpointedPages,
      checkpointer.last?.walPages,
      'all of it: no reader held it back',
    );
    db.close();
    await checkpointer.close();
    assert.equal(existsSync(`${dbPath}-wal`), false, 'the last connection to close removed the WAL');
    const reopened = new Database(dbPath, { readonly: true });
    assert.equal((reopened.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 600);
    reopened.close();
  });

  it('reports a database it cannot open through onError and onStopped, and still closes', async () => {
    const errors: string[] = [];
    let stopped = 0;
    const checkpointer = WalCheckpointer.start(tempDir('kws-wal-bad-'), {
      onError: (message) => errors.push(message),
      onStopped: () => stopped++,
    });
    await until(() => stopped > 0, 'the owner heard that the thread stopped');
    assert.match(errors[0] ?? '', /^cannot open .*kws-wal-bad-.* to checkpoint it: /);
    await checkpointer.close();
    assert.equal(stopped, 1);
  });

  it('does not keep the process alive when it is never closed', () => {
    const dbPath = join(tempDir('kws-wal-unref-'), 'kws.db');
    new Database(dbPath).pragma('journal_mode = WAL');
    const script = join(tempDir('kws-wal-script-'), 'start.mjs'); // a file: workers inherit execArgv, and --input-type breaks them
    const onError = join(tempDir('kws-wal-errors-'), 'errors.txt');
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs';
      import { WalCheckpointer } from ${JSON.stringify(new URL('../../src/storage/index.ts', import.meta.url).href)};
      const c = WalCheckpointer.start(${JSON.stringify(dbPath)}, { intervalMs: 50, onError: (m) => appendFileSync(${JSON.stringify(onError)}, m) });
      setTimeout(() => { if (c.last === null) appendFileSync(${JSON.stringify(onError)}, 'no checkpoint yet'); }, 3000).unref();`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { timeout: 20_000, encoding: 'utf8' });
    assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ''} ${run.stderr}`);
    assert.equal(existsSync(onError), false, 'the thread ran without errors');
  });
});
