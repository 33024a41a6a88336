import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getNamedType, isObjectType } from 'graphql';
import type { GraphQLField } from 'graphql';
import { kwsSchema, requiredScope, ROOT_FIELD_SCOPES } from '../../src/graphql/index.js';
import { startServer } from '../../src/http/index.js';
import { ApiKeyStore, SCOPES, scopeAllows } from '../../src/storage/index.js';
import type { Scope } from '../../src/storage/index.js';
import { clipForm, testServer } from '../helpers/server.js';
import { encodeWav, sine, tempDir } from '../helpers/signals.js';

const wav = encodeWav([sine(440, 16_000, 1, 0.3)], 16_000, 'pcm16');

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** An operation selecting one root field, every argument passed as a variable (left unset: the check runs before they are read). */
function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((a) => `$${a.name}: ${String(a.type)}`);
  const args = field.args.map((a) => `${a.name}: $${a.name}`);
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `${kind}${variables.length > 0 ? `(${variables.join(', ')})` : ''} { ${field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${selection} }`;
}

/** The issue's contract, written out here so that a change of the server's table fails a test. */
const EXPECTED_SCOPES: Record<'query' | 'mutation', Record<string, Scope>> = {
  query: {
    clip: 'predict',
    clips: 'predict',
    modelVersion: 'read',
    modelVersions: 'read',
    job: 'read',
    jobs: 'read',
    hardExamples: 'read',
    lowConfidenceClips: 'read',
    clusterMap: 'read',
    predictionDiff: 'read',
    auditLog: 'admin',
  },
  mutation: {
    classifyClips: 'predict',
    promoteModelVersion: 'admin',
    archiveModelVersion: 'admin',
    removeAlias: 'admin',
    retrain: 'admin',
    createEnsemble: 'admin',
    importModelVersion: 'admin',
    startSearch: 'admin',
    scoreTestSet: 'admin',
    cancelJob: 'admin',
  },
};

describe('API keys, scopes and the audit log (a server whose data folder has keys)', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  const key: Record<Scope, string> = { predict: '', read: '', admin: '' };
  let otherPredict = '';
  let revoked = '';

  before(async () => {
    server = await testServer();
    // Keys made by another process (kws keys create) while the server runs take effect at once.
    const store = ApiKeyStore.open(join(server.dataDir, 'kws.db'));
    for (const scope of SCOPES) key[scope] = store.create(`${scope}-key`, scope).key;
    otherPredict = store.create('other-predict', 'predict').key;
    revoked = store.create('gone', 'admin').key;
    store.revoke('gone');
    store.close();
  });
  after(async () => {
    await server.stop();
  });

  const call = (path: string, init: RequestInit & { key?: string } = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        ...(init.key === undefined ? {} : { authorization: `Bearer ${init.key}` }),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const gql = async (query: string, apiKey?: string, variables: Record<string, unknown> = {}) => {
    const response = await call('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      ...(apiKey === undefined ? {} : { key: apiKey }),
    });
    return { status: response.status, body: (await response.json()) as GraphqlBody };
  };
  const upload = async (apiKey: string): Promise<string> => {
    const response = await call('/v1/clips', {
      method: 'POST',
      body: clipForm([{ name: 'a.wav', bytes: wav }]),
      key: apiKey,
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { clips: Array<{ id: string }> }).clips[0]!.id;
  };

  it('refuses REST and GraphQL requests without a live key with 401 UNAUTHENTICATED and a Bearer challenge, in each transport’s shape', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['unknown key', { authorization: `Bearer kws_${'A'.repeat(43)}` }],
      ['revoked key', { authorization: `Bearer ${revoked}` }],
      ['not Bearer', { authorization: `Basic ${Buffer.from(`x:${key.admin}`).toString('base64')}` }],
      ['empty Bearer', { authorization: 'Bearer ' }],
    ];
    for (const [what, headers] of cases) {
      const rest = await call('/v1/clips', {
        method: 'POST',
        body: clipForm([{ name: 'a.wav', bytes: wav }]),
        headers,
      });
      assert.equal(rest.status, 401, what);
      assert.equal(rest.headers.get('www-authenticate'), 'Bearer realm="kws-serve"', what);
      assert.equal(((await rest.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED', what);
      const graphql = await call('/graphql', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ modelVersions { version } }' }),
      });
      assert.equal(graphql.status, 401, what);
      assert.equal(graphql.headers.get('www-authenticate'), 'Bearer realm="kws-serve"', what);
      const body = (await graphql.json()) as GraphqlBody;
      assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', what);
    }
  });

  it('keeps /healthz, /readyz and the pages open, and asks the read scope for /metrics, job files and dataset audio', async () => {
    for (const path of ['/healthz', '/readyz', '/dashboard/']) assert.notEqual((await call(path)).status, 401, path);
    for (const [path, apiKey, status, code = 'FORBIDDEN'] of [
      ['/metrics', undefined, 401],
      ['/metrics', key.predict, 403],
      ['/metrics', key.read, 200],
      ['/v1/jobs/1/submission.csv', undefined, 401],
      ['/v1/jobs/1/submission.csv', key.predict, 403],
      ['/v1/jobs/1/submission.csv', key.read, 404],
      ['/v1/audio?path=%2Fetc%2Fpasswd', undefined, 401],
      ['/v1/audio?path=%2Fetc%2Fpasswd', key.predict, 403],
      ['/v1/audio?path=%2Fetc%2Fpasswd', key.read, 403, 'PATH_NOT_ALLOWED'], // past the key check
      ['/v1/audio/spectrogram?path=%2Fetc%2Fpasswd', key.predict, 403],
      ['/v1/clips/1/audio', undefined, 401],
      ['/v1/clips/1/spectrogram', undefined, 401],
      ['/v1/clips/999/audio', key.predict, 404],
    ] as ReadonlyArray<readonly [string, string | undefined, number, string?]>) {
      const response = await call(path, apiKey === undefined ? {} : { key: apiKey });
      assert.equal(response.status, status, `${path} with ${apiKey === undefined ? 'no key' : apiKey.slice(0, 10)}`);
      if (status === 403) assert.equal(((await response.json()) as { error: { code: string } }).error.code, code, path);
    }
  });

  it('declares a scope for every Query and Mutation field of the schema, and nothing else', () => {
    const schema = kwsSchema();
    for (const kind of ['query', 'mutation'] as const) {
      const type = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
      assert.deepEqual(
        Object.keys(type?.getFields() ?? {}).sort(),
        Object.keys(ROOT_FIELD_SCOPES[kind]).sort(),
        `${kind} fields without a declared scope, or declared fields that are gone`,
      );
      assert.deepEqual(ROOT_FIELD_SCOPES[kind], EXPECTED_SCOPES[kind]);
    }
    assert.equal(requiredScope('query', 'aFieldNobodyDeclared'), 'admin');
    assert.equal(requiredScope('query', '__schema'), 'predict');
  });

  it('refuses every root field to each key below its scope (403 FORBIDDEN, nothing runs) and lets a key with the scope past the check', async () => {
    const schema = kwsSchema();
    for (const kind of ['query', 'mutation'] as const) {
      const fields = (kind === 'query' ? schema.getQueryType() : schema.getMutationType())?.getFields() ?? {};
      for (const field of Object.values(fields)) {
        const need = EXPECTED_SCOPES[kind][field.name] ?? 'admin';
        const query = operationFor(kind, field);
        for (const scope of SCOPES) {
          const { status, body } = await gql(query, key[scope]);
          const codes = (body.errors ?? []).map((e) => e.extensions?.code);
          if (scopeAllows(scope, need))
            assert.ok(!codes.includes('FORBIDDEN'), `${field.name} with ${scope}: ${JSON.stringify(body)}`);
          else {
            assert.equal(status, 403, `${field.name} with ${scope}`);
            assert.deepEqual(codes, ['FORBIDDEN'], `${field.name} with ${scope}`);
            assert.equal(body.data, undefined, `${field.name} with ${scope} ran`);
          }
        }
      }
    }
  });

  it('answers a subscription 400 INVALID_ARGUMENT (there are none), not a 200 with a server error', async () => {
    const { status, body } = await gql('subscription { clip(id: "1") { id } }', key.admin);
    assert.equal(status, 400);
    assert.deepEqual(
      body.errors?.map((e) => [e.extensions?.code, e.message]),
      [['INVALID_ARGUMENT', 'this server has no subscriptions: send a query or a mutation']],
    );
  });

  it('shows a predict key only its own clips (another key’s clip is null, not FORBIDDEN), read and admin keys every clip', async () => {
    const mine = await upload(key.predict);
    const theirs = await upload(otherPredict);
    const seen = async (apiKey: string) => {
      const { body } = await gql(
        'query ($a: ID!, $b: ID!) { a: clip(id: $a) { id } b: clip(id: $b) { id } clips(first: 100) { totalCount edges { node { id } } } }',
        apiKey,
        { a: mine, b: theirs },
      );
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      const data = body.data as {
        a: { id: string } | null;
        b: { id: string } | null;
        clips: { totalCount: number; edges: Array<{ node: { id: string } }> };
      };
      return { a: data.a?.id ?? null, b: data.b?.id ?? null, ids: data.clips.edges.map((e) => e.node.id) };
    };
    assert.deepEqual(await seen(key.predict), { a: mine, b: null, ids: [mine] });
    assert.deepEqual(await seen(otherPredict), { a: null, b: theirs, ids: [theirs] });
    for (const scope of ['read', 'admin'] as const) {
      const all = await seen(key[scope]);
      assert.deepEqual([all.a, all.b], [mine, theirs], scope);
      assert.ok(all.ids.includes(mine) && all.ids.includes(theirs), scope);
    }
    // The same rule for the dashboard's audio: another key's clip does not exist for a predict key.
    const statuses = async (apiKey: string) =>
      Promise.all(
        [`/v1/clips/${mine}/audio`, `/v1/clips/${mine}/spectrogram`].map(
          async (path) => (await call(path, { key: apiKey })).status,
        ),
      );
    assert.deepEqual(await statuses(key.predict), [200, 200]);
    assert.deepEqual(await statuses(otherPredict), [404, 404]);
    assert.deepEqual(await statuses(key.read), [200, 200]);
  });

  it('writes every state-changing mutation to the audit log, refused ones included, which only admin keys read', async () => {
    const refused = await gql('mutation { promoteModelVersion(version: 1) { version } }', key.read);
    assert.equal(refused.status, 403);
    const done = await gql('mutation { promoteModelVersion(version: 1) { version } }', key.admin);
    assert.equal(done.body.errors, undefined, JSON.stringify(done.body.errors));
    const missing = await gql('mutation { cancelJob(id: "999") { id } }', key.admin);
    assert.equal(missing.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const { body } = await gql('{ auditLog(first: 3) { keyName action arguments outcome at } }', key.admin);
    const entries = (
      body.data as { auditLog: Array<{ keyName: string; action: string; arguments: string; outcome: string }> }
    ).auditLog;
    assert.deepEqual(
      entries.map((e) => [e.keyName, e.action, e.outcome]),
      [
        ['admin-key', 'cancelJob', 'NOT_FOUND'],
        ['admin-key', 'promoteModelVersion', 'ok'],
        ['read-key', 'promoteModelVersion', 'FORBIDDEN'],
      ],
    );
    assert.deepEqual(JSON.parse(entries[1]!.arguments), { arguments: { version: 1 }, variables: {} });
    assert.deepEqual(JSON.parse(entries[0]!.arguments), { arguments: { id: '999' }, variables: {} });
    assert.equal((await gql('{ auditLog { action } }', key.read)).status, 403);
  });

  it('refuses a key revoked by another process at its next request, and a mutation hidden in a fragment', async () => {
    const store = ApiKeyStore.open(join(server.dataDir, 'kws.db'));
    const soon = store.create('soon-revoked', 'admin').key;
    assert.equal((await gql('{ __typename }', soon)).status, 200);
    store.revoke('soon-revoked');
    store.close();
    assert.equal((await gql('{ __typename }', soon)).status, 401);
    const hidden = await gql(
      'mutation { ...m } fragment m on Mutation { p: promoteModelVersion(version: 1) { version } }',
      key.predict,
    );
    assert.deepEqual([hidden.status, hidden.body.errors?.[0]?.extensions?.code], [403, 'FORBIDDEN']);
  });

  it('keeps no key in clear in the data folder', () => {
    const files = readdirSync(server.dataDir).filter((f) => f.startsWith('kws.db'));
    assert.ok(files.includes('kws.db'));
    for (const file of files) {
      const bytes = readFileSync(join(server.dataDir, file));
      for (const secret of [...Object.values(key), otherPredict, revoked])
        assert.equal(bytes.includes(Buffer.from(secret.slice(10))), false, `${file} holds a key`);
    }
  });
});

describe('safe defaults of a data folder without keys', () => {
  it('answers only loopback host names and same-origin or allowed browser origins (DNS rebinding, cross-site posts)', async () => {
    const open = await testServer({ corsOrigins: ['https://dash.example'], waitUntilReady: false });
    try {
      const { port } = new URL(open.url);
      const ask = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/graphql',
              method: 'POST',
              headers: { 'content-type': 'application/json', ...headers },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify({ query: '{ __typename }' }));
        });
      assert.equal(await ask({ host: `127.0.0.1:${port}` }), 200);
      assert.equal(await ask({ host: `localhost:${port}` }), 200);
      assert.equal(await ask({ host: `evil.example:${port}` }), 403, 'a rebound name');
      assert.equal(await ask({ host: `127.0.0.1:${port}`, origin: 'https://evil.example' }), 403, 'a cross-site page');
      assert.equal(await ask({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }), 200, 'same origin');
      assert.equal(await ask({ host: `127.0.0.1:${port}`, origin: 'https://dash.example' }), 200, 'an allowed origin');
      const preflight = await fetch(`${open.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://dash.example');
      const other = await fetch(`${open.url}/healthz`, { headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      await open.stop();
    }
  });

  it('sends no CORS headers without --cors-origin, and refuses origins that are not scheme://host[:port] and a burst without a rate', async () => {
    const server = await testServer({ waitUntilReady: false });
    try {
      const answer = await fetch(`${server.url}/healthz`, { headers: { origin: 'https://dash.example' } });
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
    } finally {
      await server.stop();
    }
    for (const origin of ['*', 'https://dash.example/']) {
      await assert.rejects(
        startServer({ port: 0, dataDir: tempDir('kws-cors-'), logLevel: 'silent', corsOrigins: [origin] }),
        {
          code: 'INVALID_ARGUMENT',
          message: `a CORS origin is scheme://host[:port] with nothing after it, got ${JSON.stringify(origin)}`,
        },
      );
    }
    await assert.rejects(
      startServer({ port: 0, dataDir: tempDir('kws-burst-'), logLevel: 'silent', rateLimitBurst: 5 }),
      {
        code: 'INVALID_ARGUMENT',
        message: 'a rate burst needs a rate limit (--rate-limit) to apply to',
      },
    );
  });

  it('creates a data folder that does not exist yet (a fresh checkout has no ./var)', async () => {
    const dataDir = join(tempDir('kws-fresh-'), 'not', 'yet');
    const server = await testServer({ dataDir });
    try {
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('refuses to listen beyond loopback without a key unless insecure, naming the way out', async () => {
    const dataDir = tempDir('kws-open-');
    await assert.rejects(
      startServer({ host: '0.0.0.0', port: 0, dataDir, logLevel: 'silent', waitUntilReady: false }),
      {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: new RegExp(
          `^refusing to listen on 0\\.0\\.0\\.0 without an API key: .*kws keys create --name NAME --scope admin --data-dir ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) or pass --insecure$`,
        ),
      },
    );
    const open = await testServer({ host: '0.0.0.0', insecure: true, dataDir, waitUntilReady: false });
    try {
      assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
    } finally {
      await open.stop();
    }
  });
});
