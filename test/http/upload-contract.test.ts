import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { graphql, metricValue, testServer } from '../helpers/server.js';
import { encodeWav, sine } from '../helpers/signals.js';

const MAX_FILE = 100_000;
const MAX_BODY = 1_000_000;
const wav = Buffer.from(encodeWav([sine(440, 16_000, 0.5, 0.3)], 16_000, 'pcm16'));
/** A WAV padded with zero bytes after its data chunk to `size` bytes (it still decodes). */
const wavOf = (size: number): Buffer => Buffer.concat([wav, Buffer.alloc(size - wav.length)]);
const BOUNDARY = 'kwsContractBoundary';

interface Part {
  readonly name: string;
  /** null: a text field. */
  readonly filename: string | null;
  readonly body: Buffer;
  /** Content-Type of a file part. Default audio/wav. */
  readonly type?: string;
}

/** A multipart body written by hand, so that file names reach the server byte for byte (fetch's FormData escapes them). */
function multipart(parts: readonly Part[]): Buffer {
  return Buffer.concat([
    ...parts.flatMap((p) => [
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === null ? '' : `; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'audio/wav'}`}\r\n\r\n`,
        'utf8',
      ),
      p.body,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
}

const CLASSIFY =
  'mutation ($files: [Upload!]!) { classifyClips(files: $files) { filename error { code message } clip { id } } }';

/** The same files as REST parts (field `clip`) or as a GraphQL multipart request (operations, map, one part each). */
function bodyFor(
  transport: 'rest' | 'graphql',
  files: ReadonlyArray<{ filename: string; body: Buffer; type?: string }>,
): Buffer {
  if (transport === 'rest') return multipart(files.map((f) => ({ name: 'clip', ...f })));
  return multipart([
    {
      name: 'operations',
      filename: null,
      body: Buffer.from(JSON.stringify({ query: CLASSIFY, variables: { files: files.map(() => null) } })),
    },
    {
      name: 'map',
      filename: null,
      body: Buffer.from(JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]])))),
    },
    ...files.map((f, i) => ({ name: String(i), ...f })),
  ]);
}

interface Answer {
  status: number;
  /** The request's error code, else the first file's ('ok' when it was stored). */
  code: string;
  /** The first file's name as answered, when the request got that far. */
  filename: string | null;
  id: string | null;
  /** Every file's stored id (null where it failed), in order. */
  ids: Array<string | null>;
}

function send(url: string, path: string, body: Buffer | null, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url + path);
    const req = request({ host: u.hostname, port: u.port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => {
        const json = JSON.parse(text) as {
          error?: { code: string };
          errors?: Array<{ extensions?: { code?: string } }>;
          clips?: Array<{ id?: string; filename: string; error?: { code: string } }>;
          data?: {
            classifyClips: Array<{ filename: string; error: { code: string } | null; clip: { id: string } | null }>;
          };
        };
        const rest = json.clips?.[0];
        const gql = json.data?.classifyClips[0];
        const first =
          rest ??
          (gql === undefined ? undefined : { filename: gql.filename, error: gql.error ?? undefined, id: gql.clip?.id });
        resolve({
          status: res.statusCode ?? 0,
          code: json.error?.code ?? json.errors?.[0]?.extensions?.code ?? first?.error?.code ?? 'ok',
          filename: first?.filename ?? null,
          id: first?.id ?? null,
          ids: json.clips?.map((c) => c.id ?? null) ?? json.data?.classifyClips.map((c) => c.clip?.id ?? null) ?? [],
        });
      });
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/**
 * One case of the upload contract: what is sent, and what both transports must answer (status, code,
 * and the name the clip is stored and echoed under).
 */
interface Case {
  readonly what: string;
  readonly files?: ReadonlyArray<{ filename: string; body: Buffer; type?: string }>;
  /** Replace the body and headers (transport-level cases). */
  readonly raw?: { body: Buffer | null; headers: Record<string, string> };
  readonly status: number;
  readonly code: string;
  readonly stored?: string;
  /** Which files must be stored, in order (for a request of several). */
  readonly storedAlso?: readonly boolean[];
}

const CASES: readonly Case[] = [
  {
    what: 'an empty name on an octet-stream part',
    files: [{ filename: '', body: wav, type: 'application/octet-stream' }],
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    what: 'a name whose base is .. (no name left)',
    files: [{ filename: 'a/..', body: wav }],
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    what: 'a file over the limit beside a good one (each file fails alone)',
    files: [
      { filename: 'big.wav', body: wavOf(MAX_FILE + 1) },
      { filename: 'ok.wav', body: wav },
    ],
    status: 200,
    code: 'TOO_LARGE',
    storedAlso: [false, true],
  },
  { what: 'a plain name', files: [{ filename: 'yes.wav', body: wav }], status: 200, code: 'ok', stored: 'yes.wav' },
  {
    what: 'a relative path',
    files: [{ filename: '../../etc/passwd', body: wav }],
    status: 200,
    code: 'ok',
    stored: 'passwd',
  },
  {
    what: 'a Windows path',
    files: [{ filename: 'C:\\Users\\me\\no.wav', body: wav }],
    status: 200,
    code: 'ok',
    stored: 'no.wav',
  },
  {
    what: 'markup',
    files: [{ filename: '<script>x</script>.wav', body: wav }],
    status: 200,
    code: 'ok',
    stored: 'script>.wav',
  },
  {
    what: 'bidirectional overrides and a C1 control',
    files: [{ filename: '\u202ea\u0085b\u2066.wav', body: wav }],
    status: 200,
    code: 'ok',
    stored: 'ab.wav',
  },
  {
    what: 'a raw DEL in the name',
    files: [{ filename: 'a\u007fb.wav', body: wav }],
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    what: 'a raw CR LF in the name',
    files: [{ filename: 'a\r\nb.wav', body: wav }],
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    what: 'a raw NUL in the name',
    files: [{ filename: 'a\u0000b.wav', body: wav }],
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  {
    what: 'a raw ESC in the name',
    files: [{ filename: 'a\u001bb.wav', body: wav }],
    status: 400,
    code: 'INVALID_ARGUMENT',
  },
  { what: 'an empty name', files: [{ filename: '', body: wav }], status: 400, code: 'INVALID_ARGUMENT' },
  {
    what: 'a file of exactly the limit',
    files: [{ filename: 'big.wav', body: wavOf(MAX_FILE) }],
    status: 200,
    code: 'ok',
    stored: 'big.wav',
  },
  {
    what: 'a file one byte over',
    files: [{ filename: 'big.wav', body: wavOf(MAX_FILE + 1) }],
    status: 413,
    code: 'TOO_LARGE',
  },
  {
    what: 'bytes that are not audio',
    files: [{ filename: 'x.wav', body: Buffer.from('not audio at all') }],
    status: 415,
    code: 'NOT_AUDIO',
  },
  {
    what: 'more files than allowed',
    files: Array.from({ length: 5 }, (_, i) => ({ filename: `${i}.wav`, body: wav })),
    status: 413,
    code: 'TOO_MANY_FILES',
  },
  { what: 'no body', raw: { body: null, headers: { 'content-length': '0' } }, status: 400, code: 'INVALID_ARGUMENT' },
  {
    what: 'a chunked body',
    raw: { body: Buffer.from(`--${BOUNDARY}--\r\n`), headers: { 'transfer-encoding': 'chunked' } },
    status: 411,
    code: 'LENGTH_REQUIRED',
  },
  {
    what: 'a body over the limit',
    raw: { body: Buffer.alloc(MAX_BODY + 1), headers: { 'content-length': String(MAX_BODY + 1) } },
    status: 413,
    code: 'TOO_LARGE',
  },
];

describe('one upload contract for REST and GraphQL', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  const unexpected: string[] = [];

  before(async () => {
    server = await testServer({ uploads: { maxFileBytes: MAX_FILE, maxFiles: 4, maxBodyBytes: MAX_BODY } });
  });
  after(async () => {
    await server.stop();
  });

  const post = (transport: 'rest' | 'graphql', c: Case): Promise<Answer> => {
    const body = c.raw?.body === undefined ? bodyFor(transport, c.files ?? []) : c.raw.body;
    const headers: Record<string, string> = {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      ...(transport === 'graphql' ? { 'apollo-require-preflight': 'true' } : {}),
      ...(c.raw?.headers ?? (body === null ? {} : { 'content-length': String(body.length) })),
    };
    return send(server.url, transport === 'rest' ? '/v1/clips' : '/graphql', body, headers);
  };

  for (const c of CASES)
    it(`${c.what}: ${c.status} ${c.code}${c.stored === undefined ? '' : `, stored as ${JSON.stringify(c.stored)}`}, over both transports`, async () => {
      for (const transport of ['rest', 'graphql'] as const) {
        const answer = await post(transport, c);
        assert.deepEqual([answer.status, answer.code], [c.status, c.code], `${transport}: ${JSON.stringify(answer)}`);
        if (c.stored !== undefined) {
          assert.equal(answer.filename, c.stored, transport);
          const stored = await graphql(server.url, 'query ($id: ID!) { clip(id: $id) { filename } }', {
            id: answer.id,
          });
          assert.equal((stored.data?.['clip'] as { filename: string }).filename, c.stored, `${transport}: stored name`);
        }
        if (answer.code === 'INTERNAL') unexpected.push(`${transport} ${c.what}`);
        if (c.storedAlso !== undefined)
          assert.deepEqual(
            answer.ids.map((id) => id !== null),
            c.storedAlso,
            `${transport}: which files were stored`,
          );
      }
    });

  it('counts every file in kws_clips_total once by outcome, whichever transport carried it', async () => {
    const metrics = async () => await (await fetch(`${server.url}/metrics`)).text();
    const before = await metrics();
    for (const transport of ['rest', 'graphql'] as const) {
      await post(transport, { what: 'ok', files: [{ filename: 'a.wav', body: wav }], status: 200, code: 'ok' });
      await post(transport, {
        what: 'bad',
        files: [{ filename: 'b.wav', body: Buffer.from('nope') }],
        status: 415,
        code: 'NOT_AUDIO',
      });
    }
    const after = await metrics();
    assert.equal(
      metricValue(after, 'kws_clips_total{outcome="ok"}') - metricValue(before, 'kws_clips_total{outcome="ok"}'),
      2,
    );
    assert.equal(
      metricValue(after, 'kws_clips_total{outcome="NOT_AUDIO"}') -
        metricValue(before, 'kws_clips_total{outcome="NOT_AUDIO"}'),
      2,
    );
    assert.deepEqual(unexpected, []);
  });
});
