import type { ConnectionOptions } from 'bullmq';
import { describeValue, KwsError } from '../errors/index.js';
import type { JobKind } from './job-record.js';

/** The BullMQ queue of each job kind (a worker's `--kinds` picks among them). */
export const QUEUE_NAMES = { score: 'kws-score', train: 'kws-train', search: 'kws-search' } as const satisfies Record<
  JobKind,
  string
>;

/** BullMQ job names: a scoring job's shards and the parent that assembles them, a training run, a search trial. */
export const TASKS = { shard: 'shard', assemble: 'assemble', train: 'train', trial: 'trial' } as const;

/** The data of every BullMQ job: the kws job it is part of, and which part. */
export interface TaskData {
  /** The job's id in the job store. */
  readonly jobId: number;
  /**
   * The job's `createdAt`: a worker checks it against the record its `kws.db` has under `jobId`, so
   * that a worker of another deployment sharing the Redis never runs someone else's job.
   */
  readonly createdAt: string;
  /** A shard's index (from 0) or a trial's number (from 1); absent for the rest. */
  readonly part?: number;
}

/**
 * The BullMQ job id of a part of a job: unique (adding it twice adds it once), and with the job's
 * creation time in it, so that a job store started again from nothing does not reuse old ids.
 */
export function taskId(
  job: { readonly kind: JobKind; readonly id: number; readonly createdAt: string },
  part?: number,
): string {
  const base = `${job.kind}-${job.id}-${Date.parse(job.createdAt)}`;
  return part === undefined ? base : `${base}-${part}`;
}

/**
 * Checks a Redis URL (`redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS).
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the value.
 */
export function checkRedisUrl(url: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL
  }
  if (parsed === null || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '')
    throw new KwsError(
      'INVALID_ARGUMENT',
      `a Redis URL is redis://host[:port][/db] (or rediss:// for TLS), got ${describeValue(url)}`,
    );
  return url;
}

/**
 * BullMQ connection options for a URL. Workers wait for Redis to come back (ioredis retries each
 * command for ever: `maxRetriesPerRequest: null`, as BullMQ requires for workers); the server's
 * producer fails a command at once while Redis is unreachable, so that a submission is refused
 * (`NOT_READY`) and never hangs.
 */
export function redisConnection(url: string, role: 'worker' | 'producer'): ConnectionOptions {
  return role === 'worker'
    ? { url: checkRedisUrl(url), maxRetriesPerRequest: null }
    : { url: checkRedisUrl(url), maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
}

/** A Redis URL with its password hidden, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparsable URL)';
  }
}

/**
 * Waits until every BullMQ client is connected (`waitUntilReady`), or rejects after `timeoutMs` with
 * an `Error` saying so: ioredis retries an unreachable Redis for ever, so a start must not wait on it
 * alone.
 */
export async function readyWithin(
  clients: ReadonlyArray<{ waitUntilReady(): Promise<unknown> }>,
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(clients.map((c) => c.waitUntilReady())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
