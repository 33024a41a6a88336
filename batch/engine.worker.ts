// Engine thread (piscina): decode + features, inference batches, bulk-scoring chunks. The work is in
// src/engine/engine-tasks.ts; this file only hands piscina the task handler (`handle`).
import { workerData } from 'node:worker_threads';
import { engineWorker } from '../src/engine/index.js';
import type { EngineWorkerData } from '../src/engine/index.js';

export const handle = engineWorker((workerData as { engine?: EngineWorkerData } | null)?.engine);
