import { Command, InvalidArgumentError } from 'commander';
import type { Level } from 'pino';
import type { JobKind } from '../jobs/index.js';
import { declaredOption, LOG_LEVEL_OPTION } from './options.js';
import type { CliOptionSpec } from './options.js';
import { withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { reportError } from './report-error.js';

const KINDS: readonly JobKind[] = ['score', 'train', 'search'];

/** commander parser for `--kinds score,train,search`. */
function kindsOf(value: string): JobKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !(KINDS as readonly string[]).includes(k));
  if (bad.length > 0 || kinds.length === 0)
    throw new InvalidArgumentError(`expected some of ${KINDS.join(',')}, got "${value}"`);
  return [...new Set(kinds)] as JobKind[];
}

/** The flags of `kws worker`, declared once (the worker's defaults are `DEFAULT_WORKER_OPTIONS`; a test checks they agree). */
export const WORKER_OPTIONS: readonly CliOptionSpec[] = [
  {
    kind: 'string',
    description: 'the Redis the server queues jobs on, redis://host:port[/db] (default: KWS_REDIS_URL)',
    cli: { flag: 'redis', value: 'url' },
  },
  {
    kind: 'integer',
    description: 'parts (scoring shards, training runs, search trials) run at once, per kind',
    default: 1,
    range: { min: 1, max: 64 },
    cli: { flag: 'concurrency', value: 'n' },
  },
  {
    kind: 'integer',
    description: 'engine threads scoring shards (default: the CPU count)',
    range: { min: 1, max: 256 },
    cli: { flag: 'threads', value: 'n' },
  },
  {
    kind: 'integer',
    description: "a part's lock, renewed while it runs: a dead worker's parts go to another after about this long",
    unit: 'ms',
    default: 30_000,
    range: { min: 500, max: 3_600_000 },
    cli: { flag: 'lock-duration-ms', value: 'ms' },
  },
  {
    kind: 'integer',
    description: 'a pause after each scored chunk, to watch or test fault handling',
    unit: 'ms',
    default: 0,
    range: { min: 0, max: 60_000 },
    cli: { flag: 'chunk-delay-ms', value: 'ms' },
  },
  LOG_LEVEL_OPTION,
];

interface WorkerCliOptions extends RegistryCliOptions {
  readonly redis?: string;
  readonly concurrency: number;
  readonly threads?: number;
  readonly lockDurationMs: number;
  readonly chunkDelayMs: number;
  readonly kinds?: JobKind[];
  readonly logLevel: Level | 'silent';
}

/**
 * `kws worker`: runs jobs from the Redis queue of a `kws serve --redis` (README "Scaling out").
 * SIGINT/SIGTERM: stop taking parts and finish the running ones; a second signal stops at once
 * (the parts left run again on another worker).
 */
export function workerCommand(): Command {
  const command = new Command('worker').description(
    'run jobs (scoring shards, training, search trials) from the Redis queue of kws serve --redis',
  );
  for (const spec of WORKER_OPTIONS) command.addOption(declaredOption(spec));
  command.option('--kinds <list>', `job kinds to take, comma-separated (default: ${KINDS.join(',')})`, kindsOf);
  return withRegistryOptions(command).action(async (options: WorkerCliOptions) => {
    try {
      const [{ startWorkerProcess, redactRedisUrl }, { pino }] = await Promise.all([
        import('../jobs/index.js'),
        import('pino'),
      ]);
      const logger = pino({ level: options.logLevel, base: { service: 'kws-worker' } });
      const lastLogged = new Map<string, number>();
      const quiet = (message: string): boolean => {
        const now = Date.now();
        if (now - (lastLogged.get(message) ?? 0) < 30_000) return false;
        lastLogged.set(message, now);
        return true;
      };
      if (options.redis !== undefined) logger.info({ redis: redactRedisUrl(options.redis) }, 'connecting to Redis');
      const running = await startWorkerProcess({
        ...(options.redis === undefined ? {} : { url: options.redis }),
        ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }),
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
        concurrency: options.concurrency,
        lockDurationMs: options.lockDurationMs,
        chunkDelayMs: options.chunkDelayMs,
        onEvent: (event) => {
          if (event.event !== 'error') logger.info(event, `${event.part} ${event.event}`);
          // Every connection of every queue reports each failed reconnect: one line per message per 30 s.
          else if (quiet(event.message ?? '')) logger.warn({ message: event.message }, `Redis: ${event.message ?? ''}`);
        },
        onInternalError: (error, job) => logger.error({ err: error, job }, 'job part failed unexpectedly'),
      });
      logger.info(
        { redis: redactRedisUrl(running.url), kinds: running.kinds, worker: running.worker.name },
        'worker ready',
      );
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          logger.warn({ signal }, 'stopping now: the parts left run again on another worker');
          process.exit(130);
        }
        stopping = true;
        logger.info({ signal, running: running.worker.running }, 'stopping: finishing the parts running');
        void running.close().then(() => {
          logger.info('stopped');
          process.exitCode = 0;
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    } catch (error) {
      reportError('worker', error);
    }
  });
}
