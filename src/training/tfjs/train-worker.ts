/**
 * A training job's worker thread: trains one model version with `trainVersion` (TF.js on wasm
 * occupies its thread for minutes, so never on the server's event loop) and reports to the parent:
 * `begin` (the version number), `progress` (throttled; at once when an epoch ends, with every finished
 * epoch in `history`), `done` or `error`.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerErrorText } from '../train-messages.js';
import type { TrainingProgress, TrainWorkerData, TrainWorkerMessage } from '../train-messages.js';
import { ModelRegistry } from '../../registry/index.js';
import type { EpochRecord } from '../../registry/index.js';
import { trainVersion } from './train-version.js';

/**
 * The body of a training worker thread (entry `batch/train.worker.ts`): trains one version with
 * {@link trainVersion} and posts `begin`, throttled `progress` (at most every 500 ms), then `done` or
 * `error` (as `CODE: message`, unknown errors as `INTERNAL`) to `port`. Never throws.
 */
export async function runTrainWorker(data: TrainWorkerData, port: Pick<MessagePort, 'postMessage'>): Promise<void> {
  const post = (message: TrainWorkerMessage): void => port.postMessage(message);
  let registry: ModelRegistry | null = null;
  let last = 0;
  let latest: TrainingProgress | null = null;
  const history: EpochRecord[] = [];
  try {
    registry = ModelRegistry.open(data.modelsDir, { createModelsDir: true });
    const result = await trainVersion(registry, {
      ...data.options,
      onBegin: (version) => post({ type: 'begin', version }),
      onProgress: (p) => {
        latest = {
          phase: p.phase,
          epoch: p.epoch,
          epochs: p.epochs,
          loss: p.loss,
          accuracy: p.accuracy,
          valAccuracy: p.valAccuracy,
          etaSeconds: p.etaSeconds,
        };
        const now = performance.now();
        if (now - last < 500 && p.phase === 'training' && p.step !== p.steps) return;
        last = now;
        post({ type: 'progress', progress: { ...latest, history: [...history] } });
      },
      // Each finished epoch goes out at once, so the job's curve has every epoch (reports are throttled).
      onEpoch: (record) => {
        history.push(record);
        if (latest !== null) post({ type: 'progress', progress: { ...latest, history: [...history] } });
      },
    });
    post({ type: 'done', version: result.record.version });
  } catch (error) {
    post({ type: 'error', message: workerErrorText(error) });
  } finally {
    registry?.close();
  }
}
