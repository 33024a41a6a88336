import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './signals.js';

/** The bundled model repository. */
export const BUNDLED_MODELS = resolve(import.meta.dirname, '../../models');

/**
 * A model repository in a temporary folder holding the bundled version 1 and, with `copies`,
 * identical versions 2..N (same weights, own numbers), for tests that need several versions.
 * Removed when the test process exits; light to import (no server), for the CLI tests too.
 */
export function modelRepository(copies = 1): string {
  const dir = tempDir('kws-models-');
  for (let v = 1; v <= copies; v++) {
    cpSync(join(BUNDLED_MODELS, '1'), join(dir, String(v)), { recursive: true });
    const manifestPath = join(dir, String(v), 'version.json');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), version: v }));
  }
  return dir;
}
