import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitToLength, loudestWindowStart, rmsDbfs, SILENCE_FLOOR_DBFS } from '../../src/audio/index.js';

describe('fitToLength', () => {
  it('pads a short clip with zeros at the end', () => {
    const short = Float32Array.from({ length: 12_288 }, (_, i) => (i % 7) / 10);
    const fitted = fitToLength(short, 16_000);
    assert.equal(fitted.length, 16_000);
    assert.deepEqual(fitted.subarray(0, 12_288), short);
    assert.ok(fitted.subarray(12_288).every((v) => v === 0));
  });

  it('returns an exact-length clip itself, without copying', () => {
    const clip = new Float32Array(16_000);
    assert.equal(fitToLength(clip, 16_000), clip);
  });

  it('crops a long clip to its loudest 1 s window by default', () => {
    const long = new Float32Array(48_000);
    long.fill(0.01);
    long.fill(0.5, 30_000, 34_000); // a word 1.875-2.125 s into a 3 s recording
    const fitted = fitToLength(long, 16_000);
    const start = loudestWindowStart(long, 16_000, 160);
    assert.ok(start <= 30_000 && start + 16_000 >= 34_000, `window starts at ${start}`);
    assert.equal(start, 18_080); // the first 10 ms step whose window contains the whole word
    assert.deepEqual(fitted, long.subarray(start, start + 16_000));
  });

  it('keeps the first samples with crop "start"', () => {
    const long = Float32Array.from({ length: 20_000 }, (_, i) => i / 20_000);
    assert.deepEqual(fitToLength(long, 16_000, { crop: 'start' }), long.subarray(0, 16_000));
  });

  it('considers the very last window when the step does not reach it', () => {
    const long = new Float32Array(16_050);
    long[16_049] = 1;
    assert.equal(loudestWindowStart(long, 16_000, 160), 50);
  });

  it('rejects a length that is not a positive integer with INVALID_ARGUMENT', () => {
    assert.throws(() => fitToLength(new Float32Array(10), 0), {
      code: 'INVALID_ARGUMENT',
      message: /positive integer, got 0/,
    });
    assert.throws(() => fitToLength(new Float32Array(10), 1.5), { code: 'INVALID_ARGUMENT' });
  });
});

describe('rmsDbfs', () => {
  it('gives 0 dBFS for a full-scale square wave, -6.02 dBFS at half scale, and the floor for silence', () => {
    assert.equal(rmsDbfs(Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1))), 0);
    assert.ok(Math.abs(rmsDbfs(new Float32Array(100).fill(0.5)) + 6.0206) < 1e-4);
    assert.equal(rmsDbfs(new Float32Array(100)), SILENCE_FLOOR_DBFS);
    assert.equal(rmsDbfs(new Float32Array(0)), SILENCE_FLOOR_DBFS);
  });
});
