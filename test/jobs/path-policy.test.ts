import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PathPolicy } from '../../src/jobs/path-policy.js';
import { tempDir } from '../helpers/signals.js';

describe('PathPolicy.allowedFile (a model to import)', () => {
  it('answers the real path of a regular file inside a root, and refuses links out, folders and FIFOs', () => {
    const root = tempDir('kws-paths-root-');
    const outside = tempDir('kws-paths-outside-');
    writeFileSync(join(root, 'model.onnx'), 'x');
    writeFileSync(join(outside, 'secret.onnx'), 'x');
    symlinkSync(join(outside, 'secret.onnx'), join(root, 'link.onnx'));
    mkdirSync(join(root, 'folder.onnx'));
    execFileSync('mkfifo', [join(root, 'fifo.onnx')]);
    const paths = new PathPolicy([root]);
    assert.equal(paths.allowedFile(join(root, 'model.onnx')), join(root, 'model.onnx'));
    for (const [file, code, message] of [
      ['link.onnx', 'PATH_NOT_ALLOWED', `resolves (through a link) to ${join(outside, 'secret.onnx')}`],
      ['folder.onnx', 'FILE_UNREADABLE', 'is not a regular file'],
      ['fifo.onnx', 'FILE_UNREADABLE', 'is not a regular file'],
      ['missing.onnx', 'FILE_NOT_FOUND', 'does not exist'],
    ] as const)
      assert.throws(
        () => paths.allowedFile(join(root, file)),
        (error: Error & { code?: string }) => error.code === code && error.message.includes(message),
        file,
      );
    assert.throws(() => paths.allowedFile(join(outside, 'secret.onnx')), { code: 'PATH_NOT_ALLOWED' });
  });
});
