import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './signals.js';

/** The bundled model repository. */
export const BUNDLED_MODELS = resolve(import.meta.dirname, '../../models');

/** The versions the checkout bundles (the numbered folders of `models/`), ascending. */
export const BUNDLED_VERSIONS: readonly number[] = readdirSync(BUNDLED_MODELS)
  .filter((name) => /^[1-9][0-9]*$/.test(name))
  .map(Number)
  .sort((a, b) => a - b);

/** The number a repository gives the first version made next to the bundled ones. */
export const FIRST_NEW_VERSION = Math.max(...BUNDLED_VERSIONS) + 1;

/** `[version, aliases]` of the bundled versions as `kws models` lists them (newest first), production on version 1. */
export const BUNDLED_LISTING: ReadonlyArray<[number, string[]]> = [...BUNDLED_VERSIONS]
  .reverse()
  .map((v) => [v, v === 1 ? ['production'] : []]);

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
