import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ApiKeyStore,
  canSeeClip,
  parseScope,
  principalScope,
  scopeAllows,
  OPEN_PRINCIPAL,
} from '../../src/storage/index.js';
import type { ApiKeyRecord } from '../../src/storage/index.js';
import { tempDir } from '../helpers/signals.js';

const openStore = (): ApiKeyStore => ApiKeyStore.open(join(tempDir('kws-keys-'), 'kws.db'));

describe('ApiKeyStore', () => {
  it('makes keys of 32 random bytes in base64url, shown once, and stores only their SHA-256', () => {
    const store = openStore();
    const a = store.create('ci', 'predict');
    const b = store.create('ops', 'admin');
    assert.match(a.key, /^kws_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(Buffer.from(a.key.slice(4), 'base64url').length, 32);
    assert.deepEqual(
      store.list().map((k) => [k.id, k.name, k.scope, k.prefix, k.revokedAt]),
      [
        [1, 'ci', 'predict', a.key.slice(0, 10), null],
        [2, 'ops', 'admin', b.key.slice(0, 10), null],
      ],
    );
    const listed = JSON.stringify(store.list());
    assert.equal(listed.includes(a.key), false);
    assert.equal(listed.includes(createHash('sha256').update(a.key).digest('hex')), false);
    store.close();
  });

  it('authenticates a live key, and refuses an unknown, altered, revoked or malformed one', () => {
    const store = openStore();
    const { key, record } = store.create('app', 'read');
    assert.deepEqual(store.authenticate(key), record);
    const altered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    for (const bad of [altered, 'kws_', '', key.slice(4), `${key} `, 'x'.repeat(10_000)])
      assert.equal(store.authenticate(bad), null, bad.slice(0, 20));
    assert.equal(store.revoke('app').revokedAt !== null, true);
    assert.equal(store.authenticate(key), null);
    store.close();
  });

  it('remembers that keys existed after every one is revoked (the server stays closed)', () => {
    const store = openStore();
    assert.equal(store.anyKeyEver(), false);
    store.create('only', 'admin');
    assert.equal(store.anyKeyEver(), true);
    const revoked: ApiKeyRecord = store.revoke('1');
    assert.equal(revoked.name, 'only');
    assert.equal(store.revoke('only').revokedAt, revoked.revokedAt); // a second revoke changes nothing
    assert.equal(store.anyKeyEver(), true);
    store.close();
  });

  it('refuses bad names, taken names, unknown scopes and unknown keys with the value named', () => {
    const store = openStore();
    store.create('taken', 'predict');
    for (const [name, message] of [
      ['', 'a key name must be 1 to 64 characters without control characters, got ""'],
      ['a\nb', 'a key name must be 1 to 64 characters without control characters, got "a\\nb"'],
      ['x'.repeat(65), `a key name must be 1 to 64 characters without control characters, got "${'x'.repeat(65)}"`],
      ['taken', 'a key named "taken" exists already'],
    ] as const)
      assert.throws(() => store.create(name, 'read'), { name: 'KwsError', code: 'INVALID_ARGUMENT', message });
    assert.throws(() => parseScope('root'), {
      code: 'INVALID_ARGUMENT',
      message: 'scope must be one of predict, read, admin, got "root"',
    });
    assert.throws(() => store.revoke('nobody'), {
      code: 'NOT_FOUND',
      message: 'no API key is named or numbered "nobody"',
    });
    store.close();
  });

  it('nests scopes (admin > read > predict) and lets a predict key see only its own clips', () => {
    assert.deepEqual(
      (['predict', 'read', 'admin'] as const).map((have) =>
        (['predict', 'read', 'admin'] as const).map((need) => scopeAllows(have, need)),
      ),
      [
        [true, false, false],
        [true, true, false],
        [true, true, true],
      ],
    );
    const key = (id: number, scope: 'predict' | 'read'): ApiKeyRecord => ({
      id,
      name: `k${id}`,
      scope,
      prefix: 'kws_abcdef',
      createdAt: '',
      revokedAt: null,
    });
    assert.equal(principalScope(OPEN_PRINCIPAL), 'admin');
    assert.deepEqual(
      [
        canSeeClip({ kind: 'key', key: key(1, 'predict') }, 1),
        canSeeClip({ kind: 'key', key: key(1, 'predict') }, 2),
        canSeeClip({ kind: 'key', key: key(1, 'predict') }, null),
        canSeeClip({ kind: 'key', key: key(3, 'read') }, 2),
        canSeeClip(OPEN_PRINCIPAL, 2),
      ],
      [true, false, false, true, true],
    );
  });
});
