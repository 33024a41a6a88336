// Data-parallel training thread: one replica of the model being trained (src/training/tfjs/thread-replica.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runReplicaWorker } from '../src/training/tfjs/index.js';
import type { ReplicaInit } from '../src/training/tfjs/index.js';

if (parentPort !== null) runReplicaWorker((workerData as { replica: ReplicaInit }).replica, parentPort);
