import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Rng, resolveAugmentConfig } from '../../src/data/index.js';
import { resolveFeatureConfig } from '../../src/features/index.js';
import { InThreadBatches, MIN_WORKER_CLIPS, openBatchSource, WorkerBatches } from '../../src/training/index.js';
import type { BatchMakerInit, BatchSource } from '../../src/training/index.js';

const CLIP = 16_000;

/** Six clips of tones with a little seeded noise, on shared memory as `loadClipSet` makes them. */
function init(seed: number): BatchMakerInit {
  const samples = new Int16Array(new SharedArrayBuffer(6 * CLIP * 2));
  const rng = new Rng(99);
  for (let c = 0; c < 6; c++)
    for (let i = 0; i < CLIP; i++)
      samples[c * CLIP + i] = Math.round(
        8000 * Math.sin((2 * Math.PI * (300 + 150 * c) * i) / CLIP) + rng.uniform(-300, 300),
      );
  const noise = Float32Array.from({ length: 3 * CLIP }, () => rng.uniform(-0.1, 0.1));
  return {
    samples,
    clipSamples: CLIP,
    noises: [noise],
    // Every transform on, so that every draw of the stream is exercised.
    augment: resolveAugmentConfig({
      timeMasks: 2,
      freqMasks: 2,
      reverbProbability: 0.5,
      bandLimitProbability: 0.5,
      vtlpProbability: 0.5,
    }),
    features: resolveFeatureConfig({}),
    seed,
  };
}

const BATCHES = [
  [0, 1, 2, 3],
  [5, 4, 3],
  [2, 2, 0, 1, 5],
];

/** SHA-256 of each batch, requested all at once (as the trainer keeps one ahead). */
async function digests(source: BatchSource): Promise<string[]> {
  for (const indices of BATCHES) source.request(indices);
  const out: string[] = [];
  try {
    for (const indices of BATCHES) {
      const features = await source.take();
      assert.equal(features.length, indices.length * 98 * 40);
      assert.ok(
        features.every((v) => Number.isFinite(v)),
        'features are finite',
      );
      out.push(createHash('sha256').update(new Uint8Array(features.buffer)).digest('hex'));
    }
  } finally {
    await source.close();
  }
  return out;
}

describe('training batch sources', () => {
  it('a worker thread makes the same batches, bit for bit, as the training thread, for the same seed', async () => {
    const inThread = await digests(new InThreadBatches(init(7)));
    const worker = await digests(new WorkerBatches(init(7)));
    assert.deepEqual(worker, inThread);
    assert.equal(new Set(inThread).size, 3);
  });

  it('another seed draws other batches', async () => {
    const a = await digests(new InThreadBatches(init(7)));
    const b = await digests(new InThreadBatches(init(8)));
    assert.notDeepEqual(a, b);
  });

  it('chooses a worker thread only where there is a second core and enough clips to win its start back', async () => {
    assert.equal(MIN_WORKER_CLIPS, 2048);
    const sources = [
      openBatchSource(init(1), { cores: 1, minClips: 6 }),
      openBatchSource(init(1), { cores: 2, minClips: 6 }),
      openBatchSource(init(1), { cores: 2, minClips: 7 }),
      openBatchSource(init(1), { cores: 2 }),
    ];
    assert.deepEqual(
      sources.map((s) => s.constructor.name),
      ['InThreadBatches', 'WorkerBatches', 'InThreadBatches', 'InThreadBatches'],
    );
    await Promise.all(sources.map((s) => s.close()));
  });

  it('refuses to take a batch that was never requested, and a batch after close (requested before or after it), as INTERNAL', async () => {
    for (const source of [new InThreadBatches(init(1)), new WorkerBatches(init(1))]) {
      await assert.rejects(source.take(), { name: 'KwsError', code: 'INTERNAL', message: 'no batch was requested' });
      source.request([0]);
      await source.close();
      await assert.rejects(
        source.take(),
        { code: 'INTERNAL', message: 'batch source closed' },
        source.constructor.name,
      );
      source.request([1]);
      await assert.rejects(
        source.take(),
        { code: 'INTERNAL', message: 'batch source closed' },
        source.constructor.name,
      );
    }
  });

  it('fails every pending batch when the worker thread dies', async () => {
    const source = new WorkerBatches(init(1));
    source.request([0]);
    source.request([1]);
    // Stop the thread under it, as a crash would.
    (source as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await assert.rejects(source.take(), { code: 'INTERNAL', message: /^batch worker exited with code \d+$/ });
    await assert.rejects(source.take(), { code: 'INTERNAL' });
    await source.close();
  });
});

describe('Rng.forkSeed', () => {
  it('is the seed fork() draws', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    assert.equal(new Rng(a.forkSeed()).float(), b.fork().float());
    assert.equal(a.float(), b.float());
  });
});
