import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { describeValue, KwsError } from '../errors/index.js';

/** True when `path` is `root` or inside it (both absolute, links already resolved). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The folders the server may read (test sets to score, datasets to train on, dashboard folders):
 * anything outside the allowed roots is refused, links resolved, before a job is queued.
 */
export class PathPolicy {
  /** @param allowedRoots Absolute folders; each is resolved (links) when checked, as it is then. */
  constructor(readonly allowedRoots: readonly string[]) {}

  /**
   * The real path of a folder the server may read.
   *
   * @throws KwsError `INVALID_ARGUMENT` for an empty name, `PATH_NOT_ALLOWED` for a relative path or
   *   one outside the allowed roots (links resolved), `FILE_NOT_FOUND` for a missing folder,
   *   `FILE_UNREADABLE` for a path that is not a folder.
   */
  allowedDir(dir: string): string {
    return this.allowed(dir, 'folder');
  }

  /**
   * The real path of a regular file the server may read (a model to import), links resolved.
   *
   * @throws KwsError as {@link allowedDir}; `FILE_UNREADABLE` for a path that is not a regular file
   *   (a folder, a FIFO, a device).
   */
  allowedFile(file: string): string {
    return this.allowed(file, 'file');
  }

  private allowed(path: string, kind: 'folder' | 'file'): string {
    if (typeof path !== 'string' || path.trim() === '')
      throw new KwsError('INVALID_ARGUMENT', `the ${kind} must be named, got ${describeValue(path)}`);
    const roots = this.allowedRoots.map((root) => {
      try {
        return realpathSync(root);
      } catch {
        return root;
      }
    });
    if (!isAbsolute(path) || !roots.some((root) => within(root, path))) {
      throw new KwsError(
        'PATH_NOT_ALLOWED',
        `${describeValue(path)} is not ${isAbsolute(path) ? 'inside a folder this server may read' : 'an absolute path'} (allowed: ${roots.join(', ')}); give an absolute path under one of them, or start the server with --score-root`,
      );
    }
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new KwsError('FILE_NOT_FOUND', `${kind} ${path} does not exist`);
    }
    if (!roots.some((root) => within(root, real)))
      throw new KwsError(
        'PATH_NOT_ALLOWED',
        `${path} resolves (through a link) to ${real}, outside the folders this server may read`,
      );
    const stats = statSync(real);
    if (kind === 'folder' ? !stats.isDirectory() : !stats.isFile())
      throw new KwsError('FILE_UNREADABLE', `${path} is not a ${kind === 'folder' ? 'folder' : 'regular file'}`);
    return real;
  }
}
