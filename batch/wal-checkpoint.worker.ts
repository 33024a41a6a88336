// WAL checkpointer thread: PASSIVE checkpoints off the event loop (src/storage/wal-checkpoint.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runWalCheckpointWorker } from '../src/storage/index.js';
import type { WalCheckpointWorkerData } from '../src/storage/index.js';

if (parentPort !== null)
  runWalCheckpointWorker((workerData as { checkpoint: WalCheckpointWorkerData }).checkpoint, parentPort);
