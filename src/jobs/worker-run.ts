import type { Worker } from 'node:worker_threads';
import { fromWorkerText } from './job-error.js';

/** The messages every worker thread that makes one version posts (training and version workers). */
type VersionMessage =
  | { readonly type: 'begin'; readonly version: number }
  | { readonly type: 'done'; readonly version: number }
  | { readonly type: 'error'; readonly message: string };

/** What a version-making worker reported before it exited. */
export interface WorkerRun {
  /** The version number it reserved (`begin`), or null. */
  readonly version: number | null;
  /** The version it made (`done`), or null. */
  readonly made: number | null;
  /** The first error: its `error` message (code kept, see `fromWorkerText`), a thread error, or a callback's throw. */
  readonly error: unknown;
  readonly exitCode: number;
}

/**
 * Follows a worker thread that makes one version until it exits: records `begin`, `done` and
 * `error`, passes `begin` to `onBegin` and any other message to `onOther`, and terminates the thread
 * when `signal` aborts or a callback throws (a report the job store refuses must not throw inside
 * the worker's event handler; it ends the run instead, as its error).
 */
export async function followVersionWorker<M extends { readonly type: string }>(
  worker: Worker,
  signal: AbortSignal | undefined,
  onBegin: (version: number) => void,
  onOther: (message: Exclude<M, VersionMessage>) => void = () => undefined,
): Promise<WorkerRun> {
  const terminate = (): void => void worker.terminate();
  signal?.addEventListener('abort', terminate, { once: true });
  const seen: { version: number | null; made: number | null; error: unknown } = {
    version: null,
    made: null,
    error: null,
  };
  const guarded = (report: () => void): void => {
    try {
      report();
    } catch (error) {
      seen.error ??= error;
      terminate();
    }
  };
  worker.on('message', (message: M | VersionMessage) => {
    const known = message as VersionMessage;
    switch (known.type) {
      case 'begin':
        seen.version = known.version;
        guarded(() => onBegin(known.version));
        break;
      case 'done':
        seen.made = known.version;
        break;
      case 'error':
        seen.error ??= fromWorkerText(known.message);
        break;
      default:
        guarded(() => onOther(message as Exclude<M, VersionMessage>));
    }
  });
  const exitCode = await new Promise<number>((resolve) => {
    worker.once('error', (error) => {
      seen.error ??= error;
    });
    worker.once('exit', resolve);
  });
  signal?.removeEventListener('abort', terminate);
  return { ...seen, exitCode };
}
