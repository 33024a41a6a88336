import { stat, readFile } from 'node:fs/promises';
import { fromFsError, KwsError } from '../errors/index.js';

/**
 * The bytes of a regular file (links followed). Anything else is refused before it is opened: a
 * FIFO or a device would block the reading thread until someone writes to it (or forever).
 *
 * @throws KwsError `FILE_UNREADABLE` for a path that is not a regular file; as `fromFsError` for a
 *   missing or unreadable one (`FILE_NOT_FOUND`, `FILE_UNREADABLE`).
 */
export async function readRegularFile(path: string): Promise<Buffer> {
  try {
    if (!(await stat(path)).isFile()) throw new KwsError('FILE_UNREADABLE', `${path} is not a regular file`);
    return await readFile(path);
  } catch (error) {
    throw error instanceof KwsError ? error : fromFsError(error, path, 'read');
  }
}
