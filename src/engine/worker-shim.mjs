// Entry file of the engine's worker threads (piscina loads it by path). When the parent runs from
// TypeScript sources under tsx (tests, benchmarks), worker threads do not inherit tsx's loader, so
// this registers it before importing the TypeScript worker; built code imports the compiled .js.
import { workerData } from 'node:worker_threads';

const { entry, tsx } = workerData.kwsWorker;
if (tsx) (await import('tsx/esm/api')).register();
const impl = await import(entry);

export const prepare = (task) => impl.prepare(task);
export const infer = (task) => impl.infer(task);
export const scoreChunk = (task) => impl.scoreChunk(task);
