import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  combineMemberOutputs,
  isSessionEnsemble,
  readSessionEnsemble,
  writeSessionEnsemble,
} from '../../src/engine/index.js';
import type { ModelOutput, SessionEnsembleSpec } from '../../src/engine/index.js';
import { tempDir } from '../helpers/signals.js';

const output = (logits: number[] | null, probabilities: number[]): ModelOutput => ({
  logits: logits === null ? null : Float32Array.from(logits),
  probabilities: Float32Array.from(probabilities),
  energy: Float32Array.of(Number.NaN),
});

describe('session ensembles (members run one after another on the same features)', () => {
  it('mean-logit adds w·z/T of each member, then softmax; its energy is -logsumexp of the sum', () => {
    const spec: SessionEnsembleSpec = {
      combine: 'mean-logit',
      members: [
        { file: 'members/a.onnx', weight: 0.25, temperature: 2 },
        { file: 'members/b.onnx', weight: 0.75, temperature: 1 },
      ],
    };
    const out = combineMemberOutputs(spec, [output([4, 0], [0.98, 0.02]), output([0, 1], [0.27, 0.73])], 1, 2);
    // z = 0.25·[4, 0]/2 + 0.75·[0, 1] = [0.5, 0.75]
    assert.deepEqual([...out.logits!], [0.5, 0.75]);
    const p1 = 1 / (1 + Math.exp(0.25));
    assert.ok(Math.abs(out.probabilities[0]! - p1) < 1e-6);
    assert.ok(Math.abs(out.energy[0]! + Math.log(Math.exp(0.5) + Math.exp(0.75))) < 1e-6);
  });

  it('mean-prob averages softmax(z/T), or the probabilities of a member without logits; no energy', () => {
    const spec: SessionEnsembleSpec = {
      combine: 'mean-prob',
      members: [
        { file: 'members/a.onnx', weight: 0.5, temperature: 2 },
        { file: 'members/b.onnx', weight: 0.5, temperature: 1 },
      ],
    };
    const out = combineMemberOutputs(spec, [output([2, 0], [0.88, 0.12]), output(null, [0.2, 0.8])], 1, 2);
    const first = 1 / (1 + Math.exp(-1)); // softmax([2, 0] / 2)
    assert.ok(Math.abs(out.probabilities[0]! - (0.5 * first + 0.1)) < 1e-6);
    assert.equal(out.logits, null);
    assert.ok(Number.isNaN(out.energy[0]!));
    assert.throws(
      () =>
        combineMemberOutputs({ ...spec, combine: 'mean-logit' }, [output([2, 0], [1, 0]), output(null, [0, 1])], 1, 2),
      {
        code: 'MALFORMED',
        message: 'ensemble member members/b.onnx has no logits output, which mean-logit needs',
      },
    );
  });

  it('writes members/ and ensemble.json, and refuses a spec that is not one', () => {
    const dir = tempDir('kws-session-ensemble-');
    const bytes = Uint8Array.of(1, 2, 3);
    assert.equal(isSessionEnsemble(dir), false);
    writeSessionEnsemble(dir, 'mean-logit', [
      { name: 'v1', bytes, weight: 0.5, temperature: 1 },
      { name: 'v7', bytes, weight: 0.5, temperature: 1.5 },
    ]);
    assert.equal(isSessionEnsemble(dir), true);
    assert.deepEqual([...readFileSync(join(dir, 'members', 'v7.onnx'))], [1, 2, 3]);
    assert.deepEqual(readSessionEnsemble(dir).members[1], { file: 'members/v7.onnx', weight: 0.5, temperature: 1.5 });
    assert.throws(
      () =>
        writeSessionEnsemble(tempDir('kws-session-ensemble-'), 'mean-prob', [
          { name: 'v1', bytes, weight: 0.2, temperature: 1 },
          { name: 'v2', bytes, weight: 0.8, temperature: 1 },
        ]),
      { code: 'INVALID_ARGUMENT', message: /mean-prob averages the members equally/ },
    );
    const spec = JSON.parse(readFileSync(join(dir, 'ensemble.json'), 'utf8')) as { members: Array<{ file: string }> };
    spec.members[0]!.file = '../../etc/passwd';
    writeFileSync(join(dir, 'ensemble.json'), JSON.stringify(spec));
    assert.throws(() => readSessionEnsemble(dir), {
      code: 'MALFORMED',
      message: /a member file must be members\/<name>\.onnx/,
    });
    writeFileSync(join(dir, 'ensemble.json'), '{');
    assert.throws(() => readSessionEnsemble(dir), { code: 'MALFORMED', message: /is not JSON/ });
  });
});
