// Training job thread: trains one model version (src/training/train-worker.ts) and reports to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainWorker } from '../src/training/tfjs/index.js';
import type { TrainWorkerData } from '../src/training/index.js';

if (parentPort !== null) await runTrainWorker((workerData as { train: TrainWorkerData }).train, parentPort);
