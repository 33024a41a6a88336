import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { boundedLimit, PAGE_CSP } from '../../src/http/index.js';
import { clipForm, graphql, testServer } from '../helpers/server.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

const yesPath = join(realDataDir(), 'tflite-micro', 'testdata', 'yes_1000ms.wav');

describe('audio and pages for the dashboard', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let root: string;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
  const audio = (file: string, route = '/v1/audio') => get(`${route}?path=${encodeURIComponent(file)}`);
  const errorOf = async (response: Response) =>
    [response.status, ((await response.json()) as { error: { code: string } }).error.code] as const;

  before(async () => {
    root = tempDir('kws-media-');
    const outside = tempDir('kws-media-outside-');
    copyFileSync(yesPath, join(root, 'yes.wav'));
    copyFileSync(yesPath, join(outside, 'secret.wav'));
    writeFileSync(join(root, 'notes.txt'), 'not audio');
    writeFileSync(join(root, 'fake.wav'), 'not audio either');
    symlinkSync(join(outside, 'secret.wav'), join(root, 'link.wav'));
    writeFileSync(join(root, 'big.wav'), '');
    truncateSync(join(root, 'big.wav'), 21 * 1024 * 1024); // sparse: over the 20 MiB limit, nothing written
    const web = join(root, 'web');
    for (const app of ['dashboard', 'explorer']) {
      mkdirSync(join(web, app), { recursive: true });
      writeFileSync(join(web, app, 'index.html'), `<!doctype html><title>${app}</title>`);
    }
    server = await testServer({ scoreRoots: [root], webDir: web });
  });
  after(async () => {
    await server.stop();
  });

  it('serves a clip inside an allowed root byte for byte, as audio/wav', async () => {
    const response = await audio(join(root, 'yes.wav'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), new Uint8Array(readFileSync(yesPath)));
  });

  it("answers a clip's log-mel spectrogram: 98 frames of 40 mel bins every 10 ms", async () => {
    const response = await audio(join(root, 'yes.wav'), '/v1/audio/spectrogram');
    const body = (await response.json()) as {
      frames: number;
      melBins: number;
      hopMs: number;
      durationMs: number;
      values: number[];
    };
    assert.deepEqual(
      [response.status, body.frames, body.melBins, body.hopMs, body.durationMs, body.values.length],
      [200, 98, 40, 10, 1000, 3920],
    );
    assert.ok(body.values.every((v) => Number.isFinite(v)));
  });

  it('refuses paths outside the roots (links resolved), files that are not audio, and missing files, with codes', async () => {
    assert.deepEqual(await errorOf(await audio('/etc/passwd')), [403, 'PATH_NOT_ALLOWED']);
    assert.deepEqual(await errorOf(await audio(join(root, 'link.wav'))), [403, 'PATH_NOT_ALLOWED']);
    assert.deepEqual(await errorOf(await audio(join(root, 'notes.txt'))), [415, 'UNSUPPORTED_FORMAT']);
    assert.deepEqual(await errorOf(await audio(join(root, 'gone.wav'))), [404, 'FILE_NOT_FOUND']);
    assert.deepEqual(await errorOf(await audio('yes.wav')), [403, 'PATH_NOT_ALLOWED']);
    assert.deepEqual(await errorOf(await get('/v1/audio')), [400, 'INVALID_ARGUMENT']);
    assert.deepEqual(await errorOf(await audio(join(root, 'fake.wav'), '/v1/audio/spectrogram')), [415, 'NOT_AUDIO']);
  });

  it('refuses a file over 20 MiB from its size, as JSON, and marks every answer same-origin, unsniffed and uncached', async () => {
    const big = await audio(join(root, 'big.wav'));
    assert.equal(big.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await errorOf(big), [413, 'TOO_LARGE']);
    const ok = await audio(join(root, 'yes.wav'));
    assert.deepEqual(
      ['cross-origin-resource-policy', 'x-content-type-options', 'cache-control'].map((h) => ok.headers.get(h)),
      ['same-origin', 'nosniff', 'private, no-store'],
    );
  });

  it('leaves out of the dashboard the files of a folder that link outside the folders the server may read', async () => {
    const body = await graphql(
      server.url,
      'query ($dir: String!) { lowConfidenceClips(version: 1, dir: $dir, first: 50) { clip error } }',
      { dir: root },
    );
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const clips = body.data?.['lowConfidenceClips'] as Array<{ clip: string; error: string | null }>;
    assert.deepEqual(clips.map((c) => [c.clip, c.error]).sort(), [
      ['big.wav', 'NOT_AUDIO'], // zeros under the engine's 50 MiB limit: read, and refused by the decoder
      ['fake.wav', 'NOT_AUDIO'],
      ['yes.wav', null],
    ]);
  });

  it('refuses a cluster map of a bad size or of a folder outside the roots, naming the problem', async () => {
    const refused = async (query: string) =>
      (await graphql(server.url, query)).errors?.map((e) => [e.extensions?.code, e.message]);
    assert.deepEqual(await refused(`{ clusterMap(version: 1, testDir: "${root}", perSource: 0) { layer } }`), [
      ['INVALID_ARGUMENT', 'perSource must be an integer from 1 to 500, got 0'],
    ]);
    assert.equal(
      (await refused('{ clusterMap(version: 1, testDir: "/etc", perSource: 5) { layer } }'))?.[0]?.[0],
      'PATH_NOT_ALLOWED',
    );
    const map = await graphql(
      server.url,
      `{ clusterMap(version: 1, testDir: "${root}", perSource: 5) { failed points { clip source } } }`,
    );
    assert.deepEqual(map.data?.['clusterMap'], { failed: 2, points: [{ clip: 'yes.wav', source: 'TEST' }] });
  });

  it('serves an uploaded clip by id, and 404 for an id that does not exist', async () => {
    const bytes = new Uint8Array(readFileSync(yesPath));
    const uploaded = await fetch(`${server.url}/v1/clips`, {
      method: 'POST',
      body: clipForm([{ name: 'yes.wav', bytes }]),
    });
    const { clips } = (await uploaded.json()) as { clips: Array<{ id: string }> };
    const id = clips[0]?.id as string;
    const response = await get(`/v1/clips/${id}/audio`);
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
    const spectrogram = (await (await get(`/v1/clips/${id}/spectrogram`)).json()) as { frames: number };
    assert.equal(spectrogram.frames, 98);
    assert.deepEqual(await errorOf(await get('/v1/clips/99999/audio')), [404, 'NOT_FOUND']);
    // A clip whose file is gone: not found, without the server's folders in the message.
    for (const file of readdirSync(join(server.dataDir, 'clips'))) rmSync(join(server.dataDir, 'clips', file));
    const gone = await get(`/v1/clips/${id}/audio`);
    const body = (await gone.json()) as { error: { code: string; message: string } };
    assert.deepEqual(
      [gone.status, body.error.code, body.error.message],
      [404, 'NOT_FOUND', `clip ${id}'s audio is no longer stored`],
    );
    assert.deepEqual(await errorOf(await get('/v1/clips/x/audio')), [404, 'NOT_FOUND']);
  });

  it('serves the dashboard with a policy that allows nothing from another host, and the explorer to browsers at /graphql', async () => {
    const page = await get('/dashboard/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), PAGE_CSP);
    assert.match(await page.text(), /<title>dashboard<\/title>/);
    const explorer = await get('/graphql', { accept: 'text/html,application/xhtml+xml' });
    assert.match(await explorer.text(), /<title>explorer<\/title>/);
    const api = await get('/graphql', { accept: 'application/json' });
    assert.notEqual(api.headers.get('content-type')?.startsWith('text/html'), true, 'API clients still reach Apollo');
    const home = await get('/');
    assert.deepEqual([home.status, home.headers.get('location')], [302, '/dashboard/']);
  });
});

describe('a server whose pages were not built', () => {
  it('says how to build them', async () => {
    const server = await testServer({ webDir: join(tempDir('kws-noweb-'), 'web') });
    try {
      const response = await fetch(`${server.url}/dashboard/`);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(response.status, 404);
      assert.match(body.error.message, /npm run build/);
    } finally {
      await server.stop();
    }
  });
});

describe("boundedLimit (the spectrograms' queue)", () => {
  it('runs two at a time, lets one wait, and refuses the next with OVERLOADED before it starts', async () => {
    const run = boundedLimit({ concurrency: 2, maxWaiting: 1 });
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const task = (n: number) => () =>
      new Promise<number>((resolve) => {
        started.push(n);
        gates.push(() => resolve(n));
      });
    const first = [run(task(1)), run(task(2)), run(task(3))];
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(run(task(4)), { code: 'OVERLOADED' });
    assert.deepEqual(started, [1, 2], 'two run, the third waits, the fourth never starts');
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [1, 2, 3]);
    for (const open of gates.splice(0)) open();
    assert.deepEqual(await Promise.all(first), [1, 2, 3]);
  });
});
