import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PathPolicy } from '../../src/jobs/path-policy.js';
import { checkedVersionTask } from '../../src/jobs/version-task.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

describe('checkedVersionTask (createEnsemble, importModelVersion)', () => {
  it('checks an ensemble’s default calibration folder, its first member’s training data, against the allowed roots', () => {
    const repo = modelRepository();
    const outside = tempDir('kws-version-task-outside-');
    const inside = tempDir('kws-version-task-inside-');
    const manifestPath = join(repo, '1', 'version.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { training: { dataDir: string } };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, training: { ...manifest.training, dataDir: outside } }));
    const registry = ModelRegistry.open(repo);
    try {
      const paths = new PathPolicy([inside]);
      assert.throws(() => checkedVersionTask({ kind: 'ensemble', options: { members: [1, 2] } }, paths, registry), {
        code: 'PATH_NOT_ALLOWED',
        message:
          /\(version 1's training data, which calibrates the ensemble when dataDir is not given; name dataDir\)$/,
      });
      const given = checkedVersionTask(
        { kind: 'ensemble', options: { members: [1, 2], dataDir: inside } },
        paths,
        registry,
      );
      assert.equal(given.kind === 'ensemble' ? given.options.dataDir : null, inside);
      const allowed = new PathPolicy([inside, outside]);
      const defaulted = checkedVersionTask({ kind: 'ensemble', options: { members: [1, 2] } }, allowed, registry);
      assert.equal(defaulted.kind === 'ensemble' ? defaulted.options.dataDir : null, outside);
    } finally {
      registry.close();
    }
  });
});
