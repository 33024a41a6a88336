import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` without `recursive: true`, which loops forever on Node 20 for paths under /proc (a
 * Node core bug): creates the missing folders one at a time from the nearest existing ancestor.
 * Throws Node's own errno errors (EACCES, ENOENT under /proc, ENOTDIR...), for `fromFsError`.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing) mkdirSync(path);
}
