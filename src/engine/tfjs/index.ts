// The TF.js half of the engine: backend choice with CPU fallback, the wasm gradient kernel, layers
// model files and a TF.js model session. Kept out of `engine/index.ts` so that a process that only
// serves ONNX (the server's main thread) never loads TF.js; training, `kws classify` and scripts
// import it from here.
export { ensureTfjsBackend, selectTfjsBackend } from './tfjs-backend.js';
export type { TfjsBackendChoice, TfjsBackendName } from './tfjs-backend.js';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm-training-kernels.js';
export { loadLayersModel, MODEL_JSON, WEIGHTS_BIN } from './layers-model-file.js';
export type { LayersModelJson } from './layers-model-file.js';
export { saveLayersModel } from './save-layers-model.js';
export { openTfjsSession, predictModelOutput, withLogits } from './tfjs-session.js';
export { exportOnnx, ONNX_OPSET } from './onnx-export.js';
// Checks and wraps external ONNX models for `kws import` (onnx-proto only; here with the exporter, off the serving path).
export { IMPORT_OPSETS, wrapImportedOnnx } from './onnx-import.js';
export type { ImportedLayout, ImportedOutput, ImportGraphOptions, InspectedOnnx } from './onnx-import.js';
