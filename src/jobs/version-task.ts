import { spawnWorker } from '../config/index.js';
import { KwsError, UnreachableCaseError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import type { VersionTask, VersionWorkerData, VersionWorkerMessage } from '../training/index.js';
import { followVersionWorker } from './worker-run.js';
import type { PathPolicy } from './path-policy.js';

/**
 * A version task with its paths checked against the server's allowed roots: the calibration
 * folder (an ensemble's default, its first member's training data, too) and the imported model
 * file (a regular file), each resolved to its real path.
 *
 * @throws KwsError `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, `FILE_UNREADABLE`, `INVALID_ARGUMENT` (see
 *   `PathPolicy.allowedDir`); `NOT_FOUND` for an unknown first member.
 */
export function checkedVersionTask(task: VersionTask, paths: PathPolicy, registry: ModelRegistry): VersionTask {
  switch (task.kind) {
    case 'ensemble': {
      const { dataDir, ...rest } = task.options;
      if (dataDir !== undefined) return { kind: 'ensemble', options: { ...rest, dataDir: paths.allowedDir(dataDir) } };
      const first = task.options.members[0];
      if (first === undefined) return task;
      // Without dataDir the first member's training data calibrates: it must be readable here too.
      const manifest = registry.manifest(registry.resolve(first).version);
      try {
        return { kind: 'ensemble', options: { ...rest, dataDir: paths.allowedDir(manifest.training.dataDir) } };
      } catch (error) {
        if (!(error instanceof KwsError)) throw error;
        throw new KwsError(
          error.code,
          `${error.message} (version ${manifest.version}'s training data, which calibrates the ensemble when dataDir is not given; name dataDir)`,
        );
      }
    }
    case 'import':
      return {
        kind: 'import',
        options: {
          ...task.options,
          file: paths.allowedFile(task.options.file),
          dataDir: paths.allowedDir(task.options.dataDir),
        },
      };
    default:
      throw new UnreachableCaseError(task);
  }
}

/**
 * Makes one version in a worker thread (`batch/version.worker.ts`) and answers its number. A worker
 * that dies after reserving a number (out of memory, say, or terminated by `signal`) has that
 * version abandoned; a refused or failed one was already marked failed by the worker, and its error
 * is rethrown with its code.
 *
 * @throws KwsError with the worker's code (`INVALID_ARGUMENT`, `NOT_FOUND`, `MALFORMED`...), `NOT_READY`
 *   when `signal` stopped it, or an Error for an internal failure.
 */
export async function makeVersionInWorker(
  registry: ModelRegistry,
  task: VersionTask,
  signal?: AbortSignal,
): Promise<number> {
  const data: VersionWorkerData = { modelsDir: registry.modelsDir, task };
  const worker = spawnWorker('version', { version: data });
  const seen = await followVersionWorker<VersionWorkerMessage>(worker, signal, () => undefined);
  if (seen.made !== null && seen.error === null) return seen.made;
  const error =
    seen.error instanceof Error
      ? seen.error
      : signal?.aborted === true
        ? new KwsError('NOT_READY', 'the server shut down while the version was being made')
        : new KwsError('INTERNAL', `the version worker exited with code ${seen.exitCode}`);
  if (seen.version !== null && registry.list().find((r) => r.version === seen.version)?.state === 'training')
    registry.abandon(seen.version, error.message);
  throw error;
}
