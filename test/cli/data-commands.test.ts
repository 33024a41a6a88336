import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runKws, spawnKws } from '../helpers/cli.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

describe('kws synth and kws dataset on bad arguments', () => {
  it('exits 2 with a message for option values that are not what they say', async () => {
    for (const args of [
      ['--per-word', '0'],
      ['--per-word', 'abc'],
      ['--per-word', '0x10'],
      ['--per-word', '4', '--test-clips', ''],
      ['--per-word', '4', '--seed', '1.5'],
    ]) {
      const result = await runKws('synth', '--out', join(tmpdir(), 'never-written'), ...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /expected an integer from/);
    }
  });

  it('exits 2 from the process for a missing required option, naming it', () => {
    const missing = spawnKws(['synth', '--per-word', '3'], { timeoutMs: 60_000 });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required option '--out <dir>' not specified/);
  });

  it('exits 1 naming the problem for an output that cannot be used, without a stack trace or a hang', async () => {
    const dir = tempDir('kws-synth-bad-');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    // One as a process: it exits, with exit code 1 and no stack trace on the process's stderr.
    const notEmpty = spawnKws(['synth', '--out', dir, '--per-word', '1', '--no-progress'], { timeoutMs: 60_000 });
    assert.equal(notEmpty.status, 1, notEmpty.stderr);
    assert.match(notEmpty.stderr, /INVALID_ARGUMENT: output folder .* is not empty/);
    assert.doesNotMatch(notEmpty.stderr, /\n\s+at /, 'no stack trace');
    const cases: Array<[string, RegExp]> = [
      [dir, /INVALID_ARGUMENT: output folder .* is not empty/],
      [file, /FILE_UNWRITABLE: output .*a-file exists and is not a folder/],
      [join(file, 'sub'), /FILE_UNWRITABLE: cannot write .*a part of the path is not a folder/],
      ['/proc/kws-test', /FILE_UNWRITABLE: cannot write \/proc\/kws-test/],
    ];
    for (const [out, message] of cases) {
      const result = await runKws('synth', '--out', out, '--per-word', '1', '--no-progress');
      assert.equal(result.status, 1, `${out}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const noNoise = await runKws(
      'synth',
      '--out',
      join(dir, 'new'),
      '--per-word',
      '1',
      '--real-noise',
      '/no/such/folder',
      '--no-progress',
    );
    assert.equal(noNoise.status, 1);
    assert.match(noNoise.stderr, /FILE_NOT_FOUND: real-noise folder \/no\/such\/folder does not exist/);
  });

  it('kws dataset exits 1 for a path that is not a dataset and 2 for percentages that add up past 100', async () => {
    assert.match(
      (await runKws('dataset', '/no/such/folder')).stderr,
      /FILE_NOT_FOUND: dataset folder \/no\/such\/folder does not exist/,
    );
    const notFolder = await runKws('dataset', '/etc/hostname');
    assert.equal(notFolder.status, 1);
    assert.match(notFolder.stderr, /FILE_UNREADABLE: \/etc\/hostname is not a folder/);
    const sum = await runKws('dataset', realDataDir(), '--validation-percentage', '60', '--testing-percentage', '60');
    assert.equal(sum.status, 2);
    assert.match(sum.stderr, /must be at most 100, got 120/);
  });

  it('kws dataset prints the v0.02 test set as 150 testing clips per class', () => {
    const result = spawnKws(['dataset', join(realDataDir(), 'pico-testset-v0.02'), '--json'], { timeoutMs: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      splitSource: string;
      splits: Record<string, Record<string, number>>;
    };
    assert.equal(summary.splitSource, 'test-set');
    assert.ok(Object.values(summary.splits['testing']!).every((n) => n === 150));
    assert.ok(Object.values(summary.splits['training']!).every((n) => n === 0));
  });
});
