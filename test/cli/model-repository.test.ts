import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelRegistry } from '../../src/registry/index.js';
import { runKws } from '../helpers/cli.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_LISTING, BUNDLED_PRODUCTION, modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

const productionOf = (stdout: string): number | undefined =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { version: number; aliases: string[] })
    .find((v) => v.aliases.includes('production'))?.version;

describe('one model repository, one set of aliases', () => {
  it('agrees on production across two data folders: a promotion made with one is what kws score and kws eval use with another, and say so', async () => {
    const repo = modelRepository(2);
    const [a, b] = [tempDir('kws-data-a-'), tempDir('kws-data-b-')];
    const before = await runKws('models', '--models-dir', repo, '--data-dir', a, '--json');
    assert.equal(
      productionOf(before.stdout),
      BUNDLED_PRODUCTION,
      "a fresh repository serves the bundled default, not the repository's newest own version",
    );
    // The promotion a server with data folder A makes.
    const registry = ModelRegistry.open(repo, { createModelsDir: false });
    registry.setAlias('production', 2);
    registry.close();
    const after = await runKws('models', '--models-dir', repo, '--data-dir', b, '--json');
    assert.equal(productionOf(after.stdout), 2);
    const { dir } = kaggleFolder(1);
    const out = join(tempDir('kws-score-out-'), 'submission.csv');
    const scored = await runKws('score', join(dir, 'audio'), '--out', out, '--models-dir', repo, '--data-dir', b);
    assert.equal(scored.status, 0, scored.stderr);
    assert.match(scored.stdout, /: 12 clips \(0 failed to decode, .*\) scored with version 2 \(production\) on /);
    const evaluated = await runKws('eval', '--data', dir, '--models-dir', repo, '--data-dir', b);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /^model version 2 \(production\): 12-class accuracy [0-9.]+ % on 12 clips\n/);
    const missing = join(tempDir('kws-score-missing-'), 'no', 'such');
    const refused = await runKws('score', join(dir, 'audio'), '--out', join(missing, 'sub.csv'), '--data-dir', b);
    assert.deepEqual(
      [refused.status, refused.stderr],
      [1, `kws score: FILE_NOT_FOUND: the folder of --out, ${missing}, does not exist: create it first\n`],
    );
    assert.equal(existsSync(missing), false, 'kws score creates no folder');
  });

  it('keeps new versions out of the checkout: the default repository is <data dir>/models, with the bundled version 1 in it', async () => {
    const data = tempDir('kws-data-default-');
    const listed = await runKws('models', '--data-dir', data, '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const versions = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { version: number; aliases: string[]; dir: string });
    assert.deepEqual(
      versions.map((v) => [v.version, v.aliases]),
      BUNDLED_LISTING,
    );
    assert.match(versions.at(-1)!.dir, /\/models\/1$/);
    assert.equal(existsSync(join(data, 'models', 'registry.db')), true, 'the index lives in the repository');
  });
});
