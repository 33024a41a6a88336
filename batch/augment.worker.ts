// Training input thread: makes augmented feature batches ahead of the training step (src/training/batch-source.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runBatchWorker } from '../src/training/index.js';
import type { BatchMakerInit } from '../src/training/index.js';

if (parentPort !== null) runBatchWorker((workerData as { batches: BatchMakerInit }).batches, parentPort);
