// The one entry file of every worker thread (engine threads under piscina, training jobs, the WAL
// checkpointer); see `workerEntry` in src/config/workers.ts. When the parent runs from TypeScript
// sources under tsx, worker threads do not inherit tsx's loader, so this registers it before
// importing the TypeScript entry; built code imports the compiled `.js`. Plain entries do their work
// when imported; the engine entry exports piscina's task handler as `handle`.
import { workerData } from 'node:worker_threads';

const { entry, tsx } = workerData.kwsWorker;
if (tsx) (await import('tsx/esm/api')).register();
const impl = await import(entry);

export const handle = impl.handle;
