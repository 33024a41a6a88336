import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { ModelRegistry, shippedVersions } from '../../src/registry/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import { BUNDLED_MODELS, modelRepository } from '../helpers/server.js';
import { BUNDLED_LISTING, BUNDLED_PRODUCTION, BUNDLED_VERSIONS, FIRST_NEW_VERSION } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

const BUNDLED = JSON.parse(readFileSync(join(BUNDLED_MODELS, '1', 'version.json'), 'utf8')) as VersionManifest;

/** A manifest for `version` with a given headline (testing) accuracy. */
function manifest(version: number, accuracy: number): VersionManifest {
  const testing = BUNDLED.metrics.testing ?? BUNDLED.metrics.validation;
  return {
    ...BUNDLED,
    version,
    architecture: 'lenet',
    createdAt: `2026-02-${String(version).padStart(2, '0')}T00:00:00.000Z`,
    metrics: { ...BUNDLED.metrics, testing: { ...testing, accuracy } },
  };
}

/**
 * A registry over two copies of the bundled version (1 and 2), its index (`registry.db`) inside; it
 * also shows the bundled versions it has no folder for, and `production` names `BUNDLED_PRODUCTION`.
 */
function twoVersions(): { registry: ModelRegistry; models: string; close: () => void } {
  return versions(2);
}

/** A registry over `copies` copies of the bundled version 1, numbered 1..copies (see `twoVersions`). */
function versions(copies: number): { registry: ModelRegistry; models: string; close: () => void } {
  const models = modelRepository(copies);
  const registry = ModelRegistry.open(models, { createModelsDir: false });
  return {
    registry,
    models,
    close: () => {
      registry.close();
      rmSync(models, { recursive: true, force: true });
    },
  };
}

describe('ModelRegistry', () => {
  it('does not make a version of its own production because it holds a number bundled.json lists', () => {
    // A repository with one version of its own, numbered 4 (a bundled number), and no alias yet: the
    // bundled version 4 is shadowed, so production goes to the newest shipped version served from
    // the bundled repository, not to this unrelated version.
    const models = tempDir('kws-registry-own-4-');
    cpSync(join(BUNDLED_MODELS, '1'), join(models, '4'), { recursive: true });
    const manifestPath = join(models, '4', 'version.json');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), version: 4 }));
    const registry = ModelRegistry.open(models);
    try {
      const bundledShipped = shippedVersions(BUNDLED_MODELS).filter((v) => v !== 4);
      assert.deepEqual(registry.aliases(), { production: Math.max(...bundledShipped) });
      assert.equal(registry.list().find((r) => r.version === 4)?.dir, join(models, '4'));
    } finally {
      registry.close();
    }
  });

  it('indexes version folders found on disk as ready, and points production at the oldest version bundled.json lists when its own folders shadow every bundled one', () => {
    // Folders 1..FIRST_NEW_VERSION: every bundled number has a folder here (versions of its own, say
    // trained before more versions were bundled), and one is newer than all of them. Production goes
    // to the oldest shipped number (the default of old), not to its own unrelated version under the
    // newest shipped number, nor to the newest folder.
    const oldest = Math.min(...shippedVersions(BUNDLED_MODELS));
    const { registry, models, close } = versions(FIRST_NEW_VERSION);
    try {
      const headline = BUNDLED.metrics.testing?.accuracy ?? BUNDLED.metrics.validation.accuracy;
      const numbers = Array.from({ length: FIRST_NEW_VERSION }, (_, i) => FIRST_NEW_VERSION - i);
      assert.deepEqual(
        registry.list().map((v) => ({
          version: v.version,
          state: v.state,
          architecture: v.architecture,
          accuracy: v.accuracy,
          aliases: v.aliases,
          dir: v.dir,
        })),
        numbers.map((version) => ({
          version,
          state: 'ready',
          architecture: BUNDLED.architecture,
          accuracy: headline,
          aliases: version === oldest ? ['production'] : [],
          dir: join(models, String(version)),
        })),
      );
      assert.ok(BUNDLED_PRODUCTION < FIRST_NEW_VERSION);
      assert.deepEqual(registry.aliases(), { production: oldest });
      assert.equal(registry.resolve().version, oldest);
      assert.deepEqual(readdirSync(models).sort(), [
        ...numbers.map(String).sort(),
        'registry.db',
        'registry.db-shm',
        'registry.db-wal',
      ]);
      assert.equal(registry.manifest(1).version, 1);
    } finally {
      close();
    }
  });

  it('points aliases at ready versions, which every registry on the same repository then agrees on', () => {
    const { registry, models, close } = twoVersions();
    const other = ModelRegistry.open(models, { createModelsDir: false });
    try {
      registry.setAlias('staging', 1);
      registry.setAlias('production', 1);
      assert.deepEqual(registry.aliases(), { staging: 1, production: 1 });
      assert.deepEqual(other.aliases(), { staging: 1, production: 1 }, 'another process sees the same aliases');
      assert.equal(other.resolve('staging').version, 1);
      assert.deepEqual(other.list().find((v) => v.version === 1)?.aliases, ['production', 'staging']);
      registry.setAlias('staging', 2); // moving an alias: promotion and rollback
      assert.equal(other.resolve('staging').version, 2);
    } finally {
      other.close();
      close();
    }
  });

  it('refuses an alias that is not a name, or that would name a missing version', () => {
    const { registry, close } = twoVersions();
    try {
      assert.throws(() => registry.setAlias('Bad Name', 1), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'alias must be lowercase letters, digits, - or _, got "Bad Name"',
      });
      assert.throws(() => registry.setAlias('staging', 99), {
        name: 'KwsError',
        code: 'NOT_FOUND',
        message: 'model version 99 does not exist',
      });
      assert.throws(() => registry.resolve('nope'), {
        name: 'KwsError',
        code: 'NOT_FOUND',
        message: 'no model version is named "nope"',
      });
      assert.deepEqual(registry.aliases(), { production: BUNDLED_PRODUCTION });
    } finally {
      close();
    }
  });

  it('removes aliases but production, and refuses one that names nothing', () => {
    const { registry, close } = twoVersions();
    try {
      registry.setAlias('staging', 2);
      assert.equal(registry.removeAlias('staging'), 2);
      assert.deepEqual(registry.aliases(), { production: BUNDLED_PRODUCTION });
      assert.equal(registry.resolve(2).version, 2, 'the version stays');
      assert.throws(() => registry.removeAlias('staging'), {
        name: 'KwsError',
        code: 'NOT_FOUND',
        message: 'no alias is named "staging"',
      });
      assert.throws(() => registry.removeAlias('production'), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message:
          'production cannot be removed: it names the version the server serves; promote another version to it instead',
      });
    } finally {
      close();
    }
  });

  it('writes a new version into a hidden folder and renames it into place, complete, when committed', () => {
    const { registry, models, close } = twoVersions();
    try {
      const pending = registry.begin('lenet');
      const v = FIRST_NEW_VERSION;
      assert.deepEqual(pending, { version: v, dir: join(models, `.tmp-${v}-${process.pid}`) });
      assert.equal(registry.list()[0]?.state, 'training');
      assert.throws(() => registry.resolve(v), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: `model version ${v} is training, not ready`,
      });
      writeFileSync(join(pending.dir, 'model.json'), '{}');
      assert.equal(existsSync(join(models, String(v))), false, 'no reader sees half a version');
      const record = registry.commit(pending, manifest(v, 0.875));
      assert.deepEqual(
        {
          version: record.version,
          state: record.state,
          accuracy: record.accuracy,
          createdAt: record.createdAt,
          dir: record.dir,
        },
        {
          version: v,
          state: 'ready',
          accuracy: 0.875,
          createdAt: manifest(v, 0).createdAt,
          dir: join(models, String(v)),
        },
      );
      assert.deepEqual(readdirSync(join(models, String(v))).sort(), ['model.json', 'version.json']);
      assert.equal(existsSync(pending.dir), false);
      assert.deepEqual(registry.manifest(v), manifest(v, 0.875));
      assert.equal(
        registry.resolve().version,
        BUNDLED_PRODUCTION,
        'production did not move: the new version serves only once promoted',
      );
    } finally {
      close();
    }
  });

  it('skips version numbers whose folder already exists when it begins one', () => {
    const { registry, models, close } = twoVersions();
    try {
      mkdirSync(join(models, String(FIRST_NEW_VERSION))); // a folder without version.json: not indexed, but taken
      assert.equal(registry.begin('lenet').version, FIRST_NEW_VERSION + 1);
    } finally {
      close();
    }
  });

  it('fails a pending version: its files are removed and serving is untouched', () => {
    const { registry, close } = twoVersions();
    try {
      const pending = registry.begin('lenet');
      registry.fail(pending, 'INVALID_ARGUMENT: no training examples');
      assert.equal(existsSync(pending.dir), false);
      assert.equal(registry.list().find((v) => v.version === pending.version)?.state, 'failed');
      assert.equal(registry.resolve().version, BUNDLED_PRODUCTION);
    } finally {
      close();
    }
  });

  it('abandons a version still being trained (its private folders removed) and leaves other states alone', () => {
    const { registry, models, close } = twoVersions();
    try {
      const pending = registry.begin('lenet');
      mkdirSync(join(models, `.tmp-${pending.version}-1`)); // one left by a process that died
      registry.abandon(pending.version, 'training was cancelled');
      assert.equal(registry.list().find((v) => v.version === pending.version)?.state, 'failed');
      assert.deepEqual(
        readdirSync(models).filter((f) => !f.startsWith('registry.db')),
        ['1', '2'],
      );
      registry.abandon(1, 'training was cancelled');
      registry.abandon(99, 'training was cancelled');
      assert.equal(registry.resolve(1).state, 'ready', 'a ready version is not abandoned');
    } finally {
      close();
    }
  });

  it('archives a ready version no alias names: it stays listed and on disk but no longer resolves', () => {
    // A plain copy under every bundled number, so that no bundled ensemble (whose members cannot be
    // archived; test/training/ensemble-versions.test.ts) is shown here.
    const newest = Math.max(...BUNDLED_VERSIONS);
    const { registry, models, close } = versions(newest);
    // Its own folders shadow every bundled one: production is the oldest shipped number.
    const production = Math.min(...shippedVersions(BUNDLED_MODELS));
    try {
      assert.equal(registry.resolve().version, production);
      assert.throws(() => registry.archive(production), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: `model version ${production} is production; promote another version to that alias first`,
      });
      registry.setAlias('staging', 2);
      assert.throws(() => registry.archive(2), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'model version 2 is staging; promote another version to that alias or remove it first',
      });
      registry.removeAlias('staging');
      const archived = registry.archive(2);
      assert.deepEqual({ version: archived.version, state: archived.state }, { version: 2, state: 'archived' });
      assert.equal(existsSync(join(models, '2', 'version.json')), true);
      assert.deepEqual(
        registry.list().map((v) => [v.version, v.state]),
        Array.from({ length: newest }, (_, i) => [newest - i, newest - i === 2 ? 'archived' : 'ready']),
      );
      assert.throws(() => registry.resolve(2), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'model version 2 is archived, not ready',
      });
      assert.throws(() => registry.archive(2), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'model version 2 is archived; only ready versions can be archived',
      });
      assert.throws(() => registry.archive(42), {
        name: 'KwsError',
        code: 'NOT_FOUND',
        message: 'model version 42 does not exist',
      });
      assert.throws(() => registry.setAlias('staging', 2), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'model version 2 is archived, not ready',
      });
    } finally {
      close();
    }
  });

  it('shows the bundled versions from a repository of its own, numbers new versions after them, writes only into itself', () => {
    const repo = join(tempDir('kws-registry-user-'), 'models');
    const registry = ModelRegistry.open(repo);
    try {
      assert.deepEqual(
        registry.list().map((v) => [v.version, v.state, v.aliases, v.dir]),
        BUNDLED_LISTING.map(([v, aliases]) => [v, 'ready', aliases, join(BUNDLED_MODELS, String(v))]),
      );
      assert.equal(registry.manifest(1).architecture, BUNDLED.architecture);
      const pending = registry.begin('lenet');
      assert.equal(pending.version, FIRST_NEW_VERSION);
      registry.commit(pending, manifest(FIRST_NEW_VERSION, 0.9));
      assert.equal(registry.list()[0]?.dir, join(repo, String(FIRST_NEW_VERSION)));
      assert.equal(
        existsSync(join(BUNDLED_MODELS, String(FIRST_NEW_VERSION))),
        false,
        'nothing is written into the bundled repository',
      );
      assert.equal(registry.resolve().version, BUNDLED_PRODUCTION, 'a newer version does not move production');
    } finally {
      registry.close();
    }
  });

  it('points production at the first version committed into an empty repository without a bundled one', () => {
    const registry = ModelRegistry.open(join(tempDir('kws-registry-empty-'), 'models'), { bundledDir: null });
    try {
      assert.deepEqual(registry.aliases(), {});
      registry.commit(registry.begin('lenet'), manifest(1, 0.5));
      registry.commit(registry.begin('lenet'), manifest(2, 0.9));
      assert.deepEqual(registry.aliases(), { production: 1 });
    } finally {
      registry.close();
    }
  });

  it('starts production at a shipped version (bundled.json), not at other folders of the bundled repository, and at the newest without one', () => {
    const bundled = modelRepository(3);
    writeFileSync(join(bundled, 'bundled.json'), JSON.stringify({ versions: [1] }));
    const user = ModelRegistry.open(join(tempDir('kws-registry-shipped-'), 'models'), { bundledDir: bundled });
    const own = ModelRegistry.open(modelRepository(3), { bundledDir: null });
    try {
      assert.deepEqual(user.aliases(), { production: 1 }, 'versions 2 and 3 were never shipped');
      assert.deepEqual(own.aliases(), { production: 3 }, 'no bundled repository: the newest ready version');
    } finally {
      user.close();
      own.close();
    }
  });

  it('gives each of two processes reserving versions at once its own numbers', async () => {
    const repo = modelRepository(1);
    const script = join(tempDir('kws-registry-race-'), 'reserve.mts');
    writeFileSync(
      script,
      `import { ModelRegistry } from ${JSON.stringify(new URL('../../src/registry/index.ts', import.meta.url).href)};
const registry = ModelRegistry.open(${JSON.stringify(repo)}, { createModelsDir: false });
const got = [];
// Both start at the same moment, so that their reservations interleave.
while (Date.now() < Number(process.argv[2])) await new Promise((r) => setTimeout(r, 1));
for (let i = 0; i < 300; i++) got.push(registry.begin('lenet').version);
registry.close();
console.log(JSON.stringify(got));`,
    );
    const startAt = String(Date.now() + 4000);
    const run = () =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, startAt]);
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(err))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    const all = [...a, ...b];
    assert.equal(new Set(all).size, 600, 'no number reserved twice');
    assert.deepEqual([Math.min(...all), Math.max(...all)], [FIRST_NEW_VERSION, FIRST_NEW_VERSION + 599]);
  });

  it('names an empty repository NOT_READY, a missing one FILE_NOT_FOUND and an index it cannot create FILE_UNWRITABLE', () => {
    const dir = tempDir('kws-registry-open-');
    const empty = ModelRegistry.open(join(dir, 'models'), { bundledDir: null, inMemoryIndex: true });
    try {
      assert.throws(() => empty.resolve(), {
        name: 'KwsError',
        code: 'NOT_READY',
        message: 'no model version is ready yet: train one with kws train',
      });
    } finally {
      empty.close();
    }
    assert.throws(() => ModelRegistry.open(join(dir, 'missing'), { createModelsDir: false }), {
      name: 'KwsError',
      code: 'FILE_NOT_FOUND',
      message: `model repository ${join(dir, 'missing')} does not exist`,
    });
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => ModelRegistry.open(join(file, 'models')), {
      name: 'KwsError',
      code: 'FILE_UNWRITABLE',
      message: `cannot write ${join(file, 'models')}: a part of the path is not a folder`,
    });
    mkdirSync(join(dir, 'blocked', 'registry.db'), { recursive: true });
    assert.throws(() => ModelRegistry.open(join(dir, 'blocked')), {
      name: 'KwsError',
      code: 'FILE_UNWRITABLE',
      message: `cannot write ${join(dir, 'blocked', 'registry.db')}: SQLITE_CANTOPEN`,
    });
  });
});
