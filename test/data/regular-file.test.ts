import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readRegularFile } from '../../src/data/index.js';
import { loadLabelledSet } from '../../src/training/tfjs/evaluate-version.js';
import { tempDir } from '../helpers/signals.js';

describe('readRegularFile', () => {
  it('reads a regular file and refuses a FIFO, a folder and a missing file without blocking', async () => {
    const dir = tempDir('kws-regular-');
    writeFileSync(join(dir, 'a.txt'), 'hello');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    mkdirSync(join(dir, 'folder'));
    assert.equal((await readRegularFile(join(dir, 'a.txt'))).toString(), 'hello');
    await assert.rejects(readRegularFile(join(dir, 'fifo')), {
      code: 'FILE_UNREADABLE',
      message: `${join(dir, 'fifo')} is not a regular file`,
    });
    await assert.rejects(readRegularFile(join(dir, 'folder')), { code: 'FILE_UNREADABLE' });
    await assert.rejects(readRegularFile(join(dir, 'missing')), { code: 'FILE_NOT_FOUND' });
  });

  it('keeps a labelled folder whose labels.csv is a FIFO from hanging calibration or evaluation', async () => {
    const dir = tempDir('kws-fifo-labels-');
    mkdirSync(join(dir, 'audio'));
    execFileSync('mkfifo', [join(dir, 'labels.csv')]);
    await assert.rejects(loadLabelledSet(dir, 16_000), {
      code: 'FILE_UNREADABLE',
      message: `${join(dir, 'labels.csv')} is not a regular file`,
    });
  });
});
