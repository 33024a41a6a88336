import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KeyRateLimiter } from '../../src/http/rate-limit.js';
import { ApiKeyStore } from '../../src/storage/index.js';
import { testServer } from '../helpers/server.js';

describe('KeyRateLimiter (a token bucket per client)', () => {
  it('lets a burst through, then makes each client wait for its own tokens', () => {
    const limiter = new KeyRateLimiter({ requestsPerSecond: 2, burst: 3 });
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.take('a')),
      [0, 0, 0],
    );
    const wait = limiter.take('a');
    assert.ok(wait > 0 && wait <= 500, `one token at 2 a second is at most 500 ms away, got ${wait}`);
    assert.equal(limiter.take('b'), 0, 'another client has its own bucket');
  });

  it('refuses a rate or burst it cannot use, naming the value', () => {
    assert.throws(() => new KeyRateLimiter({ requestsPerSecond: 0, burst: 1 }), {
      code: 'INVALID_ARGUMENT',
      message: 'the rate limit must be a positive number of requests a second, got 0',
    });
    assert.throws(() => new KeyRateLimiter({ requestsPerSecond: 1, burst: 0.5 }), {
      code: 'INVALID_ARGUMENT',
      message: 'the rate burst must be an integer of at least 1, got 0.5',
    });
  });
});

describe('kws serve --rate-limit', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let first = '';
  let second = '';
  before(async () => {
    server = await testServer({ rateLimitPerSecond: 0.5, rateLimitBurst: 2 });
    const keys = ApiKeyStore.open(join(server.dataDir, 'kws.db'));
    first = keys.create('first', 'read').key;
    second = keys.create('second', 'read').key;
    keys.close();
  });
  after(async () => {
    await server.stop();
  });

  it('answers a key past its rate 429 RATE_LIMITED with Retry-After, in each transport’s shape, and leaves other keys and health checks alone', async () => {
    const gql = (key: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    assert.deepEqual([(await gql(first)).status, (await gql(first)).status], [200, 200]);
    const limited = await gql(first);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2', 'one token at 0.5 a second is 2 s away');
    const body = (await limited.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, 'RATE_LIMITED');
    const rest = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${first}` } });
    assert.equal(rest.status, 429);
    assert.equal(((await rest.json()) as { error: { code: string } }).error.code, 'RATE_LIMITED');
    assert.equal((await gql(second)).status, 200);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
