import type { MessagePort } from 'node:worker_threads';
import { UnreachableCaseError } from '../../errors/index.js';
import { workerErrorText } from '../train-messages.js';
import { ModelRegistry } from '../../registry/index.js';
import type { VersionWorkerData, VersionWorkerMessage } from '../version-messages.js';
import { createEnsemble } from './ensemble-versions.js';
import { importVersion } from './import-version.js';
import type { TrainedVersion } from './train-version.js';

/**
 * The body of a version worker thread (entry `batch/version.worker.ts`): makes one version with
 * `createEnsemble` or `importVersion` (TF.js or onnxruntime over a calibration set: seconds of CPU,
 * never on the server's event loop) and posts `begin`, then `done` or `error` (as `CODE: message`,
 * unknown errors as `INTERNAL`) to `port`. Never throws.
 */
export async function runVersionWorker(data: VersionWorkerData, port: Pick<MessagePort, 'postMessage'>): Promise<void> {
  const post = (message: VersionWorkerMessage): void => port.postMessage(message);
  let registry: ModelRegistry | null = null;
  try {
    registry = ModelRegistry.open(data.modelsDir);
    const onBegin = (version: number): void => post({ type: 'begin', version });
    const { task } = data;
    let made: TrainedVersion;
    switch (task.kind) {
      case 'ensemble':
        made = await createEnsemble(registry, { ...task.options, onBegin });
        break;
      case 'import':
        made = await importVersion(registry, { ...task.options, onBegin });
        break;
      default:
        throw new UnreachableCaseError(task);
    }
    post({ type: 'done', version: made.record.version });
  } catch (error) {
    post({ type: 'error', message: workerErrorText(error) });
  } finally {
    registry?.close();
  }
}
