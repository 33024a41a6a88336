import { stat, readFile } from 'node:fs/promises';
import { fromFsError, KwsError } from '../errors/index.js';

/**
 * The bytes of a regular file (links followed). Anything else is refused before it is opened: a
 * FIFO or a device would block the reading thread until someone writes to it (or forever). With
 * `maxBytes`, a larger file is refused from its size, before it is read.
 *
 * @throws KwsError `FILE_UNREADABLE` for a path that is not a regular file; `TOO_LARGE` over
 *   `maxBytes`; as `fromFsError` for a missing or unreadable one (`FILE_NOT_FOUND`, `FILE_UNREADABLE`).
 */
export async function readRegularFile(path: string, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw new KwsError('FILE_UNREADABLE', `${path} is not a regular file`);
    if (stats.size > maxBytes)
      throw new KwsError('TOO_LARGE', `${path} is ${stats.size} bytes, more than the ${maxBytes} allowed`);
    return await readFile(path);
  } catch (error) {
    throw error instanceof KwsError ? error : fromFsError(error, path, 'read');
  }
}
