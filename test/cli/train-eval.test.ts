import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { tempDir } from '../helpers/signals.js';

const root = resolve(import.meta.dirname, '../..');

function kws(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kws train, kws models and kws eval', () => {
  const work = tempDir('kws-cli-train-');
  const data = join(work, 'corpus');
  const registry = ['--models-dir', join(work, 'models'), '--data-dir', join(work, 'var')];

  before(async () => {
    await synthesizeCorpus({ outDir: data, perWord: 8, words: ['yes', 'no', 'up', 'dog'], seed: 5, testClips: 24, realNoiseDir: null });
  });

  it('trains version 1, then version 2, each ready and the newest serving by default', () => {
    for (const expected of [1, 2]) {
      const result = kws('train', '--data', data, '--allow-missing-classes', '--epochs', '1', '--batch-size', '16', '--backend', 'wasm', '--json', ...registry);
      assert.equal(result.status, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { version: number; architecture: string; validationAccuracy: number };
      assert.equal(summary.version, expected);
      assert.equal(summary.architecture, 'tc-resnet8');
      assert.ok(summary.validationAccuracy >= 0 && summary.validationAccuracy <= 1);
    }
    assert.ok(existsSync(join(work, 'models', '2', 'model.onnx')), 'every version is exported to ONNX');
    const models = kws('models', '--json', ...registry);
    const versions = models.stdout.trim().split('\n').map((l) => JSON.parse(l) as { version: number; state: string; aliases: string[] });
    assert.deepEqual(versions.map((v) => [v.version, v.state, v.aliases]), [[2, 'ready', ['production']], [1, 'ready', []]]);
  });

  it('refuses bad input before taking a version number, and marks a run that fails midway failed', () => {
    const refused = kws('train', '--data', join(work, 'missing'), '--epochs', '1', '--backend', 'wasm', ...registry);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /kws train: FILE_NOT_FOUND: dataset folder .*missing does not exist/);
    const partial = kws('train', '--data', data, '--epochs', '1', '--backend', 'wasm', ...registry);
    assert.equal(partial.status, 1);
    assert.match(partial.stderr, /kws train: INVALID_ARGUMENT: .*corpus has no training examples of down, left, right, on, off, stop, go: the model could never predict those classes/);
    const badAugment = kws('train', '--data', data, '--augment', '{"noiseProbability":5}', ...registry);
    assert.equal(badAugment.status, 2);
    assert.match(badAugment.stderr, /AugmentConfig.noiseProbability must be a probability from 0 to 1, got 5/);
    // A corrupt clip is found only when training loads the audio: that run fails after registering.
    const broken = join(work, 'broken');
    cpSync(data, broken, { recursive: true });
    writeFileSync(join(broken, 'yes', 'deadbeef_nohash_0.wav'), 'not a recording');
    const failed = kws('train', '--data', broken, '--allow-missing-classes', '--epochs', '1', '--backend', 'wasm', ...registry);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /kws train: NOT_AUDIO: yes\/deadbeef_nohash_0.wav: the bytes are not a recognised audio format/, 'the error names the clip');
    const versions = kws('models', '--json', ...registry).stdout.trim().split('\n').map((l) => JSON.parse(l) as { version: number; state: string; aliases: string[] });
    assert.deepEqual(versions.map((v) => [v.version, v.state]), [[3, 'failed'], [2, 'ready'], [1, 'ready']], 'refused runs registered nothing');
    assert.deepEqual(versions.find((v) => v.aliases.includes('production'))?.version, 2);
  });

  it('does not create a model repository that a read-only command names by mistake', () => {
    const result = kws('classify', join(data, 'yes', readdirSync(join(data, 'yes'))[0]!), '--models-dir', join(work, 'typo'), '--data-dir', join(work, 'var'));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /kws classify: FILE_NOT_FOUND: model repository .*typo does not exist/);
    assert.ok(!existsSync(join(work, 'typo')));
  });

  it('evaluates on a Kaggle-layout folder with labels.csv, in the documented JSON shape', () => {
    const result = kws('eval', '--data', join(data, 'test'), '--model', '1', '--json', ...registry);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown> & { perClass: unknown[]; confusion: number[][]; labels: string[]; hardExamples: unknown[]; examples: number; accuracy: number };
    for (const key of ['accuracy', 'perClass', 'confusion', 'labels', 'hardExamples']) assert.ok(key in report, key);
    assert.equal(report['modelVersion'], 1);
    assert.equal(report['source'], 'kaggle-labels');
    assert.equal(report.examples, 24);
    assert.equal(report.confusion.flat().reduce((a, b) => a + b, 0), 24);
    assert.equal(report.perClass.length, 12);
    const correct = report.confusion.reduce((sum, row, i) => sum + row[i]!, 0);
    assert.equal(report.accuracy, correct / 24, 'accuracy is the confusion diagonal over all clips');
  });

  it('classifies files with the production version: label, confidence, all 12 probabilities, reason', () => {
    const clip = join(data, 'yes', readdirSync(join(data, 'yes'))[0]!);
    const result = kws('classify', '--json', clip, join(work, 'missing.wav'), ...registry);
    assert.equal(result.status, 1, 'one file failed');
    const [ok, failed] = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(Object.keys(ok!).sort(), ['confidence', 'energy', 'file', 'isSilence', 'isUnknown', 'label', 'modelVersion', 'ok', 'probabilities', 'rawLabel', 'reason', 'rmsDbfs']);
    assert.ok(typeof ok!['energy'] === 'number' && Number.isFinite(ok!['energy']), 'a trained version exports its logits');
    assert.equal(ok!['modelVersion'], 2);
    const probabilities = ok!['probabilities'] as Record<string, number>;
    assert.equal(Object.keys(probabilities).length, 12);
    assert.ok(Math.abs(Object.values(probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.equal(ok!['confidence'], Math.max(...Object.values(probabilities)));
    assert.deepEqual(failed, { file: join(work, 'missing.wav'), ok: false, code: 'FILE_NOT_FOUND', message: `${join(work, 'missing.wav')} does not exist` });
    // The energy rule on request: a threshold below every energy makes any clip unknown.
    const strict = JSON.parse(kws('classify', '--json', '--unknown-score', 'energy', '--unknown-energy-threshold', '-1000', clip, ...registry).stdout) as Record<string, unknown>;
    assert.deepEqual([strict['label'], strict['reason'], strict['energy']], ['unknown', strict['rawLabel'] === 'unknown' ? 'MODEL' : 'LOW_CONFIDENCE', ok!['energy']]);
    const bad = kws('classify', '--unknown-score', 'entropy', clip, ...registry);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /argument 'entropy' is invalid\. Allowed choices are maxSoftmax, energy/);
  });

  it('names a missing model version', () => {
    const result = kws('eval', '--data', data, '--model', '9', ...registry);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /kws eval: NOT_FOUND: model version 9 does not exist/);
  });

  it('continues training from a base version (--base-version), and names a missing one', () => {
    const result = kws('train', '--data', data, '--allow-missing-classes', '--base-version', '2', '--lr', '0.0002', '--epochs', '1', '--batch-size', '16', '--backend', 'wasm', '--json', ...registry);
    assert.equal(result.status, 0, result.stderr);
    const version = (JSON.parse(result.stdout) as { version: number }).version;
    assert.equal(version, 4);
    const manifest = JSON.parse(readFileSync(join(work, 'models', String(version), 'version.json'), 'utf8')) as { training: { options: { baseVersion: number; learningRate: number } } };
    assert.deepEqual([manifest.training.options.baseVersion, manifest.training.options.learningRate], [2, 0.0002]);
    const missing = kws('train', '--data', data, '--allow-missing-classes', '--base-version', '99', '--epochs', '1', '--backend', 'wasm', ...registry);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /kws train: NOT_FOUND: model version 99 does not exist/);
  });
});
