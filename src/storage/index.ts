export { ClipStore, sanitizeFilename } from './clip-store.js';
export type { ClipRecord, StoredPrediction } from './clip-store.js';
export {
  BACKSTOP_AUTOCHECKPOINT_PAGES,
  SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES,
  WalCheckpointer,
} from './wal-checkpointer.js';
export type { WalCheckpointerOptions } from './wal-checkpointer.js';
export { runWalCheckpointWorker } from './wal-checkpoint.js';
export type { WalCheckpointMessage, WalCheckpointWorkerData } from './wal-checkpoint.js';
export { BUSY_TIMEOUT_MS, columnsOf, migrate, openDatabase, setAutoCheckpointPages } from './database.js';
export type { Migration, OpenDatabaseOptions, SqliteDatabase } from './database.js';
export { ScoreCheckpointStore } from './score-checkpoint-store.js';
export type { ScoreCheckpoint } from './score-checkpoint-store.js';
export {
  ApiKeyStore,
  API_KEY_RANDOM_BYTES,
  canSeeClip,
  OPEN_PRINCIPAL,
  parseScope,
  principalKeyId,
  principalOn,
  principalScope,
  scopeAllows,
  SCOPES,
  seesEveryClip,
  setPrincipal,
} from './api-key-store.js';
export type { ApiKeyRecord, CreatedApiKey, Principal, Scope } from './api-key-store.js';
export { AuditLog } from './audit-log.js';
export type { AuditEntry } from './audit-log.js';
