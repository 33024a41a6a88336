import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Level, Logger } from 'pino';
import { loadConfig } from '../config/index.js';
import { KwsError } from '../errors/index.js';
import { EnginePool } from '../engine/index.js';
import type { EnginePoolOptions } from '../engine/index.js';
import { createGraphqlHandlers } from '../graphql/index.js';
import type { BatcherOptions } from '../inference/index.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, ClipStore, SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES, WalCheckpointer } from '../storage/index.js';
import { Dashboard, ServingService } from '../serving/index.js';
import { JobRunner, JobStore } from '../jobs/index.js';
import type { Readiness } from '../serving/index.js';
import { ModelRegistry } from '../registry/index.js';
import { createApp } from './app.js';
import { DEFAULT_UPLOAD_LIMITS } from './clips.route.js';
import type { UploadLimits } from './clips.route.js';
import { ServingMetrics } from './metrics.js';

/** Options of {@link startServer}; every field has a default. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. Default 4000. */
  readonly port: number;
  /** Interface to listen on. Default `127.0.0.1`; `0.0.0.0` in the container image. */
  readonly host: string;
  /** Model repository. Default: the bundled `models/` (or KWS_MODELS_DIR). */
  readonly modelsDir: string;
  /** State folder: `kws.db`, uploaded clips. Default `./var` (or KWS_DATA_DIR). */
  readonly dataDir: string;
  readonly engine: Partial<EnginePoolOptions>;
  readonly batcher: Partial<BatcherOptions>;
  readonly uploads: UploadLimits;
  /** pino level; `silent` for none. Default `info`. */
  readonly logLevel: Level | 'silent';
  /** Folders GraphQL `scoreTestSet` may read. Default: KWS_SCORE_ROOTS, else `<dataDir>/inputs`. */
  readonly scoreRoots: readonly string[];
  /** Clips per bulk-scoring chunk (and checkpoint) in jobs. Default 256. */
  readonly jobChunkSize: number;
  /** On close, how long requests in flight may take to finish before their connections are cut, ms. Default 10000. */
  readonly drainTimeoutMs: number;
  /** Wait for the serving version's warm-up before resolving. Default true. */
  readonly waitUntilReady: boolean;
}

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
 * @throws KwsError `FILE_NOT_FOUND` for a missing model repository, `FILE_UNWRITABLE` for a data
 *   folder that cannot be written, `INVALID_ARGUMENT` for bad engine or batcher options.
 */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const config = loadConfig({ ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }), ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }) });
  const logger = pino({ level: options.logLevel ?? 'info', base: { service: 'kws-serve' } });
  const uploads = options.uploads ?? DEFAULT_UPLOAD_LIMITS;
  const dbPath = join(config.dataDir, 'kws.db');
  const registry = ModelRegistry.open(config.modelsDir, dbPath, { createModelsDir: false });
  const store = ClipStore.open(config.dataDir, dbPath);
  const metrics = new ServingMetrics();
  const pool = new EnginePool(options.engine);
  const batcher = { maxConcurrentBatches: pool.options.threads, ...options.batcher };
  const service = new ServingService(registry, store, pool, { batcher, onBatch: (report) => metrics.observeBatch(report) });
  const jobStore = JobStore.open(dbPath);
  const jobs = new JobRunner(registry, pool, jobStore, { allowedRoots: options.scoreRoots ?? config.scoreRoots, outputRoot: join(config.dataDir, 'jobs'), dbPath, onVersion: (version) => logger.info({ version }, 'trained a new model version'), ...(options.jobChunkSize === undefined ? {} : { chunkSize: options.jobChunkSize }) });
  const graphql = await createGraphqlHandlers(service, jobs, new Dashboard(registry, pool), uploads, (error) => logger.error({ err: error }, 'unexpected GraphQL error'));
  const app = createApp({ service, jobs, metrics, logger, uploads, graphql: graphql.handlers });
  // WAL checkpoints (fsyncs included) run in a worker thread, not in the commit of an upload; if
  // that thread stops, the connections go back to SQLite's own automatic checkpoints.
  const autoCheckpoint = (pages: number): void => {
    try {
      for (const s of [store, jobStore]) s.setAutoCheckpointPages(pages);
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
  const server: Server = app.listen(options.port ?? 4000, options.host ?? '127.0.0.1');
  // A client that stops sending mid-body must not hold a connection forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  try {
    await once(server, 'listening');
  } catch (error) {
    await graphql.stop();
    await pool.close();
    store.close();
    jobStore.close();
    registry.close();
    await checkpointer.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new KwsError('INVALID_ARGUMENT', `port ${options.port ?? 4000} is already in use on ${options.host ?? '127.0.0.1'}; choose another with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new KwsError('INVALID_ARGUMENT', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 4000} (${code})`);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' || options.host === undefined ? '127.0.0.1' : options.host}:${port}`;
  const warming = service.start().then((readiness) => {
    jobs.resumeInterrupted();
    if (readiness.ready) logger.info({ version: readiness.version, provider: readiness.provider, url }, 'ready');
    else logger.warn({ reason: readiness.reason }, 'not ready');
    return readiness;
  });
  const readiness = options.waitUntilReady === false ? service.readiness() : await warming;
  let closing: Promise<void> | null = null;
  return {
    url,
    service,
    jobs,
    metrics,
    readiness,
    logger,
    close: () => {
      closing ??= (async () => {
        try {
          // Graceful: not ready, no new connections, requests in flight finish (up to drainTimeoutMs),
          // then queued inference fails with NOT_READY and threads and databases close.
          service.drain();
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          const deadline = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
          await closed;
          await service.idle(options.drainTimeoutMs ?? 10_000); // handlers whose client hung up still finish
          clearTimeout(deadline);
          service.stop();
          await jobs.close();
          await warming;
          await graphql.stop();
          await pool.close();
          store.close();
          jobStore.close();
          registry.close();
        } finally {
          await checkpointer.close(); // the last connection: its close checkpoints and removes the WAL
        }
      })();
      return closing;
    },
  };
}
