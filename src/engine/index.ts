export { ensureTfjsBackend, selectTfjsBackend } from './tfjs-backend.js';
export type { TfjsBackendChoice, TfjsBackendName } from './tfjs-backend.js';
export { wasmConv2DBackpropFilterKernel } from './wasm-conv2d-filter-grad.js';
