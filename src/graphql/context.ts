import DataLoader from 'dataloader';
import type { Dashboard, ServingService } from '../serving/index.js';
import type { JobRunner } from '../jobs/index.js';
import type { AuditLog, Principal, StoredPrediction } from '../storage/index.js';

/** Key of the prediction loader: one clip under one model version. */
export interface PredictionKey {
  readonly clipId: number;
  readonly modelVersion: number;
}

/** The process-wide parts the GraphQL layer serves from. */
export interface GraphqlDeps {
  readonly service: ServingService;
  /** Background jobs (bulk scoring, training, searches). */
  readonly jobs: JobRunner;
  /** The mistakes dashboard (hard examples, low-confidence clips, diffs between versions). */
  readonly dashboard: Dashboard;
  /** Where state-changing mutations are recorded (and `auditLog` reads). */
  readonly audit: AuditLog;
  /** Counts each uploaded file once by outcome (`ok` or its error code), as REST uploads are (`kws_clips_total`). */
  readonly onUpload?: (outcome: string) => void;
}

/** What every resolver receives. Created per request, so DataLoader's cache never outlives it. */
export interface KwsContext extends GraphqlDeps {
  /** Largest uploaded file, bytes (the upload limits'). */
  readonly maxFileBytes: number;
  /** Who is asking (the API key), checked against each root field's scope before anything runs. */
  readonly principal: Principal;
  /**
   * The HTTP status a resolver asks for the whole response (null: Apollo's own): `classifyClips`
   * answers like `POST /v1/clips`, with the first file's error status when no file was classified.
   */
  readonly response: { httpStatus: number | null };
  /** Logs an unexpected error (masked as INTERNAL in the response). */
  readonly log: (error: unknown) => void;
  /** Batches every `Clip.prediction` of one request into one call: cached outputs from the store, the rest in one pass through the dynamic batcher. */
  readonly predictions: DataLoader<PredictionKey, StoredPrediction, string>;
}

/** A fresh context for one GraphQL request (graphql/dataloader: one loader per request). */
export function createContext(
  deps: GraphqlDeps & { readonly maxFileBytes: number },
  log: (error: unknown) => void,
  principal: Principal,
): KwsContext {
  const { service } = deps;
  return {
    ...deps,
    principal,
    response: { httpStatus: null },
    log,
    predictions: new DataLoader<PredictionKey, StoredPrediction, string>((keys) => service.predictions(keys), {
      cacheKeyFn: (k) => `${k.clipId}:${k.modelVersion}`,
      maxBatchSize: 256,
    }),
  };
}
