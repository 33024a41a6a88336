import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dctIIOrthonormal, hannWindow, hzToMelHtk, melFilterbank, melToHzHtk } from '../../src/features/index.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe('HTK mel scale and filterbank', () => {
  it('maps 1000 Hz to 1000 mel and 700 Hz to 2595·log10(2) = 781.1728 mel, and back', () => {
    close(hzToMelHtk(1000), 999.9855, 1e-4, 'mel(1000)');
    close(hzToMelHtk(700), 781.1728, 1e-4, 'mel(700)');
    close(melToHzHtk(hzToMelHtk(4321)), 4321, 1e-9, 'round trip');
  });

  // Worked out from mel = 2595·log10(1 + f/700): mel(20) = 31.7484, mel(7600) = 2786.9782, step between
  // the 42 edges = 67.2007. FFT bin k sits at k · 16000 / 512 = 31.25 k Hz. Filter 0 spans mel
  // 31.75-165.15 with its peak at 98.95: bin 2 (62.5 Hz, mel 96.37) gets (96.37 − 31.75) / 67.20 = 0.9618.
  const filters = melFilterbank(16_000, 512, 40, 20, 7600);
  const weight = (m: number, k: number): number => {
    const filter = filters[m]!;
    const j = k - filter.startBin;
    return j >= 0 && j < filter.weights.length ? filter.weights[j]! : 0;
  };

  it('has 40 triangular filters whose weights match values worked out by hand', () => {
    assert.equal(filters.length, 40);
    const expected: Array<[number, number, number]> = [
      [0, 1, 0.260014],
      [0, 2, 0.961814],
      [0, 3, 0.364579],
      [13, 28, 0.127317],
      [13, 31, 0.903017],
      [13, 32, 0.591865],
      [13, 33, 0.286382],
      [39, 228, 0.988319],
      [39, 243, 0.012633],
    ];
    for (const [m, k, w] of expected) close(weight(m, k), w, 1e-5, `filter ${m} bin ${k}`);
    assert.equal(weight(0, 0), 0, 'DC gets no weight');
    assert.equal(weight(0, 4), 0, 'filter 0 ends before bin 4');
    assert.equal(weight(39, 244), 0, 'nothing above 7600 Hz (bin 243.2)');
    close(filters[13]!.centerHz, melToHzHtk(31.748414 + 14 * 67.200727), 1e-3, 'centre of filter 13');
  });

  it('covers each bin between the first and last centre with weights summing to 1 (adjacent triangles overlap)', () => {
    for (let k = 4; k < 225; k++) {
      let sum = 0;
      for (let m = 0; m < 40; m++) sum += weight(m, k);
      close(sum, 1, 1e-5, `bin ${k}`);
    }
  });
});

describe('DCT-II and window', () => {
  it('builds an orthonormal DCT-II: rows are unit length and orthogonal', () => {
    const n = 40;
    const dct = dctIIOrthonormal(n, n);
    for (let a = 0; a < n; a++) {
      for (let b = a; b < n; b++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += dct[a * n + i]! * dct[b * n + i]!;
        close(dot, a === b ? 1 : 0, 1e-5, `rows ${a}·${b}`);
      }
    }
    close(dct[0]!, 1 / Math.sqrt(40), 1e-7, 'C[0][0]');
    close(dct[1 * n + 0]!, Math.sqrt(2 / 40) * Math.cos(Math.PI / 80), 1e-7, 'C[1][0]');
  });

  it('builds a periodic Hann window: 0 at n = 0, 1 at n = N/2, symmetric around it', () => {
    const w = hannWindow(480);
    assert.equal(w[0], 0);
    close(w[240]!, 1, 1e-12, 'w[240]');
    close(w[120]!, 0.5, 1e-12, 'w[120]');
    close(w[100]!, w[380]!, 1e-12, 'symmetry');
  });
});
