import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shippedVersions } from '../../src/registry/index.js';
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

/** The bundled version a fresh repository serves: the newest listed in `models/bundled.json`. */
export const BUNDLED_PRODUCTION = Math.max(...shippedVersions(BUNDLED_MODELS));

/** `[version, aliases]` of the bundled versions as `kws models` lists them in a fresh repository (newest first). */
export const BUNDLED_LISTING: ReadonlyArray<[number, string[]]> = [...BUNDLED_VERSIONS]
  .reverse()
  .map((v) => [v, v === BUNDLED_PRODUCTION ? ['production'] : []]);

/**
 * A model repository in a temporary folder holding a copy of the bundled version 1 and, with
 * `copies`, identical versions 2..N (same weights, own numbers), for tests that need several
 * versions. Opened with the default bundled overlay, it also shows the bundled versions it has no
 * folder for (`BUNDLED_VERSIONS`), so new versions there are numbered from `FIRST_NEW_VERSION`.
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
