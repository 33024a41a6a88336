/**
 * The body of the WAL checkpointer's worker thread (entry `batch/wal-checkpoint.worker.ts`): its own connection to the database, a PASSIVE checkpoint
 * every `intervalMs`, and a last one when the parent posts `stop`. Checkpoints copy WAL pages into
 * the database and fsync both files (5-20 ms measured here), which must not happen on the event loop.
 */
import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** What the parent passes (`workerData.checkpoint`). */
export interface WalCheckpointWorkerData {
  readonly dbPath: string;
  readonly intervalMs: number;
}

/** Messages to the parent. */
export type WalCheckpointMessage =
  | { readonly type: 'checkpoint'; readonly walPages: number; readonly checkpointedPages: number }
  | { readonly type: 'error'; readonly message: string };

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs the checkpoint loop on `port` (the worker's `parentPort`): opens `dbPath` (it must exist),
 * checkpoints every `intervalMs` ms, and on a `stop` message checkpoints once more, closes the
 * database and the port. Failures are posted as `error` messages, never thrown.
 */
export function runWalCheckpointWorker({ dbPath, intervalMs }: WalCheckpointWorkerData, port: MessagePort): void {
  const post = (message: WalCheckpointMessage): void => port.postMessage(message);
  let db: Database.Database;
  try {
    db = new Database(dbPath, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    post({ type: 'error', message: `cannot open ${dbPath} to checkpoint it: ${describe(error)}` });
    return;
  }
  const checkpoint = (): void => {
    try {
      // PASSIVE: copies what it can without waiting for readers or writers, so it never blocks them.
      const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
      post({ type: 'checkpoint', walPages: row?.log ?? 0, checkpointedPages: row?.checkpointed ?? 0 });
    } catch (error) {
      post({ type: 'error', message: `WAL checkpoint of ${dbPath} failed: ${describe(error)}` });
    }
  };
  const timer = setInterval(checkpoint, intervalMs);
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    checkpoint();
    db.close();
    port.close();
  });
}
