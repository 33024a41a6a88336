// Version thread: makes one ensemble or imported version (src/training/tfjs/version-worker.ts) and reports to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { runVersionWorker } from '../src/training/tfjs/index.js';
import type { VersionWorkerData } from '../src/training/index.js';

if (parentPort !== null) await runVersionWorker((workerData as { version: VersionWorkerData }).version, parentPort);
