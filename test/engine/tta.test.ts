import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TTA, describeTta, ttaViewCount, ttaViews, validateTta } from '../../src/engine/index.js';

describe('test-time augmentation transforms', () => {
  it('shifts a clip later and earlier with silence filled in, and makes it louder clipped to [-1, 1]', () => {
    const clip = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    // 1,000 Hz: one sample a ms.
    const [same, later, earlier, louder] = ttaViews(clip, { shiftsMs: [2, -3], gainsDb: [20] }, 1000);
    assert.equal(same, clip);
    assert.deepEqual(Array.from(later!), [0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map(Math.fround));
    assert.deepEqual(Array.from(earlier!), [0.4, 0.5, 0.6, 0.7, 0.8, 0, 0, 0].map(Math.fround));
    // +20 dB is x10: 0.1 -> 1, everything above clipped at 1.
    assert.ok(Math.abs(louder![0]! - 1) < 1e-6);
    assert.deepEqual(Array.from(louder!.subarray(1)), [1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(
      Array.from(clip),
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map(Math.fround),
      'the clip is left as it was',
    );
  });

  it('counts views, describes the default set and refuses bad transforms naming them', () => {
    assert.equal(ttaViewCount(null), 1);
    assert.equal(ttaViewCount(DEFAULT_TTA), 4);
    assert.equal(describeTta(DEFAULT_TTA), 'shifts -100, 100 ms; gains 6 dB');
    assert.equal(describeTta({ shiftsMs: [50], gainsDb: [] }), 'shifts 50 ms; no gains');
    for (const [spec, message] of [
      [{ shiftsMs: [0], gainsDb: [] }, 'a TTA shift must be from -500 to 500 ms and not 0, got 0'],
      [{ shiftsMs: [600], gainsDb: [] }, 'a TTA shift must be from -500 to 500 ms and not 0, got 600'],
      [{ shiftsMs: [], gainsDb: [Number.NaN] }, 'a TTA gain must be from -30 to 30 dB and not 0, got NaN'],
      [{ shiftsMs: [], gainsDb: [] }, 'TTA needs 1 to 8 transforms, got 0 (0 shifts, 0 gains)'],
      [{ shiftsMs: [1, 2, 3, 4, 5], gainsDb: [1, 2, 3, 4] }, 'TTA needs 1 to 8 transforms, got 9 (5 shifts, 4 gains)'],
    ] as const)
      assert.throws(() => validateTta(spec), { name: 'KwsError', code: 'INVALID_ARGUMENT', message });
  });
});
