import DataLoader from 'dataloader';
import type { Dashboard, ServingService } from '../serving/index.js';
import type { JobRunner } from '../jobs/index.js';
import type { StoredPrediction } from '../storage/index.js';

/** Key of the prediction loader: one clip under one model version. */
export interface PredictionKey {
  readonly clipId: number;
  readonly modelVersion: number;
}

/** What every resolver receives. Created per request, so DataLoader's cache never outlives it. */
export interface KwsContext {
  readonly service: ServingService;
  /** Background jobs (bulk scoring). */
  readonly jobs: JobRunner;
  /** The mistakes dashboard (hard examples, low-confidence clips, diffs between versions). */
  readonly dashboard: Dashboard;
  /** Logs an unexpected error (masked as INTERNAL in the response). */
  readonly log: (error: unknown) => void;
  /** Batches every `Clip.prediction` of one request into one call: cached outputs from the store, the rest in one pass through the dynamic batcher. */
  readonly predictions: DataLoader<PredictionKey, StoredPrediction, string>;
}

/** A fresh context for one GraphQL request (graphql/dataloader: one loader per request). */
export function createContext(
  service: ServingService,
  jobs: JobRunner,
  dashboard: Dashboard,
  log: (error: unknown) => void = () => undefined,
): KwsContext {
  return {
    service,
    jobs,
    dashboard,
    log,
    predictions: new DataLoader<PredictionKey, StoredPrediction, string>((keys) => service.predictions(keys), {
      cacheKeyFn: (k) => `${k.clipId}:${k.modelVersion}`,
      maxBatchSize: 256,
    }),
  };
}
