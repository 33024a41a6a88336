import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percent, progressLines } from '../../src/cli/output.js';

describe('CLI output helpers', () => {
  it('writes a progress line at most once per interval, and always the final one', () => {
    const written: string[] = [];
    let clock = 0;
    const line = progressLines(
      (text) => written.push(text),
      5000,
      () => clock,
    );
    for (const [t, final] of [
      [1000, false],
      [4999, false],
      [5000, false],
      [9000, false],
      [10_000, false],
      [10_001, true],
    ] as const) {
      clock = t;
      line(() => `at ${t}`, final);
    }
    assert.deepEqual(written, ['at 5000\n', 'at 10000\n', 'at 10001\n']);
  });

  it('formats shares with one decimal', () => {
    assert.equal(percent(0.9234), '92.3 %');
  });
});
