// Entry file of plain worker threads (training jobs, the WAL checkpointer). When the parent runs
// from TypeScript sources under tsx (tests), worker threads do not inherit tsx's loader, so this registers it before
// importing the TypeScript module; built code imports the compiled .js. The module does its work
// when imported.
import { workerData } from 'node:worker_threads';

const { entry, tsx } = workerData.kwsWorker;
if (tsx) (await import('tsx/esm/api')).register();
await import(entry);
