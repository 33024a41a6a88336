import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Express } from 'express';
import { pino } from 'pino';
import type { Level, Logger } from 'pino';
import { loadConfig, makeDirs } from '../config/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import { EnginePool } from '../engine/index.js';
import type { EnginePoolOptions } from '../engine/index.js';
import { createGraphqlHandlers } from '../graphql/index.js';
import type { BatcherOptions } from '../inference/index.js';
import {
  ApiKeyStore,
  AuditLog,
  BACKSTOP_AUTOCHECKPOINT_PAGES,
  ClipStore,
  SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES,
  WalCheckpointer,
} from '../storage/index.js';
import { Dashboard, ServingService } from '../serving/index.js';
import { checkRedisUrl, JobRunner, JobStore, NoJobQueue, redactRedisUrl, RedisJobQueue } from '../jobs/index.js';
import type { JobQueue } from '../jobs/index.js';
import type { Readiness } from '../serving/index.js';
import { ModelRegistry } from '../registry/index.js';
import { createApp } from './app.js';
import { isLoopback } from './authenticate.js';
import { KeyRateLimiter } from './rate-limit.js';
import { DEFAULT_UPLOAD_LIMITS } from './clips.route.js';
import type { UploadLimits } from './clips.route.js';
import { ServingMetrics } from './metrics.js';

/** Options of {@link startServer}; every field has a default ({@link DEFAULT_SERVER_OPTIONS} and the fields' own). */
export interface ServerOptions {
  /** TCP port, 0 to 65535; 0 picks a free one. Default 4000. */
  readonly port: number;
  /** Interface to listen on. Default `127.0.0.1`; `0.0.0.0` in the container image. */
  readonly host: string;
  /** Model repository. Default: `<dataDir>/models` (or KWS_MODELS_DIR), the bundled `models/` readable from it. */
  readonly modelsDir: string;
  /** State folder: `kws.db`, uploaded clips. Default `./var` (or KWS_DATA_DIR). */
  readonly dataDir: string;
  /** The engine worker threads, runtime and device. Default: `defaultEnginePoolOptions()`. */
  readonly engine: Partial<EnginePoolOptions>;
  /** The dynamic batcher. Default: `DEFAULT_BATCHER_OPTIONS`, with `maxConcurrentBatches` the engine's thread count. */
  readonly batcher: Partial<BatcherOptions>;
  /** Limits of uploads (REST and GraphQL). Default: `DEFAULT_UPLOAD_LIMITS`. */
  readonly uploads: UploadLimits;
  /** pino level; `silent` for none. Default `info`. */
  readonly logLevel: Level | 'silent';
  /** Folders GraphQL `scoreTestSet` may read. Default: KWS_SCORE_ROOTS, else `<dataDir>/inputs`. */
  readonly scoreRoots: readonly string[];
  /** Clips per bulk-scoring chunk (and checkpoint) in jobs. Default 256 (the job runner's). */
  readonly jobChunkSize: number;
  /**
   * The Redis that jobs go through, `redis://host:port[/db]`: jobs then run on `kws worker`
   * processes (README "Scaling out"). Default: KWS_REDIS_URL, else none: jobs run in this process.
   */
  readonly redisUrl: string;
  /** Clips per shard of a scoring job on Redis (rounded up to whole chunks). Default 4096. */
  readonly shardClips: number;
  /**
   * A serving replica: uploads are classified and not stored, jobs go to Redis (none without it),
   * and nothing of another process's jobs is resumed. Default false.
   */
  readonly stateless: boolean;
  /** On close, how long requests in flight may take to finish before their connections are cut, ms. Default 10000. */
  readonly drainTimeoutMs: number;
  /** Wait for the serving version's warm-up before resolving. Default true. */
  readonly waitUntilReady: boolean;
  /** Most time a client may take to send a whole request, ms (Node's `requestTimeout`; then 408). Default 60000. */
  readonly requestTimeoutMs: number;
  /**
   * Listen on an address other than loopback although the data folder has no API key (everyone
   * who can reach the port may do everything). Default false: such a start is refused.
   */
  readonly insecure: boolean;
  /** Serve `/metrics` without a key. Default false: it needs the `read` scope once keys exist. */
  readonly metricsPublic: boolean;
  /** The built browser apps (dashboard, API explorer). Default `WEB_DIR` (`dist/web`, written by `npm run build`). */
  readonly webDir: string;
  /** Origins browsers may call from (CORS). Default none: CORS off. */
  readonly corsOrigins: readonly string[];
  /** Requests a second each API key (without keys: each client address) may make; a token bucket. Default none: no limit. */
  readonly rateLimitPerSecond: number;
  /** Requests at once after a pause (the bucket's size). Default: twice the rate, at least 1. */
  readonly rateLimitBurst: number;
}

/** The defaults of the {@link ServerOptions} that are plain values (the others are resolved from the environment or by their layer). */
export const DEFAULT_SERVER_OPTIONS = Object.freeze({
  port: 4000,
  host: '127.0.0.1',
  logLevel: 'info',
  drainTimeoutMs: 10_000,
  waitUntilReady: true,
  requestTimeoutMs: 60_000,
  insecure: false,
  metricsPublic: false,
  stateless: false,
} as const satisfies Partial<ServerOptions>);

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly service: ServingService;
  readonly jobs: JobRunner;
  readonly metrics: ServingMetrics;
  readonly readiness: Readiness;
  readonly logger: Logger;
  /** Stops accepting connections, lets requests in flight finish, then releases threads and databases. */
  close(): Promise<void>;
}

/**
 * Starts kws-serve: opens the model registry and the clip store (`<dataDir>/kws.db`, SQLite WAL),
 * starts the engine worker threads and the dynamic batcher, mounts REST and GraphQL, listens, and
 * warms the production version (`/readyz` answers 503 until it is warm).
 *
 * Security (README "Security"): requests need an API key once the data folder's `kws.db` has had
 * one (`kws keys create`); a folder that never had one serves everyone, and then only on a loopback
 * address unless `insecure`.
 *
 * @throws KwsError `FILE_NOT_FOUND` for a missing model repository, `FILE_UNWRITABLE` for a data
 *   folder that cannot be written, `INVALID_ARGUMENT` for bad engine or batcher options, or for a
 *   non-loopback `host` without any API key and without `insecure`.
 */
export async function startServer(given: Partial<ServerOptions> = {}): Promise<RunningServer> {
  // Defaults merged once; a field given as undefined keeps its default.
  const options = {
    ...DEFAULT_SERVER_OPTIONS,
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
  } as Partial<ServerOptions> & Pick<ServerOptions, keyof typeof DEFAULT_SERVER_OPTIONS>;
  const config = loadConfig({
    ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.redisUrl === undefined ? {} : { redisUrl: checkRedisUrl(options.redisUrl) }),
  });
  const logger = pino({ level: options.logLevel, base: { service: 'kws-serve' } });
  // Checked before anything is opened, so that a refusal leaves nothing running.
  const limiter = limiterOf(options);
  const corsOrigins = checkOrigins(options.corsOrigins ?? []);
  const uploads = options.uploads ?? DEFAULT_UPLOAD_LIMITS;
  const dbPath = join(config.dataDir, 'kws.db');
  try {
    makeDirs(config.dataDir); // a fresh checkout has no ./var yet
  } catch (error) {
    throw fromFsError(error, config.dataDir, 'write');
  }
  const keys = ApiKeyStore.open(dbPath);
  if (!keys.anyKeyEver()) {
    if (!isLoopback(options.host) && !options.insecure) {
      keys.close();
      throw new KwsError(
        'INVALID_ARGUMENT',
        `refusing to listen on ${options.host} without an API key: anyone who reaches it could retrain, promote and read every clip. Create one (kws keys create --name NAME --scope admin --data-dir ${config.dataDir}) or pass --insecure`,
      );
    }
    logger.warn(
      { host: options.host, insecure: options.insecure },
      'no API key in this data folder: the server is open to everyone who can reach it (kws keys create makes one)',
    );
  }
  // The stores a failed start must close again (a mistyped --models-dir, say), newest first.
  const opened: Array<{ close(): void }> = [keys];
  const open = <T extends { close(): void }>(make: () => T): T => {
    try {
      const made = make();
      opened.unshift(made);
      return made;
    } catch (error) {
      for (const o of opened) o.close();
      throw error;
    }
  };
  const audit = open(() => AuditLog.open(dbPath));
  const registry = open(() => ModelRegistry.open(config.modelsDir, { createModelsDir: config.modelsDirIsDefault }));
  const store = open(() => ClipStore.open(config.dataDir, dbPath));
  const metrics = new ServingMetrics();
  const pool = new EnginePool(options.engine);
  const batcher = { maxConcurrentBatches: pool.options.threads, ...options.batcher };
  const service = new ServingService(registry, store, pool, {
    batcher,
    onBatch: (report) => metrics.observeBatch(report),
    onAnswer: (view) => metrics.observeAnswer(view),
    storeClips: options.stateless !== true,
  });
  const jobStore = open(() => JobStore.open(dbPath));
  let queue: JobQueue | undefined;
  try {
    queue = await jobQueueOf(jobStore, config.redisUrl, options);
  } catch (error) {
    await pool.close();
    for (const o of opened) o.close();
    throw error;
  }
  if (queue !== undefined)
    logger.info(
      { queue: queue.backend, redis: config.redisUrl === null ? null : redactRedisUrl(config.redisUrl) },
      'job queue',
    );
  const jobs = new JobRunner(registry, pool, jobStore, {
    ...(queue === undefined ? {} : { queue }),
    allowedRoots: options.scoreRoots ?? config.scoreRoots,
    outputRoot: join(config.dataDir, 'jobs'),
    dbPath,
    onVersion: (version) => logger.info({ version }, 'trained a new model version'),
    onInternalError: (error, job) => logger.error({ err: error, job }, 'job failed unexpectedly'),
    ...(options.jobChunkSize === undefined ? {} : { chunkSize: options.jobChunkSize }),
  });
  const graphql = await createGraphqlHandlers(
    {
      service,
      jobs,
      dashboard: new Dashboard(registry, pool, (path) => jobs.mayRead(path)),
      audit,
      onUpload: (outcome) => metrics.clips.inc({ outcome }),
    },
    uploads,
    (error) => logger.error({ err: error }, 'unexpected GraphQL error'),
  );
  const app = createApp({
    service,
    jobs,
    metrics,
    logger,
    uploads,
    graphql: graphql.handlers,
    keys,
    metricsPublic: options.metricsPublic,
    ...(options.webDir === undefined ? {} : { webDir: options.webDir }),
    corsOrigins,
    anyHost: !isLoopback(options.host),
    limiter,
  });
  const checkpointer = startCheckpointer(dbPath, [store, jobStore], logger);
  const closeStores = async (): Promise<void> => {
    await graphql.stop();
    await pool.close();
    store.close();
    jobStore.close();
    registry.close();
    keys.close();
    audit.close();
  };
  let server: Server;
  try {
    server = await listen(app, options.host, options.port, options.requestTimeoutMs);
  } catch (error) {
    await closeStores();
    await checkpointer.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  store.removeOrphans().then(
    (removed) => {
      if (removed > 0) logger.info({ removed }, 'removed clip files no row names (left by a crash)');
    },
    (error: unknown) => logger.warn({ err: error }, 'could not look for orphan clip files'),
  );
  const warming = service.start().then((readiness) => {
    jobs.resumeInterrupted();
    if (readiness.ready) logger.info({ version: readiness.version, provider: readiness.provider, url }, 'ready');
    else logger.warn({ reason: readiness.reason }, 'not ready');
    return readiness;
  });
  const readiness = options.waitUntilReady ? await warming : service.readiness();
  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    try {
      await drain(server, service, options.drainTimeoutMs);
      service.stop();
      await jobs.close();
      await warming;
      await closeStores();
    } finally {
      await checkpointer.close(); // the last connection: its close checkpoints and removes the WAL
    }
  };
  return { url, service, jobs, metrics, readiness, logger, close: () => (closing ??= close()) };
}

/**
 * The job queue of a server: BullMQ on Redis with a Redis URL; none on a stateless replica without
 * one (`NoJobQueue`); else undefined, for the runner's embedded queue.
 *
 * @throws KwsError `NOT_READY` when Redis does not answer, `INVALID_ARGUMENT` for a bad option.
 */
async function jobQueueOf(
  store: JobStore,
  redisUrl: string | null,
  options: Partial<ServerOptions>,
): Promise<JobQueue | undefined> {
  if (redisUrl !== null)
    return RedisJobQueue.connect(store, {
      url: redisUrl,
      ...(options.jobChunkSize === undefined ? {} : { chunkSize: options.jobChunkSize }),
      ...(options.shardClips === undefined ? {} : { shardClips: options.shardClips }),
    });
  return options.stateless === true ? new NoJobQueue() : undefined;
}

/**
 * WAL checkpoints (fsyncs included) in a worker thread, not in the commit of an upload: the stores'
 * connections raise their automatic checkpoint to a backstop; if that thread stops, they go back to
 * SQLite's own automatic checkpoints.
 */
function startCheckpointer(
  dbPath: string,
  stores: ReadonlyArray<{ setAutoCheckpointPages(pages: number): void }>,
  logger: Logger,
): WalCheckpointer {
  const autoCheckpoint = (pages: number): void => {
    try {
      for (const s of stores) s.setAutoCheckpointPages(pages);
    } catch {
      // closed already (shutdown): nothing left to checkpoint
    }
  };
  const checkpointer = WalCheckpointer.start(dbPath, {
    onError: (message) => logger.warn({ message }, 'WAL checkpoint failed'),
    onStopped: () => {
      logger.warn('the WAL checkpoint thread stopped; SQLite checkpoints on commit again');
      autoCheckpoint(SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES);
    },
  });
  autoCheckpoint(BACKSTOP_AUTOCHECKPOINT_PAGES);
  return checkpointer;
}

/**
 * Listens on `host:port` (0 picks a free port), with request and header timeouts so that a client
 * that stops sending mid-body (a Content-Length larger than what it sends) cannot hold a connection:
 * past `requestTimeoutMs` (checked every second) Node answers 408 and closes it.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a port in use or an address that cannot be listened on.
 */
async function listen(app: Express, host: string, port: number, requestTimeoutMs: number): Promise<Server> {
  const server: Server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(20_000, requestTimeoutMs),
      // How often Node looks for requests past their timeout (its default, 30 s, let a stalled one live 90 s).
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs),
    },
    app,
  ).listen(port, host);
  try {
    await once(server, 'listening');
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new KwsError('INVALID_ARGUMENT', `port ${port} is already in use on ${host}; choose another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
      throw new KwsError('INVALID_ARGUMENT', `cannot listen on ${host}:${port} (${code})`);
    throw error;
  }
}

/**
 * The graceful part of a shutdown: not ready, no new connections, requests in flight finish (up to
 * `drainTimeoutMs`, ms, then the remaining connections are cut), and handlers whose client hung up
 * still finish. Queued inference fails with NOT_READY afterwards (`ServingService.stop`).
 */
async function drain(server: Server, service: ServingService, drainTimeoutMs: number): Promise<void> {
  service.drain();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
  await closed;
  await service.idle(drainTimeoutMs);
  clearTimeout(deadline);
}

/**
 * CORS origins as browsers send them: `scheme://host[:port]`, nothing more.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming an origin that is not one (`*`, a path, a trailing slash).
 */
export function checkOrigins(origins: readonly string[]): readonly string[] {
  for (const origin of origins) {
    let parsed: string | null = null;
    try {
      parsed = new URL(origin).origin;
    } catch {
      // not a URL
    }
    if (parsed !== origin)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `a CORS origin is scheme://host[:port] with nothing after it, got ${JSON.stringify(origin)}`,
      );
  }
  return origins;
}

/**
 * The rate limiter of the options: none without `rateLimitPerSecond`; the burst defaults to twice the
 * rate (at least 1).
 *
 * @throws KwsError `INVALID_ARGUMENT` for a burst without a rate, or values `KeyRateLimiter` refuses.
 */
function limiterOf(options: Partial<ServerOptions>): KeyRateLimiter | null {
  if (options.rateLimitPerSecond === undefined) {
    if (options.rateLimitBurst !== undefined)
      throw new KwsError('INVALID_ARGUMENT', 'a rate burst needs a rate limit (--rate-limit) to apply to');
    return null;
  }
  return new KeyRateLimiter({
    requestsPerSecond: options.rateLimitPerSecond,
    burst: options.rateLimitBurst ?? Math.max(1, Math.ceil(2 * options.rateLimitPerSecond)),
  });
}
