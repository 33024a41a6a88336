import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { tempDir } from './signals.js';

const root = resolve(import.meta.dirname, '../..');

/** Whether Debian's `redis-server` is installed (`.ci/run` installs it; `KWS_REQUIRE_REDIS=1` makes its absence a failure). */
export function redisAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!found && process.env['KWS_REQUIRE_REDIS'] === '1')
    throw new Error(
      'redis-server is not installed, and KWS_REQUIRE_REDIS=1 requires it (apt-get install redis-server)',
    );
  return found;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((r) => server.close(r));
  return port;
}

/** A real `redis-server` on loopback with its own folder and AOF on (`appendfsync always`). */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops it (SHUTDOWN, AOF flushed) and starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start on ${port}:\n${log}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      log += text;
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with ${code}:\n${log}`));
    });
  });
  child.stdout?.resume();
  return child;
}

async function shutdown(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM'); // redis-server shuts down cleanly on SIGTERM (AOF fsynced)
  await exited;
}

/** Starts a `redis-server` on a free loopback port in a temporary folder. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = tempDir('kws-redis-');
  let child = await launch(port, dir);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    restart: async () => {
      await shutdown(child);
      child = await launch(port, dir);
    },
    stop: () => shutdown(child),
  };
}

/** A `kws worker` child process (from source) and what it has logged. */
export interface TestWorker {
  readonly child: ChildProcess;
  /** pino lines it has written, parsed. */
  readonly events: Array<Record<string, unknown>>;
  /** Resolves with the first logged event `match` accepts (rejects after `timeoutMs`). */
  waitFor(match: (event: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for it to exit. */
  kill(): Promise<void>;
}

/**
 * Starts `kws worker --redis URL ARGS...` as a child process and waits for its `worker ready` line.
 *
 * @throws Error with its output when it exits or is not ready within 60 s.
 */
export async function startWorker(url: string, args: readonly string[]): Promise<TestWorker> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/main.ts'), 'worker', '--redis', url, ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const events: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        events.push({ msg: line });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.on('exit', () => {
    for (const wake of waiters) wake();
  });
  const waitFor = (match: (event: Record<string, unknown>) => boolean, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((found, fail) => {
      const check = (): void => {
        const hit = events.find(match);
        if (hit !== undefined) {
          done();
          found(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          fail(
            new Error(
              `kws worker exited (${child.exitCode ?? child.signalCode}):\n${stderr}\n${JSON.stringify(events)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        fail(new Error(`kws worker: no matching log line in ${timeoutMs} ms:\n${stderr}\n${JSON.stringify(events)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (ended()) return;
    const exited = once(child, 'exit');
    child.kill(name);
    await exited;
  };
  await waitFor((e) => e['msg'] === 'worker ready');
  return { child, events, waitFor, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
