export { saveLayersModel } from './artifacts.js';
export { loadLayersModel, MODEL_JSON, WEIGHTS_BIN } from '../engine/index.js';
export { restoreThresholds, storeThresholds } from './manifest.js';
export type { StoredThresholds, VersionManifest, VersionState } from './manifest.js';
export { ModelRegistry } from './model-registry.js';
export type { PendingVersion, VersionRecord } from './model-registry.js';
export { exportOnnx, ONNX_OPSET } from './onnx-export.js';
