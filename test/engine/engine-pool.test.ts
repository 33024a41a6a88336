import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { EnginePool, openModelSession } from '../../src/engine/index.js';
import { DEFAULT_FEATURE_CONFIG, FeatureExtractor } from '../../src/features/index.js';
import { realDataDir, tempDir } from '../helpers/signals.js';
import { BUNDLED_MODELS } from '../helpers/server.js';

const model = join(BUNDLED_MODELS, '1');
const geometry = { frames: 98, bins: 40, classes: 12 };
const testdata = join(realDataDir(), 'tflite-micro', 'testdata');
const clips = ['yes_1000ms.wav', 'no_1000ms.wav', 'silence_1000ms.wav'].map((f) => readFileSync(join(testdata, f)));

describe('EnginePool (worker threads)', () => {
  let pool: EnginePool;
  before(() => {
    pool = new EnginePool({ threads: 2 });
  });
  after(async () => {
    await pool.close();
  });

  it('computes in a worker exactly the features the main thread computes', async () => {
    const prepared = await pool.prepare(clips[0] as Uint8Array, DEFAULT_FEATURE_CONFIG);
    const local = new FeatureExtractor(DEFAULT_FEATURE_CONFIG).compute(
      fitToLength((await decodeAudio(clips[0] as Uint8Array)).samples, 16_000),
    );
    assert.deepEqual(prepared.features, local);
    assert.deepEqual(
      {
        container: prepared.container,
        codec: prepared.codec,
        rate: prepared.sourceSampleRateHz,
        ms: prepared.durationMs,
        rms: Number(prepared.rmsDbfs.toFixed(2)),
      },
      { container: 'wav', codec: 'pcm_s16le', rate: 16_000, ms: 1000, rms: -23.15 },
    );
  });

  it('keeps the error class and code of bad audio across the thread hop', async () => {
    await assert.rejects(pool.prepare(new TextEncoder().encode('not audio at all'), DEFAULT_FEATURE_CONFIG), {
      name: 'AudioDecodeError',
      code: 'NOT_AUDIO',
    });
    await assert.rejects(pool.prepare(new Uint8Array(0), DEFAULT_FEATURE_CONFIG), {
      name: 'AudioDecodeError',
      code: 'EMPTY',
    });
  });

  it('writes the original bytes of a clip that decodes to its save target, and nothing for one that does not', async () => {
    const dir = tempDir('kws-engine-save-');
    const prepared = await pool.prepare(clips[1] as Uint8Array, DEFAULT_FEATURE_CONFIG, {
      saveAs: { dir, stem: 'clip-a' },
    });
    assert.deepEqual(prepared.saved, {
      file: 'clip-a.wav',
      sha256: createHash('sha256')
        .update(clips[1] as Uint8Array)
        .digest('hex'),
    });
    assert.deepEqual(readFileSync(join(dir, 'clip-a.wav')), clips[1]);
    assert.equal(
      (await pool.prepare(clips[1] as Uint8Array, DEFAULT_FEATURE_CONFIG)).saved,
      null,
      'no target, no file',
    );
    await assert.rejects(
      pool.prepare(new TextEncoder().encode('not audio at all'), DEFAULT_FEATURE_CONFIG, {
        saveAs: { dir, stem: 'clip-b' },
      }),
      { code: 'NOT_AUDIO' },
    );
    await assert.rejects(
      pool.prepare(clips[1] as Uint8Array, DEFAULT_FEATURE_CONFIG, { saveAs: { dir, stem: 'clip-a' } }),
      { code: 'FILE_UNWRITABLE', message: `cannot write ${join(dir, 'clip-a.wav')}: it already exists` },
    );
    await assert.rejects(
      pool.prepare(clips[1] as Uint8Array, DEFAULT_FEATURE_CONFIG, {
        saveAs: { dir: join(dir, 'missing'), stem: 'c' },
      }),
      { code: 'FILE_UNWRITABLE' },
    );
    assert.deepEqual(readdirSync(dir), ['clip-a.wav']);
  });

  it('runs a batch on onnxruntime and labels real clips yes, no, silence', async () => {
    const features = await Promise.all(clips.map((c) => pool.prepare(c, DEFAULT_FEATURE_CONFIG)));
    const batch = new Float32Array(3 * 98 * 40);
    features.forEach((f, i) => batch.set(f.features, i * 98 * 40));
    const out = await pool.infer({ modelDir: model, geometry, temperature: 1 }, batch, 3);
    const argmax = [0, 1, 2].map((k) =>
      Array.from(out.probabilities.subarray(k * 12, k * 12 + 12)).reduce(
        (best, p, i, all) => (p > (all[best] as number) ? i : best),
        0,
      ),
    );
    assert.deepEqual(argmax, [0, 1, 10]);
    assert.equal(out.energy.length, 3);
    assert.ok(
      out.energy.every((e) => Number.isFinite(e) && e < 0),
      `the bundled model exports logits: energies ${Array.from(out.energy)}`,
    );
    assert.equal(pool.provider, 'onnxruntime-node cpu');
  });

  it('computes probabilities at the version temperature from the logits: softmax(z / 2) is proportional to the square root of softmax(z)', async () => {
    const features = await Promise.all(clips.map((c) => pool.prepare(c, DEFAULT_FEATURE_CONFIG)));
    const batch = new Float32Array(3 * 98 * 40);
    features.forEach((f, i) => batch.set(f.features, i * 98 * 40));
    const plain = await pool.infer({ modelDir: model, geometry, temperature: 1 }, batch, 3);
    const soft = await pool.infer({ modelDir: model, geometry, temperature: 2 }, batch, 3);
    for (let k = 0; k < 3; k++) {
      const roots = Array.from(plain.probabilities.subarray(k * 12, k * 12 + 12), Math.sqrt);
      const sum = roots.reduce((a, b) => a + b, 0);
      roots.forEach((r, c) =>
        assert.ok(Math.abs((soft.probabilities[k * 12 + c] as number) - r / sum) < 1e-5, `clip ${k} class ${c}`),
      );
    }
    assert.deepEqual(Array.from(soft.energy), Array.from(plain.energy), 'energy stays at T = 1');
    assert.ok((soft.probabilities[0] as number) < (plain.probabilities[0] as number), 'a softer yes');
  });

  it('refuses a wrong feature count and a folder without a model, with codes', async () => {
    await assert.rejects(pool.infer({ modelDir: model, geometry, temperature: 1 }, new Float32Array(10), 1), {
      code: 'SHAPE_MISMATCH',
      message: 'expected 1 x 98 x 40 = 3920 features, got 10',
    });
    await assert.rejects(pool.infer({ modelDir: realDataDir(), geometry, temperature: 1 }, new Float32Array(3920), 1), {
      code: 'MALFORMED',
      message: /cannot load .*model\.onnx with onnxruntime-node/,
    });
  });

  it('refuses bad options with the value in the message', () => {
    assert.throws(() => new EnginePool({ threads: 0 }), {
      code: 'INVALID_ARGUMENT',
      message: 'threads must be an integer of at least 1, got 0',
    });
    assert.throws(() => new EnginePool({ engine: 'torch' as never }), {
      code: 'INVALID_ARGUMENT',
      message: 'engine must be onnx or tfjs, got "torch"',
    });
  });
});

describe('model sessions', () => {
  it('the TF.js engine (wasm here) agrees with onnxruntime within 1e-4 and leaks no tensors', async () => {
    const extractor = new FeatureExtractor(DEFAULT_FEATURE_CONFIG);
    const batch = new Float32Array(3 * 3920);
    for (const [i, c] of clips.entries())
      batch.set(extractor.compute(fitToLength((await decodeAudio(c)).samples, 16_000)), i * 3920);
    const onnx = await openModelSession('onnx', model, geometry, 'cpu');
    const tfjs = await openModelSession('tfjs', model, geometry, 'auto');
    try {
      assert.match(tfjs.provider, /^tfjs (tensorflow|wasm|cpu)/);
      const a = await onnx.run(batch, 3);
      await tfjs.run(batch, 3); // warm
      const tensors = tf.memory().numTensors;
      const b = await tfjs.run(batch, 3);
      assert.equal(tf.memory().numTensors, tensors);
      assert.ok(a.probabilities.every((x, i) => Math.abs(x - (b.probabilities[i] as number)) < 1e-4));
      assert.ok(
        a.energy.every((x, i) => Number.isFinite(x) && Math.abs(x - (b.energy[i] as number)) < 1e-4),
        `energies agree: ${Array.from(a.energy)} vs ${Array.from(b.energy)}`,
      );
    } finally {
      await onnx.dispose();
      await tfjs.dispose();
    }
  });

  it('refuses a model whose output does not match the labels', async () => {
    await assert.rejects(openModelSession('onnx', model, { ...geometry, classes: 10 }, 'cpu'), {
      code: 'MALFORMED',
      message: /outputs 12 values per clip, but its version lists 10 labels/,
    });
  });
});

describe('onnxruntime-node’s stray debug log', () => {
  it('is gone after a process that ran the ONNX engine exits (onnxruntime leaves an empty mat-debug-<pid>.log)', () => {
    const script = `
      import { EnginePool } from ${JSON.stringify(new URL('../../src/engine/index.ts', import.meta.url).href)};
      const pool = new EnginePool({ threads: 1 });
      await pool.warmUp(${JSON.stringify(model)}, ${JSON.stringify(geometry)});
      await pool.close();`;
    const file = join(tempDir('kws-mat-debug-'), 'engine.mts');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(existsSync(join(tmpdir(), `mat-debug-${child.pid}.log`)), false);
  });
});
