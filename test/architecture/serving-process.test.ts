import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packagesLoadedBy } from '../helpers/loaded-packages.js';

const entry = (path: string): string => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);

/** Packages only training or `kws synth` need: a serving process must not load them. */
const TRAINING_ONLY = [
  '@echogarden/espeak-ng-emscripten',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  'onnx-proto',
  'csv-parse',
];

describe('the serving process', () => {
  it('loads neither the synthesizer nor TF.js when it imports the server', () => {
    const loaded = packagesLoadedBy(`await import(${entry('http/index.ts')});`);
    assert.ok(
      loaded.includes('@apollo/server') && loaded.includes('better-sqlite3'),
      `the probe saw the server's own packages: ${loaded.join(', ')}`,
    );
    assert.deepEqual(
      loaded.filter((name) => TRAINING_ONLY.includes(name)),
      [],
    );
  });

  it('loads BullMQ only for a Redis queue: the embedded default imports neither bullmq nor ioredis', () => {
    const loaded = packagesLoadedBy(`await import(${entry('http/index.ts')});`);
    assert.deepEqual(
      loaded.filter((name) => name === 'bullmq' || name === 'ioredis'),
      [],
    );
    const queue = packagesLoadedBy(
      `const { RedisJobQueue } = await import(${entry('jobs/index.ts')}); await RedisJobQueue.connect(null, { url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 }).catch(() => undefined);`,
    );
    assert.ok(queue.includes('bullmq'), queue.join(', '));
  });

  it('loads TF.js once something imports a TF.js half (the probe can see it)', () => {
    const loaded = packagesLoadedBy(`await import(${entry('training/tfjs/index.ts')});`);
    assert.ok(loaded.includes('@tensorflow/tfjs-layers'), loaded.join(', '));
  });
});
