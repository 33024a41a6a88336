/**
 * The WAL checkpointer's worker thread: its own connection to the database, a PASSIVE checkpoint
 * every `intervalMs`, and a last one when the parent posts `stop`. Checkpoints copy WAL pages into
 * the database and fsync both files (5-20 ms measured here), which must not happen on the event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
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

const { dbPath, intervalMs } = (workerData as { checkpoint: WalCheckpointWorkerData }).checkpoint;
const post = (message: WalCheckpointMessage): void => parentPort?.postMessage(message);
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function run(db: Database.Database): void {
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
  parentPort?.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort?.close();
  });
}

let opened: Database.Database | null = null;
try {
  opened = new Database(dbPath, { fileMustExist: true });
  opened.pragma('busy_timeout = 5000');
} catch (error) {
  post({ type: 'error', message: `cannot open ${dbPath} to checkpoint it: ${describe(error)}` });
}
if (opened !== null) run(opened);
