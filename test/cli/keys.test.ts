import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiKeyStore } from '../../src/storage/index.js';
import { runKws } from '../helpers/cli.js';
import { tempDir } from '../helpers/signals.js';

describe('kws keys', () => {
  it('creates a key printed once, lists keys without secrets, and revokes by name', async () => {
    const dataDir = join(tempDir('kws-keys-cli-'), 'state'); // created on first use
    const created = await runKws(
      'keys',
      'create',
      '--name',
      'deploy',
      '--scope',
      'admin',
      '--data-dir',
      dataDir,
      '--json',
    );
    assert.equal(created.status, 0, created.stderr);
    const { key, id, name, scope } = JSON.parse(created.stdout) as {
      key: string;
      id: number;
      name: string;
      scope: string;
    };
    assert.deepEqual([id, name, scope], [1, 'deploy', 'admin']);
    const plain = await runKws('keys', 'create', '--name', 'app', '--scope', 'predict', '--data-dir', dataDir);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /^kws_[A-Za-z0-9_-]{43}\n$/);
    assert.match(plain.stderr, /^API key 2 "app" \(predict\); it is shown only now/);

    const listed = await runKws('keys', 'list', '--data-dir', dataDir, '--json');
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((r) => [r['id'], r['name'], r['scope'], r['revokedAt']]),
      [
        [1, 'deploy', 'admin', null],
        [2, 'app', 'predict', null],
      ],
    );
    assert.equal(listed.stdout.includes(key), false);

    const revoked = await runKws('keys', 'revoke', 'deploy', '--data-dir', dataDir);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, /^ {3}1 {2}deploy +admin +kws_.{6}… +\S+ +revoked \S+\n$/);
    const store = ApiKeyStore.open(join(dataDir, 'kws.db'));
    try {
      assert.equal(store.authenticate(key), null);
    } finally {
      store.close();
    }
  });

  it('refuses an unknown scope (a usage error, exit code 2), a taken name and an unknown key (exit code 1), naming the problem', async () => {
    const dataDir = tempDir('kws-keys-bad-');
    const badScope = await runKws('keys', 'create', '--name', 'x', '--scope', 'root', '--data-dir', dataDir);
    assert.equal(badScope.status, 2); // a usage error
    assert.match(badScope.stderr, /argument 'root' is invalid. Allowed choices are predict, read, admin/);
    assert.equal((await runKws('keys', 'create', '--name', 'x', '--scope', 'read', '--data-dir', dataDir)).status, 0);
    const taken = await runKws('keys', 'create', '--name', 'x', '--scope', 'read', '--data-dir', dataDir);
    assert.deepEqual(
      [taken.status, taken.stderr],
      [1, 'kws keys create: INVALID_ARGUMENT: a key named "x" exists already\n'],
    );
    const unknown = await runKws('keys', 'revoke', 'nobody', '--data-dir', dataDir);
    assert.deepEqual(
      [unknown.status, unknown.stderr],
      [1, 'kws keys revoke: NOT_FOUND: no API key is named or numbered "nobody"\n'],
    );
  });
});
