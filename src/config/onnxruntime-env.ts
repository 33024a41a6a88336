/**
 * Turns onnxruntime's telemetry off for this process (`ORT_DISABLE_TELEMETRY=1`), unless the
 * environment already sets `ORT_DISABLE_TELEMETRY` (a user who wants it sets `0`).
 *
 * Why: onnxruntime-node 1.30 starts a telemetry system with the first session of a process. On
 * Linux it reads `/etc/machine-id` and `/proc/self/cmdline` and may upload over HTTPS, which an
 * offline serving product should not do; and with a command line longer than about 30 KB (`kws
 * classify` given ~700 paths by a shell glob) it recursed until the process died with SIGSEGV.
 *
 * `importOnnxRuntime` (src/engine) and `workerEntry` call it, on the main thread, before the first
 * onnxruntime session of any thread: a worker thread's `process.env` is its own copy, which native
 * code does not read. Idempotent.
 */
export function disableOnnxRuntimeTelemetry(): void {
  process.env['ORT_DISABLE_TELEMETRY'] ??= '1';
}
