import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { EnginePool } from '../engine/index.js';
import { KwsError } from '../errors/index.js';
import { ModelRegistry } from '../registry/index.js';
import type { JobKind } from './job-record.js';
import { JobStore } from './job-store.js';
import { JobWorker } from './redis-worker.js';
import type { JobWorkerOptions } from './redis-worker.js';

/** Options of {@link startWorkerProcess}: the folders, Redis, and the worker's own. */
export interface WorkerProcessOptions extends Omit<JobWorkerOptions, 'registry' | 'store' | 'pool' | 'dbPath' | 'url'> {
  /** `--redis`; default `KWS_REDIS_URL`. */
  readonly url?: string;
  /** The model repository the server uses (shared). Default: as `kws serve` (`<dataDir>/models`, KWS_MODELS_DIR). */
  readonly modelsDir?: string;
  /** The data folder the server uses (shared: `kws.db`, job outputs). Default: as `kws serve` (`./var`, KWS_DATA_DIR). */
  readonly dataDir?: string;
  /** Engine threads scoring shards. Default: the CPU count. */
  readonly threads?: number;
}

/** A running `kws worker`. */
export interface WorkerProcess {
  readonly worker: JobWorker;
  readonly url: string;
  readonly kinds: readonly JobKind[];
  /** Stops taking parts, waits for the running ones (unless `force`), then closes the stores. */
  close(force?: boolean): Promise<void>;
}

/**
 * Starts a `kws worker`: opens the shared model repository and `kws.db`, starts engine threads,
 * and takes parts of jobs from Redis.
 *
 * @throws KwsError `INVALID_ARGUMENT` without a Redis URL (neither `url` nor `KWS_REDIS_URL`) or
 *   for a bad option; `FILE_NOT_FOUND` for a missing model repository.
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const config = loadConfig({
    ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.url === undefined ? {} : { redisUrl: options.url }),
  });
  const url = config.redisUrl;
  if (url === null)
    throw new KwsError('INVALID_ARGUMENT', 'a worker needs Redis: pass --redis redis://host:port or set KWS_REDIS_URL');
  const dbPath = join(config.dataDir, 'kws.db');
  const registry = ModelRegistry.open(config.modelsDir, { createModelsDir: config.modelsDirIsDefault });
  const store = JobStore.open(dbPath);
  const pool = new EnginePool(options.threads === undefined ? {} : { threads: options.threads });
  const kinds = options.kinds ?? (['score', 'train', 'search'] as const);
  let worker: JobWorker;
  try {
    worker = await JobWorker.start({ ...options, kinds, url, registry, store, pool, dbPath });
  } catch (error) {
    await pool.close();
    store.close();
    registry.close();
    throw error;
  }
  return {
    worker,
    url,
    kinds,
    close: async (force = false) => {
      await worker.close(force);
      await pool.close();
      store.close();
      registry.close();
    },
  };
}
