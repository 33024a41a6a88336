import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { makeDirs } from '../config/index.js';
import { Rng } from '../data/index.js';
import { fromFsError, KwsError } from '../errors/index.js';

/**
 * A generator seeded from `seed` and a path of names (`seededRng(1, 'clip', 'yes', id)`): each part
 * of a corpus draws from its own stream, so adding a part or a size leaves the others' bytes as
 * they were. The stream's seed is the first 32 bits of SHA-1 over the JSON of `[seed, ...path]`.
 */
export function seededRng(seed: number, ...path: Array<string | number>): Rng {
  return new Rng(
    createHash('sha1')
      .update(JSON.stringify([seed, ...path]))
      .digest()
      .readInt32LE(0),
  );
}

/**
 * Creates `dir` (and its parents), or accepts it when it exists and is empty, so that what a seeded
 * writer puts there is exactly reproducible. `what` names the output in the message.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a folder that is not empty, `FILE_UNWRITABLE` for a file in
 *   the way or a folder that cannot be written.
 */
export function ensureEmptyDir(dir: string, what: string): void {
  // Synchronous on purpose: Node 20's fs.promises.mkdir never settles for paths under /proc.
  try {
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory())
        throw new KwsError('FILE_UNWRITABLE', `output ${dir} exists and is not a folder`);
      if (readdirSync(dir).length > 0)
        throw new KwsError(
          'INVALID_ARGUMENT',
          `output folder ${dir} is not empty; choose a new folder so ${what} is exactly reproducible`,
        );
    }
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw fromFsError(error, dir, 'write');
  }
}
