import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { realDataDir } from '../helpers/signals.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { sanitizeFilename } from '../../src/storage/index.js';
import { BUNDLED_MODELS, clipForm, graphql, metricValue, modelRepository, testServer } from '../helpers/server.js';

/** The bundled model's calibrated thresholds, as its version.json stores them. */
const BUNDLED_THRESHOLDS = (
  JSON.parse(readFileSync(join(BUNDLED_MODELS, '1', 'version.json'), 'utf8')) as {
    thresholds: {
      unknownThreshold: number;
      silenceThresholdDbfs: number | null;
      unknownScore?: string;
      unknownEnergyThreshold?: number | null;
    };
  }
).thresholds;

const testdata = join(realDataDir(), 'tflite-micro', 'testdata');
const yes = { name: 'yes_1000ms.wav', bytes: readFileSync(join(testdata, 'yes_1000ms.wav')) };
const no = { name: 'no_1000ms.wav', bytes: readFileSync(join(testdata, 'no_1000ms.wav')) };
const silence = { name: 'silence_1000ms.wav', bytes: readFileSync(join(testdata, 'silence_1000ms.wav')) };

/** A GraphQL response that carries only errors. */
interface GraphqlErrors {
  errors: Array<{ message: string; extensions: { code: string } }>;
}

interface UploadBody {
  error?: { code: string; message: string };
  clips: Array<{
    id?: string;
    filename: string;
    prediction?: {
      label: string;
      rawLabel: string;
      confidence: number;
      reason: string;
      modelVersion: number;
      probabilities: Record<string, number>;
    };
    error?: { code: string; message: string };
  }>;
}

async function upload(
  url: string,
  files: ReadonlyArray<{ name: string; bytes: Uint8Array }>,
  query = '',
): Promise<{ status: number; body: UploadBody; headers: Headers }> {
  const response = await fetch(`${url}/v1/clips${query}`, { method: 'POST', body: clipForm(files) });
  return { status: response.status, body: (await response.json()) as UploadBody, headers: response.headers };
}

describe('kws serve over real HTTP', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let models: string;

  before(async () => {
    models = modelRepository(2); // versions 1 and 2 (same weights) beside the bundled 3 and 4, production promoted to 2
    const registry = ModelRegistry.open(models, { createModelsDir: false });
    registry.setAlias('production', 2);
    registry.close();
    server = await testServer({
      modelsDir: models,
      batcher: { maxQueueDelayMs: 25, maxBatchSize: 64 },
      uploads: { maxFileBytes: 200_000, maxFiles: 4, maxBodyBytes: 1_000_000 },
    });
  });
  after(async () => {
    await server.stop();
    rmSync(models, { recursive: true, force: true });
  });

  it('is healthy and ready once the production version is warm', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, version: 2, provider: 'onnxruntime-node cpu', reason: null });
  });

  it('classifies uploaded real clips: yes, no and silence', async () => {
    const { status, body } = await upload(server.url, [yes, no, silence]);
    assert.equal(status, 200);
    assert.deepEqual(
      body.clips.map((c) => [c.filename, c.prediction?.label, c.prediction?.modelVersion]),
      [
        ['yes_1000ms.wav', 'yes', 2],
        ['no_1000ms.wav', 'no', 2],
        ['silence_1000ms.wav', 'silence', 2],
      ],
    );
    const first = body.clips[0]?.prediction;
    assert.equal(Object.keys(first?.probabilities ?? {}).length, 12);
    assert.ok(Math.abs(Object.values(first?.probabilities ?? {}).reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.match(body.clips[0]?.id ?? '', /^[0-9]+$/);
  });

  it('batches 16 concurrent requests into fewer inference calls than requests', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const results = await Promise.all(Array.from({ length: 16 }, () => upload(server.url, [yes])));
    assert.ok(results.every((r) => r.status === 200 && r.body.clips[0]?.prediction?.label === 'yes'));
    const afterText = await (await fetch(`${server.url}/metrics`)).text();
    const calls = metricValue(afterText, 'kws_batch_size_count') - metricValue(before, 'kws_batch_size_count');
    const clips = metricValue(afterText, 'kws_batch_size_sum') - metricValue(before, 'kws_batch_size_sum');
    assert.equal(clips, 16);
    assert.ok(calls < 16, `16 requests took ${calls} inference calls`);
  });

  it('answers each bad upload with its 4xx and a message that names the problem, then keeps serving', async () => {
    const notAudio = await upload(server.url, [
      { name: 'notes.txt', bytes: new TextEncoder().encode('hello, this is not audio') },
    ]);
    assert.equal(notAudio.status, 415);
    assert.equal(notAudio.body.error?.code, 'NOT_AUDIO');
    const empty = await upload(server.url, [{ name: 'empty.wav', bytes: new Uint8Array(0) }]);
    assert.equal(empty.status, 422);
    assert.equal(empty.body.error?.code, 'EMPTY');
    const large = await upload(server.url, [{ name: 'big.wav', bytes: new Uint8Array(300_000) }]);
    assert.equal(large.status, 413);
    assert.deepEqual(large.body.error, {
      code: 'TOO_LARGE',
      message: 'upload "big.wav" is larger than the limit of 200000 bytes per file',
    });
    const many = await upload(server.url, [yes, yes, yes, yes, yes]);
    assert.equal(many.status, 413);
    assert.deepEqual(many.body.error, {
      code: 'TOO_MANY_FILES',
      message: 'at most 4 files may be sent in one request',
    });
    const wrongField = await fetch(`${server.url}/v1/clips`, { method: 'POST', body: clipForm([yes], 'file') });
    assert.equal(wrongField.status, 400);
    assert.deepEqual(await wrongField.json(), {
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'unexpected file field "file": send clips in the multipart field "clip"',
      },
    });
    const json = await fetch(`${server.url}/v1/clips`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 400);
    assert.match(((await json.json()) as UploadBody).error?.message ?? '', /expected a multipart\/form-data body/);
    const none = await fetch(`${server.url}/v1/clips`, { method: 'POST', body: new FormData() });
    assert.equal(none.status, 400);
    const byEnergy = await upload(server.url, [yes], '?unknownScore=energy&unknownEnergyThreshold=-1000');
    assert.equal(byEnergy.status, 200);
    assert.equal(
      (byEnergy.body.clips[0] as unknown as { prediction: { label: string; thresholds: { unknownScore: string } } })
        .prediction.label,
      'unknown',
    );
    const badScore = await upload(server.url, [yes], '?unknownScore=entropy');
    assert.equal(badScore.status, 400);
    assert.deepEqual(badScore.body.error, {
      code: 'INVALID_ARGUMENT',
      message: 'query parameter unknownScore must be one of maxSoftmax, energy, got "entropy"',
    });
    const badThreshold = await upload(server.url, [yes], '?unknownThreshold=2');
    assert.equal(badThreshold.status, 400);
    assert.deepEqual(badThreshold.body.error, {
      code: 'INVALID_ARGUMENT',
      message: 'unknownThreshold must be a probability from 0 to 1, got 2',
    });
    const badVersion = await upload(server.url, [yes], '?modelVersion=99');
    assert.equal(badVersion.status, 404);
    assert.equal(badVersion.body.error?.code, 'NOT_FOUND');
    const mixed = await upload(server.url, [yes, { name: 'x.txt', bytes: new TextEncoder().encode('nope') }]);
    assert.equal(mixed.status, 200);
    assert.deepEqual(
      mixed.body.clips.map((c) => c.prediction?.label ?? c.error?.code),
      ['yes', 'NOT_AUDIO'],
    );
    const good = await upload(server.url, [no]);
    assert.equal(good.body.clips[0]?.prediction?.label, 'no', 'still serving correct answers');
  });

  it('keeps a hostile file name only as metadata, never as a path', async () => {
    const names = ['../../escape.wav', `${'ü'.repeat(300)}.wav`];
    const { body } = await upload(
      server.url,
      names.map((name) => ({ name, bytes: yes.bytes })),
    );
    assert.deepEqual(
      body.clips.map((c) => c.filename),
      ['escape.wav', 'ü'.repeat(255)], // the base name, as GraphQL uploads keep it (one sanitiser)
    );
    assert.equal(existsSync(join(server.dataDir, '..', 'escape.wav')), false);
    const control = await upload(server.url, [{ name: 'a\u0007b.wav', bytes: yes.bytes }]);
    assert.deepEqual(control.body.error, {
      code: 'INVALID_ARGUMENT',
      message:
        'a multipart part header is malformed (a raw control character such as CR, LF, NUL or ESC in a file name, or a broken header line)',
    });
    assert.equal(sanitizeFilename('a\u0000b\u001fc.wav'), 'abc.wav');
    assert.equal(sanitizeFilename(''), 'unnamed');
    assert.ok(readdirSync(join(server.dataDir, 'clips')).every((f) => /^[0-9a-f-]{36}\.wav$/.test(f)));
  });

  it('answers GraphQL: clip predictions with threshold overrides, pagination and label filter', async () => {
    const { body } = await upload(server.url, [yes, silence, no]);
    const [yesId, silenceId, noId] = body.clips.map((c) => c.id);
    // "no" (max-softmax about 0.98; "yes" saturates at exactly 1.0, which no threshold is above).
    const unsure = await graphql(
      server.url,
      'query ($id: ID!) { clip(id: $id) { strict: prediction(unknownThreshold: 0.999) { label rawLabel reason isUnknown } } }',
      { id: noId },
    );
    assert.deepEqual((unsure.data?.['clip'] as { strict: unknown }).strict, {
      label: 'unknown',
      rawLabel: 'no',
      reason: 'LOW_CONFIDENCE',
      isUnknown: true,
    });
    const result = await graphql(
      server.url,
      `
        query ($id: ID!) {
          clip(id: $id) {
            id
            filename
            prediction {
              label
              reason
              confidence
              probabilities {
                label
                probability
              }
              thresholds {
                unknownThreshold
              }
            }
            quiet: prediction(silenceThresholdDbfs: -10) {
              label
              reason
              isSilence
            }
            energyStrict: prediction(unknownScore: ENERGY, unknownEnergyThreshold: -1000) {
              label
              reason
              energy
              thresholds {
                unknownScore
                unknownEnergyThreshold
              }
            }
            energyLoose: prediction(unknownScore: ENERGY, unknownEnergyThreshold: 1000) {
              label
              energy
            }
          }
        }
      `,
      { id: yesId },
    );
    const energy = result.data?.['clip'] as {
      energyStrict: { label: string; reason: string; energy: number; thresholds: unknown };
      energyLoose: { label: string; energy: number };
    };
    assert.ok(
      Number.isFinite(energy.energyStrict.energy) && energy.energyStrict.energy < 0,
      `energy ${energy.energyStrict.energy}`,
    );
    assert.deepEqual(
      { ...energy.energyStrict, energy: 0 },
      {
        label: 'unknown',
        reason: 'LOW_CONFIDENCE',
        energy: 0,
        thresholds: { unknownScore: 'ENERGY', unknownEnergyThreshold: -1000 },
      },
    );
    assert.deepEqual(energy.energyLoose, { label: 'yes', energy: energy.energyStrict.energy });
    const clip = result.data?.['clip'] as {
      prediction: { label: string; reason: string; probabilities: unknown[]; thresholds: { unknownThreshold: number } };
      quiet: unknown;
    };
    assert.equal(clip.prediction.label, 'yes');
    assert.equal(clip.prediction.probabilities.length, 12);
    assert.equal(
      clip.prediction.thresholds.unknownThreshold,
      BUNDLED_THRESHOLDS.unknownThreshold,
      'the calibrated threshold unless overridden',
    );
    assert.deepEqual(clip.quiet, { label: 'silence', reason: 'LOW_ENERGY', isSilence: true });
    const filtered = await graphql(
      server.url,
      '{ clips(first: 100, label: silence) { totalCount edges { node { id } } } }',
    );
    const ids = (filtered.data?.['clips'] as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id);
    assert.ok(ids.includes(silenceId as string) && !ids.includes(yesId as string));
    const page1 = await graphql(
      server.url,
      '{ clips(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }',
    );
    const p1 = page1.data?.['clips'] as {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string };
      edges: Array<{ node: { id: string } }>;
    };
    assert.equal(p1.edges.length, 2);
    assert.equal(p1.pageInfo.hasNextPage, true);
    const page2 = await graphql(
      server.url,
      'query ($after: String) { clips(first: 2, after: $after) { edges { node { id } } } }',
      { after: p1.pageInfo.endCursor },
    );
    const p2ids = (page2.data?.['clips'] as { edges: Array<{ node: { id: string } }> }).edges.map((e) =>
      Number(e.node.id),
    );
    assert.ok((p2ids[0] as number) > Number(p1.edges[1]?.node.id));
    assert.equal((await graphql(server.url, '{ clip(id: "999999") { id } }')).data?.['clip'], null);
  });

  it('reports GraphQL errors with their codes', async () => {
    const badThreshold = await graphql(
      server.url,
      '{ clips(first: 1) { edges { node { prediction(unknownThreshold: 1.5) { label } } } } }',
    );
    assert.equal(badThreshold.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
    assert.equal(badThreshold.errors?.[0]?.message, 'unknownThreshold must be a probability from 0 to 1, got 1.5');
    const infinite = await graphql(
      server.url,
      '{ clips(first: 1) { edges { node { prediction(unknownScore: ENERGY, unknownEnergyThreshold: -1e400) { label } } } } }',
    );
    assert.equal(infinite.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
    assert.equal(infinite.errors?.[0]?.message, 'unknownEnergyThreshold must be a finite energy score, got -Infinity');
    const badCursor = await graphql(server.url, '{ clips(after: "nonsense") { totalCount } }');
    assert.equal(badCursor.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
    const badFirst = await graphql(server.url, '{ clips(first: 0) { totalCount } }');
    assert.equal(badFirst.errors?.[0]?.message, 'first must be from 1 to 100, got 0');
    const badVersion = await graphql(
      server.url,
      '{ clips(first: 1) { edges { node { prediction(modelVersion: 42) { label } } } } }',
    );
    assert.equal(badVersion.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const syntax = await graphql(server.url, '{ clips( }');
    assert.equal(syntax.errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
  });

  it('loads the predictions of a query over many clips through one batched inference call', async () => {
    const { body } = await upload(server.url, [yes, no, silence, yes]);
    const ids = body.clips.map((c) => c.id as string);
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const query = `{ ${ids.map((id, i) => `c${i}: clip(id: "${id}") { prediction(modelVersion: 1) { label modelVersion } }`).join(' ')} }`;
    const result = await graphql(server.url, query);
    assert.deepEqual(
      ids.map((_, i) => (result.data?.[`c${i}`] as { prediction: { label: string; modelVersion: number } }).prediction),
      [
        { label: 'yes', modelVersion: 1 },
        { label: 'no', modelVersion: 1 },
        { label: 'silence', modelVersion: 1 },
        { label: 'yes', modelVersion: 1 },
      ],
    );
    const afterText = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(afterText, 'kws_batch_size_count') - metricValue(before, 'kws_batch_size_count'), 1);
    assert.equal(metricValue(afterText, 'kws_batch_size_sum') - metricValue(before, 'kws_batch_size_sum'), 4);
    const again = await graphql(server.url, query);
    assert.deepEqual(again, result, 'cached per clip and version');
    assert.equal(
      metricValue(await (await fetch(`${server.url}/metrics`)).text(), 'kws_batch_size_count'),
      metricValue(afterText, 'kws_batch_size_count'),
    );
  });

  it('takes GraphQL multipart uploads with the preflight header and refuses them without it (CSRF prevention)', async () => {
    const form = (): FormData => {
      const f = new FormData();
      f.append(
        'operations',
        JSON.stringify({
          query:
            'mutation ($files: [Upload!]!) { classifyClips(files: $files) { filename error { code } clip { id prediction { label } } } }',
          variables: { files: [null, null] },
        }),
      );
      f.append('map', JSON.stringify({ 0: ['variables.files.0'], 1: ['variables.files.1'] }));
      f.append('0', new Blob([no.bytes]), 'no.wav');
      f.append('1', new Blob([new TextEncoder().encode('text')]), 'bad.txt');
      return f;
    };
    const refused = await fetch(`${server.url}/graphql`, { method: 'POST', body: form() });
    assert.equal(refused.status, 400);
    const accepted = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      body: form(),
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    const body = (await accepted.json()) as {
      data: {
        classifyClips: Array<{
          filename: string;
          error: { code: string } | null;
          clip: { prediction: { label: string } } | null;
        }>;
      };
    };
    assert.deepEqual(
      body.data.classifyClips.map((r) => [r.filename, r.clip?.prediction.label ?? null, r.error?.code ?? null]),
      [
        ['no.wav', 'no', null],
        ['bad.txt', null, 'NOT_AUDIO'],
      ],
    );
    // The upload's own overrides shape its answer (`prediction`), not only its classification.
    const strict = new FormData();
    strict.append(
      'operations',
      JSON.stringify({
        query:
          'mutation ($files: [Upload!]!) { classifyClips(files: $files, unknownScore: ENERGY, unknownEnergyThreshold: -1000) { prediction { label reason thresholds { unknownScore unknownEnergyThreshold } } clip { prediction { label } } } }',
        variables: { files: [null] },
      }),
    );
    strict.append('map', JSON.stringify({ 0: ['variables.files.0'] }));
    strict.append('0', new Blob([no.bytes]), 'no.wav');
    const strictAnswer = (await (
      await fetch(`${server.url}/graphql`, {
        method: 'POST',
        body: strict,
        headers: { 'Apollo-Require-Preflight': 'true' },
      })
    ).json()) as { data: { classifyClips: Array<{ prediction: unknown; clip: { prediction: { label: string } } }> } };
    assert.deepEqual(strictAnswer.data.classifyClips[0]?.prediction, {
      label: 'unknown',
      reason: 'LOW_CONFIDENCE',
      thresholds: { unknownScore: 'ENERGY', unknownEnergyThreshold: -1000 },
    });
    assert.equal(
      strictAnswer.data.classifyClips[0]?.clip.prediction.label,
      'no',
      'the nested clip.prediction keeps its own (default) arguments',
    );
  });

  it('lists model versions with thresholds and metrics', async () => {
    const result = await graphql(
      server.url,
      '{ modelVersions { version state aliases architecture thresholds { unknownThreshold silenceThresholdDbfs unknownScore unknownEnergyThreshold } testing { accuracy perClass { label f1 } } } modelVersion(version: 1) { version } }',
    );
    const versions = result.data?.['modelVersions'] as Array<{
      version: number;
      state: string;
      aliases: string[];
      architecture: string;
      thresholds: unknown;
      testing: { perClass: unknown[] };
    }>;
    // The repository's own 1 and 2 (copies of the bundled version 1), and the bundled versions it
    // has no folder for: 3 and the default, 4 (an ensemble of 1, 2 and 3).
    assert.deepEqual(
      versions.map((v) => [v.version, v.state, v.aliases, v.architecture]),
      [
        [4, 'READY', [], 'ensemble'],
        [3, 'READY', [], 'tc-resnet14'],
        [2, 'READY', ['production'], 'tc-resnet8'],
        [1, 'READY', [], 'tc-resnet8'],
      ],
    );
    const production = versions.find((v) => v.version === 2);
    assert.deepEqual(production?.thresholds, {
      unknownThreshold: BUNDLED_THRESHOLDS.unknownThreshold,
      silenceThresholdDbfs: BUNDLED_THRESHOLDS.silenceThresholdDbfs,
      unknownScore: BUNDLED_THRESHOLDS.unknownScore === 'energy' ? 'ENERGY' : 'MAX_SOFTMAX',
      unknownEnergyThreshold: BUNDLED_THRESHOLDS.unknownEnergyThreshold ?? null,
    });
    assert.equal(production?.testing.perClass.length, 12);
    assert.deepEqual(result.data?.['modelVersion'], { version: 1 });
  });

  it('switches the production alias without dropping a request', async () => {
    const before = Array.from({ length: 12 }, () => upload(server.url, [yes]));
    await Promise.race(before); // requests are in flight on version 2
    server.service.registry.setAlias('production', 1);
    server.service.refreshVersions();
    const results = await Promise.all([...before, ...Array.from({ length: 12 }, () => upload(server.url, [yes]))]);
    assert.ok(
      results.every((r) => r.status === 200 && r.body.clips[0]?.prediction?.label === 'yes'),
      results.map((r) => r.status).join(','),
    );
    assert.deepEqual(new Set(results.map((r) => r.body.clips[0]?.prediction?.modelVersion)), new Set([1, 2]));
    assert.equal((await upload(server.url, [no])).body.clips[0]?.prediction?.modelVersion, 1);
    server.service.registry.setAlias('production', 2);
    server.service.refreshVersions();
  });

  it('refuses a GraphQL query that costs too much, without a stack trace, and keeps serving', async () => {
    const aliases = Array.from(
      { length: 300 },
      (_, i) => `a${i}: clips(first: 100) { edges { node { id prediction { label } } } }`,
    ).join(' ');
    const costly = await graphql(server.url, `{ ${aliases} }`);
    assert.equal(costly.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.match(costly.errors?.[0]?.message ?? '', /^the query costs [0-9]+, more than the limit of 10000/);
    const invalid = (await graphql(server.url, '{ clip { id } }')) as {
      errors?: Array<{ extensions?: Record<string, unknown> }>;
    };
    assert.equal(invalid.errors?.[0]?.extensions?.['stacktrace'], undefined);
    assert.equal((await upload(server.url, [yes])).body.clips[0]?.prediction?.label, 'yes');
  });

  it('answers malformed GraphQL bodies and multipart requests with 4xx, not 500', async () => {
    const notJson = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'not json',
    });
    assert.equal(notJson.status, 400);
    // Refused before GraphQL ran, yet answered in GraphQL's shape.
    assert.equal(((await notJson.json()) as GraphqlErrors).errors[0]?.extensions.code, 'INVALID_ARGUMENT');
    const huge = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ clips { totalCount } } #${'x'.repeat(300_000)}` }),
    });
    assert.equal(huge.status, 413);
    const badMap = new FormData();
    badMap.append(
      'operations',
      JSON.stringify({
        query: 'mutation ($f: [Upload!]!) { classifyClips(files: $f) { filename } }',
        variables: { f: [null] },
      }),
    );
    badMap.append('map', '{not json');
    badMap.append('0', new Blob([yes.bytes]), 'yes.wav');
    const badMapAnswer = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      body: badMap,
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    assert.equal(badMapAnswer.status, 400);
    assert.match(
      ((await badMapAnswer.json()) as GraphqlErrors).errors[0]?.message ?? '',
      /^bad request body: Invalid JSON in the .map. multipart field/,
    );
    const many = new FormData();
    many.append(
      'operations',
      JSON.stringify({
        query: 'mutation ($f: [Upload!]!) { classifyClips(files: $f) { filename } }',
        variables: { f: [null, null, null, null, null] },
      }),
    );
    many.append(
      'map',
      JSON.stringify(Object.fromEntries([0, 1, 2, 3, 4].map((i) => [String(i), [`variables.f.${i}`]]))),
    );
    for (let i = 0; i < 5; i++) many.append(String(i), new Blob([yes.bytes]), `y${i}.wav`);
    const manyAnswer = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      body: many,
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    assert.equal(manyAnswer.status, 413);
    assert.equal(((await manyAnswer.json()) as GraphqlErrors).errors[0]?.extensions.code, 'TOO_MANY_FILES');
    // Variables that do not coerce, or are missing, are the client's error.
    for (const [query, variables] of [
      ['query ($v: Int!) { modelVersion(version: $v) { version } }', { v: 'abc' }],
      ['query ($v: Int!) { modelVersion(version: $v) { version } }', {}],
      [
        'query ($t: Float) { clips(first: 1) { edges { node { prediction(unknownScore: ENERGY, unknownEnergyThreshold: $t) { label } } } } }',
        { t: 'NaN' },
      ],
      [
        'query ($s: UnknownScore) { clips(first: 1) { edges { node { prediction(unknownScore: $s) { label } } } } }',
        { s: 'energy' },
      ],
    ] as const) {
      const answer = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await answer.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
      assert.equal(answer.status, 400, `${JSON.stringify(variables)}: ${JSON.stringify(json)}`);
      assert.equal(json.errors[0]?.extensions.code, 'BAD_USER_INPUT');
      assert.match(json.errors[0]?.message ?? '', /Variable "\$[vts]"/);
    }
  });

  it('refuses chunked uploads (411) and non-decimal query numbers', async () => {
    const body = clipForm([yes]);
    const request = new Request(`${server.url}/v1/clips`, { method: 'POST', body });
    const stream = request.body as ReadableStream<Uint8Array>;
    const chunked = await fetch(`${server.url}/v1/clips`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': request.headers.get('content-type') ?? '' },
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 411);
    assert.equal(((await chunked.json()) as { error: { code: string } }).error.code, 'LENGTH_REQUIRED');
    const hex = await upload(server.url, [yes], '?unknownThreshold=0x1');
    assert.equal(hex.status, 400);
    assert.equal(hex.body.error?.message, 'query parameter unknownThreshold must be a decimal number, got "0x1"');
    const disabled = await upload(server.url, [yes], '?silenceThresholdDbfs=-Infinity');
    assert.equal(disabled.body.clips[0]?.prediction?.label, 'yes');
    assert.equal(sanitizeFilename('ab\u202ecd.exe'), 'abcd.exe');
  });

  it('exposes Prometheus metrics and JSON 404s', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      'kws_http_request_duration_seconds_bucket',
      'kws_batch_size_bucket',
      'kws_batch_queue_seconds_bucket',
      'kws_inference_seconds_bucket',
      'kws_batch_queue_depth',
      'kws_clips_total',
    ])
      assert.ok(text.includes(name), name);
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: { code: 'NOT_FOUND', message: 'no route GET /nope' } });
  });
});

describe('kws serve under load and across restarts', () => {
  it('answers OVERLOADED with 503 and Retry-After when the queue is full, and serves again after', async () => {
    const server = await testServer({ batcher: { maxQueueLength: 1, maxQueueDelayMs: 200 } });
    try {
      const multi = await upload(server.url, [yes, no, yes, no, yes, no]);
      assert.equal(multi.status, 200, 'files refused by a full queue fail alone');
      const ok = multi.body.clips.filter((c) => c.prediction !== undefined);
      assert.ok(
        ok.length >= 1 && multi.body.clips.some((c) => c.error?.code === 'OVERLOADED'),
        JSON.stringify(multi.body.clips.map((c) => c.error?.code ?? 'ok')),
      );
      const stored = (await graphql(server.url, '{ clips { totalCount } }')).data?.['clips'] as { totalCount: number };
      assert.equal(stored.totalCount, ok.length, 'every stored clip was answered with its id');
      // The engine thread wrote every decoded file; those the full queue refused are removed again.
      const files = (): number => readdirSync(join(server.dataDir, 'clips')).length;
      for (let i = 0; i < 100 && files() !== ok.length; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(files(), ok.length, 'no file is left that no clip names');
      const results = await Promise.all(Array.from({ length: 6 }, () => upload(server.url, [yes])));
      const overloaded = results.filter((r) => r.status === 503);
      assert.ok(overloaded.length >= 1, `statuses ${results.map((r) => r.status).join(',')}`);
      assert.equal(overloaded[0]?.headers.get('retry-after'), '1');
      assert.equal(overloaded[0]?.body.error?.code, 'OVERLOADED');
      assert.ok(results.some((r) => r.status === 200));
      assert.equal((await upload(server.url, [no])).body.clips[0]?.prediction?.label, 'no');
    } finally {
      await server.stop();
    }
  });

  it('drains requests in flight on close instead of cutting them', async () => {
    const server = await testServer({ batcher: { maxQueueDelayMs: 300 } });
    const inFlight = Array.from({ length: 8 }, () => upload(server.url, [yes]));
    for (let i = 0; i < 200 && server.service.batcher.queueLength < 8; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.service.batcher.queueLength, 8, 'all eight are waiting in the batcher');
    await server.stop();
    const results = await Promise.all(inFlight);
    assert.deepEqual(
      results.map((r) => r.body.clips[0]?.prediction?.label),
      Array(8).fill('yes'),
    );
  });

  it('kws serve stops with exit code 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kws-sigterm-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(import.meta.dirname, '../../src/main.ts'),
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolveReady) =>
      lines.on('line', (line) => {
        if (line.includes('"msg":"ready"')) resolveReady();
      }),
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps clips and predictions across a restart', async () => {
    const first = await testServer();
    const { body } = await upload(first.url, [yes, no]);
    const query = `{ ${body.clips.map((c, i) => `c${i}: clip(id: "${c.id}") { filename prediction { label latencyMs probabilities { probability } } }`).join(' ')} }`;
    const seen = await graphql(first.url, query);
    await first.close();
    const second = await testServer({ dataDir: first.dataDir });
    try {
      assert.deepEqual(await graphql(second.url, query), seen);
      assert.deepEqual(
        (await graphql(second.url, '{ clips { totalCount } }')).data?.['clips'],
        { totalCount: 2 },
        'both clips are still listed',
      );
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
