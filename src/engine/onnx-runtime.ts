import type * as OnnxRuntime from 'onnxruntime-node';
import { disableOnnxRuntimeTelemetry } from '../config/index.js';

/**
 * Imports onnxruntime-node, the one way src loads it: with its telemetry off first (see
 * `disableOnnxRuntimeTelemetry`; worker threads get it from `workerEntry`, on the main thread).
 */
export async function importOnnxRuntime(): Promise<typeof OnnxRuntime> {
  disableOnnxRuntimeTelemetry();
  return import('onnxruntime-node');
}
