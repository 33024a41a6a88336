/**
 * `npm run bench:serve [-- --seconds 5 --clients 1,16,64 --threads N --max-queue-delay-ms MS --data-dir DIR --with-key]`:
 * load test of `kws serve` with autocannon.
 *
 * Starts the server as a child process on the bundled model (a fresh data folder inside `--data-dir`,
 * default the OS temporary folder: the clip files' file system is part of the cost), uploads real
 * Speech Commands clips (one per request, `POST /v1/clips`) from 1, 16 and 64 concurrent clients,
 * and prints p50/p99 latency, clips/s, the mean inference batch size and the longest event-loop
 * stall (both from /metrics), and the CPU time per clip of the server (all threads, and its main
 * thread; Linux /proc) and of the load generator, first with dynamic batching on, then off
 * (`--max-batch-size 1`). In the same run it measures the engine alone in this process:
 * inference-only clips/s (batches of 64 precomputed features) and the decode + features + inference
 * pipeline without HTTP. With `--with-key` the data folder has an API key and every request sends it
 * (the cost of authentication). Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { EnginePool } from '../src/engine/index.js';
import { DEFAULT_FEATURE_CONFIG } from '../src/features/index.js';
import { ApiKeyStore } from '../src/storage/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '1,16,64' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'max-queue-delay-ms': { type: 'string' },
    'data-dir': { type: 'string' },
    'with-key': { type: 'boolean', default: false },
  },
});
/** With `--with-key`, a `read` key is made in each fresh data folder and every request sends it. */
let auth: Record<string, string> = {};
const seconds = Number(values.seconds);
const clientCounts = values.clients.split(',').map(Number);
const root = resolve(import.meta.dirname, '..');
const real = process.env['KWS_REAL_DATA_DIR'] ?? resolve(root, '../shared/data/real');
const pico = join(real, 'pico-testset-v0.02');
const clips = readdirSync(pico, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .flatMap((e) =>
    readdirSync(join(pico, e.name))
      .filter((f) => f.endsWith('.wav'))
      .slice(0, 6)
      .map((f) => readFileSync(join(pico, e.name, f))),
  );

const boundary = '----kwsbench7d1f';
const bodies = clips.map((bytes, i) =>
  Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="clip"; filename="clip${i}.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]),
);

interface Row {
  clients: number;
  batching: boolean;
  p50Ms: number;
  p99Ms: number;
  clipsPerSecond: number;
  meanBatchSize: number;
  errors: number;
  lagMaxMs: number;
  serverCpuMsPerClip: number | null;
  mainThreadCpuMsPerClip: number | null;
  loadGeneratorCpuMsPerClip: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts `kws serve` (warn-level logs: access logs would cost the load generator CPU) and waits for /readyz. */
async function startServer(batching: boolean, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const args = [
    '--import',
    'tsx',
    join(root, 'src/main.ts'),
    'serve',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    '--threads',
    values.threads,
    '--max-queue-length',
    '100000',
  ];
  if (!batching) args.push('--max-batch-size', '1');
  if (values['max-queue-delay-ms'] !== undefined) args.push('--max-queue-delay-ms', values['max-queue-delay-ms']);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (child.exitCode !== null) throw new Error(`kws serve exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, child };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('kws serve was not ready within 60 s');
}

/** Batch-size totals and the longest event-loop stall since the last scrape (prom-client resets it on each scrape). */
async function batchTotals(url: string): Promise<{ count: number; sum: number; lagMaxMs: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
  const value = (name: string): number =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1] ?? 0,
    );
  // prom-client samples the loop with a 10 ms timer and records whole intervals: a stall is what exceeds 10 ms.
  return {
    count: value('kws_batch_size_count'),
    sum: value('kws_batch_size_sum'),
    lagMaxMs: Math.max(0, value('nodejs_eventloop_lag_max_seconds') * 1000 - 10),
  };
}

/**
 * CPU time of a process so far, ms: its main thread and all its threads (Linux /proc, USER_HZ = 100
 * ticks a second); null elsewhere.
 */
function processCpuMs(pid: number | undefined): { mainMs: number; totalMs: number } | null {
  if (pid === undefined) return null;
  try {
    let mainMs = 0;
    let totalMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
      const ms = (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime
      totalMs += ms;
      if (tid === String(pid)) mainMs = ms;
    }
    return { mainMs, totalMs };
  } catch {
    return null;
  }
}

async function load(url: string, clients: number, batching: boolean, pid?: number): Promise<Row> {
  let next = 0;
  const before = await batchTotals(url);
  const cpuBefore = processCpuMs(pid);
  const loadBefore = process.cpuUsage();
  const result = await autocannon({
    url: `${url}/v1/clips`,
    connections: clients,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...auth },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] as Buffer }),
      },
    ],
  });
  const loadCpu = process.cpuUsage(loadBefore);
  const cpuAfter = processCpuMs(pid);
  const after = await batchTotals(url);
  const served = after.sum - before.sum;
  const answered = Math.max(1, result.requests.total);
  return {
    clients,
    batching,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    clipsPerSecond: Math.round((result.requests.total - result.non2xx - result.errors) / seconds),
    meanBatchSize: Number((served / Math.max(1, after.count - before.count)).toFixed(2)),
    errors: result.non2xx + result.errors,
    lagMaxMs: Math.round(after.lagMaxMs),
    serverCpuMsPerClip:
      cpuBefore === null || cpuAfter === null ? null : (cpuAfter.totalMs - cpuBefore.totalMs) / answered,
    mainThreadCpuMsPerClip:
      cpuBefore === null || cpuAfter === null ? null : (cpuAfter.mainMs - cpuBefore.mainMs) / answered,
    loadGeneratorCpuMsPerClip: (loadCpu.user + loadCpu.system) / 1000 / answered,
  };
}

const rows: Row[] = [];
for (const batching of [true, false]) {
  const dataDir = mkdtempSync(join(values['data-dir'] ?? tmpdir(), 'kws-bench-serve-')); // a fresh folder inside --data-dir
  if (values['with-key']) {
    const keys = ApiKeyStore.open(join(dataDir, 'kws.db'));
    auth = { authorization: `Bearer ${keys.create('bench', 'read').key}` };
    keys.close();
  }
  const { url, child } = await startServer(batching, dataDir);
  try {
    await load(url, 4, batching); // warm-up: JIT, resampler, sessions on every thread
    for (const clients of clientCounts) {
      const row = await load(url, clients, batching, child.pid);
      rows.push(row);
      console.log(
        `${String(clients).padStart(3)} clients, batching ${batching ? 'on ' : 'off'}: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ${row.clipsPerSecond} clips/s, mean batch ${row.meanBatchSize}, longest event-loop stall ${row.lagMaxMs} ms${row.errors > 0 ? `, ${row.errors} errors` : ''}`,
      );
      const cpu = (ms: number | null): string => (ms === null ? 'n/a' : ms.toFixed(2));
      console.log(
        `      CPU ms per clip: server ${cpu(row.serverCpuMsPerClip)} (main thread ${cpu(row.mainThreadCpuMsPerClip)}), load generator ${cpu(row.loadGeneratorCpuMsPerClip)}`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// The engine alone, in this process, same threads.
const pool = new EnginePool({ threads: Number(values.threads) });
const model = join(root, 'models/1');
const geometry = { frames: 98, bins: 40, classes: 12 };
await pool.warmUp(model, geometry);
const prepared = await Promise.all(clips.slice(0, 64).map((c) => pool.prepare(c, DEFAULT_FEATURE_CONFIG)));
const batch = new Float32Array(64 * 3920);
prepared.forEach((p, i) => batch.set(p.features, i * 3920));
let start = performance.now();
let done = 0;
while (performance.now() - start < seconds * 1000) {
  await Promise.all(
    Array.from({ length: pool.options.threads }, () =>
      pool.infer({ modelDir: model, geometry, temperature: 1 }, batch, 64),
    ),
  );
  done += 64 * pool.options.threads;
}
const engineClipsPerSecond = Math.round(done / ((performance.now() - start) / 1000));
start = performance.now();
done = 0;
while (performance.now() - start < seconds * 1000) {
  const group = clips.slice(0, 64);
  const features = await Promise.all(group.map((c) => pool.prepare(c, DEFAULT_FEATURE_CONFIG)));
  const merged = new Float32Array(64 * 3920);
  features.forEach((p, i) => merged.set(p.features, i * 3920));
  await pool.infer({ modelDir: model, geometry, temperature: 1 }, merged, 64);
  done += 64;
}
const pipelineClipsPerSecond = Math.round(done / ((performance.now() - start) / 1000));
await pool.close();
console.log(
  `engine alone: inference ${engineClipsPerSecond} clips/s (batch 64); decode + features + inference ${pipelineClipsPerSecond} clips/s (no HTTP)`,
);
const round2 = (ms: number | null): number | null => (ms === null ? null : Number(ms.toFixed(2)));
const at = (clients: number, batching: boolean): Row | undefined =>
  rows.find((r) => r.clients === clients && r.batching === batching);
const most = Math.max(...clientCounts);
const on = at(most, true);
const off = at(most, false);
if (on !== undefined && off !== undefined)
  console.log(
    `batching speed-up at ${most} clients: ${(on.clipsPerSecond / Math.max(1, off.clipsPerSecond)).toFixed(2)}x; served / pipeline at ${most} clients: ${((on.clipsPerSecond / pipelineClipsPerSecond) * 100).toFixed(0)} %`,
  );
console.log(
  JSON.stringify({
    withKey: values['with-key'],
    rows: rows.map((r) => ({
      clients: r.clients,
      batching: r.batching,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      clipsPerSecond: r.clipsPerSecond,
      meanBatchSize: r.meanBatchSize,
      lagMaxMs: r.lagMaxMs,
      serverCpuMsPerClip: round2(r.serverCpuMsPerClip),
      mainThreadCpuMsPerClip: round2(r.mainThreadCpuMsPerClip),
      loadGeneratorCpuMsPerClip: round2(r.loadGeneratorCpuMsPerClip),
    })),
    engineClipsPerSecond,
    pipelineClipsPerSecond,
  }),
);
