import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import express from 'express';
import { pino } from 'pino';
import { authenticate, principalOf } from '../../src/http/authenticate.js';
import { ApiKeyStore } from '../../src/storage/index.js';
import { tempDir } from '../helpers/signals.js';

describe('authenticate (express middleware)', () => {
  it('logs refused attempts with the reason and never the key (not even one sent in the URL), and hands the principal on', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const store = ApiKeyStore.open(join(tempDir('kws-auth-'), 'kws.db'));
    const { key } = store.create('reader', 'read');
    const app = express();
    app.get('/read', authenticate(store, logger, { scope: 'read' }), (_req, res) => {
      const p = principalOf(res);
      res.json(p.kind === 'key' ? { name: p.key.name } : { open: true });
    });
    app.get('/admin', authenticate(store, logger, { scope: 'admin' }), (_req, res) => {
      res.json({});
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const wrong = `kws_${'Z'.repeat(43)}`;
      const get = (path: string, bearer?: string) =>
        fetch(`${url}${path}`, bearer === undefined ? {} : { headers: { authorization: `Bearer ${bearer}` } });
      assert.deepEqual(await (await get('/read', key)).json(), { name: 'reader' });
      assert.equal((await get('/read', wrong)).status, 401);
      assert.equal((await get('/read')).status, 401);
      assert.equal((await get(`/read?access_token=${key}`)).status, 401, 'a key in the URL is not a credential');
      const forbidden = await get('/admin', key);
      assert.equal(forbidden.status, 403);
      assert.deepEqual(await forbidden.json(), {
        error: { code: 'FORBIDDEN', message: 'this needs the admin scope; key "reader" has read' },
      });
      const log = lines.join('');
      assert.deepEqual(
        lines.map(
          (l) => (JSON.parse(l) as { msg: string; reason?: string }).reason ?? (JSON.parse(l) as { msg: string }).msg,
        ),
        ['unknown or revoked key', 'no Authorization header', 'no Authorization header', 'refused: scope'],
      );
      assert.match(log, /"url":"\/read\?access_token=kws_\[redacted\]"/);
      for (const secret of [key, wrong, key.slice(4, 30), wrong.slice(4, 30)])
        assert.equal(log.includes(secret), false);
    } finally {
      server.close();
      store.close();
    }
  });
});
