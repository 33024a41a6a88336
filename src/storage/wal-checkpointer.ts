import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../config/index.js';
import type { WalCheckpointMessage, WalCheckpointWorkerData } from './wal-checkpoint.js';

/** Options of the {@link WalCheckpointer}. */
export interface WalCheckpointerOptions {
  /** Time between checkpoints, ms. Default 1000. */
  readonly intervalMs: number;
  /** Called with the message of a checkpoint that failed (the next one is tried anyway). */
  readonly onError: (message: string) => void;
  /**
   * Called once if the thread stops before {@link WalCheckpointer.close} (it could not open the
   * database, or crashed): the owner should give its connections back SQLite's own automatic
   * checkpoints (`wal_autocheckpoint` 1000), or the WAL grows to the backstop.
   */
  readonly onStopped: () => void;
}

/**
 * `wal_autocheckpoint` for the connections of a process whose checkpoints run in a
 * {@link WalCheckpointer}: a backstop of 16,384 pages (64 MB of 4 KB pages) that only a stalled
 * checkpointer lets the WAL reach. SQLite's default is 1,000 pages.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

/** SQLite's default `wal_autocheckpoint`, pages (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT). */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Runs SQLite WAL checkpoints in a worker thread. With SQLite's default `wal_autocheckpoint`, the
 * commit that takes the WAL past 1,000 pages runs the checkpoint itself, fsyncs included: on the
 * serving connection that stalled the event loop for 10-17 ms about once a second under upload load
 * (measured here), delaying every request in flight. The server's connections raise their
 * threshold to {@link BACKSTOP_AUTOCHECKPOINT_PAGES} and this thread checkpoints every
 * `intervalMs` instead (PASSIVE mode: it never blocks readers or writers). See SQLite's
 * "Write-Ahead Logging" documentation, sections on automatic and application-initiated checkpoints.
 */
export class WalCheckpointer {
  /** Pages in the WAL after the last checkpoint, and how many of them it copied. */
  last: { walPages: number; checkpointedPages: number } | null = null;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closing = false;

  private constructor(dbPath: string, options: WalCheckpointerOptions) {
    const checkpoint: WalCheckpointWorkerData = { dbPath, intervalMs: options.intervalMs };
    this.worker = spawnWorker('wal-checkpoint', { checkpoint });
    this.worker.on('message', (message: WalCheckpointMessage) => {
      if (message.type === 'checkpoint')
        this.last = { walPages: message.walPages, checkpointedPages: message.checkpointedPages };
      else options.onError(message.message);
    });
    this.worker.on('error', (error) => options.onError(error.message));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        if (!this.closing) options.onStopped();
        resolve();
      }),
    );
    this.worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
  }

  /**
   * Starts checkpointing the SQLite file `dbPath` (a file database in WAL mode; not `:memory:`).
   *
   * @param options.intervalMs Time between checkpoints, ms (default 1000).
   */
  static start(dbPath: string, options: Partial<WalCheckpointerOptions> = {}): WalCheckpointer {
    return new WalCheckpointer(dbPath, {
      intervalMs: 1000,
      onError: () => undefined,
      onStopped: () => undefined,
      ...options,
    });
  }

  /** Runs a last checkpoint and stops the thread. */
  async close(): Promise<void> {
    this.closing = true;
    this.worker.ref(); // the process waits for the last checkpoint
    this.worker.postMessage('stop');
    await this.exited;
  }
}
