import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_THRESHOLDS } from '../../src/inference/index.js';
import { labelIndex, LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';
import { calibrateThresholds, thresholdsAtRecall, unknownTradeOff } from '../../src/training/index.js';

/** `[n, 12]` probabilities with `p` on `top` and the rest spread evenly, `[n]` energies, `[n]` true labels. */
function set(rows: ReadonlyArray<{ truth: Label; top: Label; p: number; energy: number }>) {
  const probabilities = new Float32Array(rows.length * LABELS.length);
  rows.forEach((row, i) => {
    probabilities.fill((1 - row.p) / (LABELS.length - 1), i * LABELS.length, (i + 1) * LABELS.length);
    probabilities[i * LABELS.length + labelIndex(row.top)] = row.p;
  });
  return {
    clips: { probabilities, energy: Float32Array.from(rows, (r) => r.energy), size: rows.length },
    labels: rows.map((r) => labelIndex(r.truth)),
  };
}

// Three command clips (max-softmax 0.9, 0.6, 0.8; -E 9, 5, 2), an unknown word heard as yes (0.7; -E 8) and one heard as unknown.
const { clips, labels } = set([
  { truth: 'yes', top: 'yes', p: 0.9, energy: -9 },
  { truth: 'no', top: 'no', p: 0.6, energy: -5 },
  { truth: 'go', top: 'go', p: 0.8, energy: -2 },
  { truth: 'unknown', top: 'yes', p: 0.7, energy: -8 },
  { truth: 'unknown', top: 'unknown', p: 0.9, energy: -10 },
]);

describe('unknown thresholds at an operating point', () => {
  it('keeps the stated share of command clips with each rule and lets the rule with fewer outliers decide', () => {
    const base = { ...NO_THRESHOLDS, silenceThresholdDbfs: -60 };
    const { thresholds, operatingPoint } = thresholdsAtRecall(base, clips, labels, 2 / 3);
    assert.deepEqual(operatingPoint, {
      targetRecall: 2 / 3,
      chosen: 'maxSoftmax',
      rules: [
        { score: 'maxSoftmax', threshold: Math.fround(0.8), commandRecall: 2 / 3, outlierRate: 0 },
        { score: 'energy', threshold: -5, commandRecall: 2 / 3, outlierRate: 0.5 },
      ],
    });
    assert.deepEqual(thresholds, {
      ...base,
      unknownScore: 'maxSoftmax',
      unknownThreshold: Math.fround(0.8),
      unknownEnergyThreshold: -5,
    });
  });

  it('turns a rule off where no threshold keeps the share (a command clip heard as unknown)', () => {
    const missed = set([
      { truth: 'yes', top: 'yes', p: 0.9, energy: -9 },
      { truth: 'no', top: 'unknown', p: 0.6, energy: -5 },
      { truth: 'unknown', top: 'unknown', p: 0.9, energy: -10 },
    ]);
    const { thresholds, operatingPoint } = thresholdsAtRecall(NO_THRESHOLDS, missed.clips, missed.labels, 1);
    assert.equal(operatingPoint.chosen, null);
    assert.deepEqual(
      operatingPoint.rules.map((r) => [r.score, r.threshold, r.commandRecall, r.outlierRate]),
      [
        ['maxSoftmax', null, 0.5, 0],
        ['energy', null, 0.5, 0],
      ],
    );
    assert.equal(thresholds.unknownThreshold, 0);
    assert.equal(thresholds.unknownEnergyThreshold, Number.POSITIVE_INFINITY);
  });

  it("reports each rule's trade-off from the strictest threshold to the loosest", () => {
    const [softmax, energy] = unknownTradeOff(clips, labels);
    assert.deepEqual(
      softmax?.points.map((p) => [
        p.threshold === null ? null : Number(p.threshold.toFixed(2)),
        p.commandRecall,
        p.outlierRate,
      ]),
      [
        [0.9, 1 / 3, 0],
        [0.8, 2 / 3, 0],
        [0.7, 2 / 3, 0.5],
        [0.6, 1, 0.5],
      ],
    );
    // Energy thresholds are energies (unknown above them): -E 9, 8, 5, 2 are E -9, -8, -5, -2.
    assert.deepEqual(
      energy?.points.map((p) => [p.threshold, p.commandRecall, p.outlierRate]),
      [
        [-9, 1 / 3, 0],
        [-8, 1 / 3, 0.5],
        [-5, 2 / 3, 0.5],
        [-2, 1, 0.5],
      ],
    );
  });

  it('counts a command clip below the silence floor as not kept, and has no outlier rate without outliers', () => {
    const levels = { rmsDbfs: [-20, -70, -20, -20, -20], silenceFloorDbfs: -60 };
    // The 0.6 "no" is below the floor: only 2 of 3 command clips can be kept, so 2/3 is the most.
    const { operatingPoint } = thresholdsAtRecall(NO_THRESHOLDS, clips, labels, 2 / 3, levels);
    assert.deepEqual(operatingPoint.rules[0], {
      score: 'maxSoftmax',
      threshold: Math.fround(0.8),
      commandRecall: 2 / 3,
      outlierRate: 0,
    });
    const commandsOnly = {
      probabilities: clips.probabilities.subarray(0, 3 * LABELS.length),
      energy: clips.energy.subarray(0, 3),
      size: 3,
    };
    const alone = thresholdsAtRecall(NO_THRESHOLDS, commandsOnly, labels.slice(0, 3), 2 / 3);
    assert.deepEqual(
      alone.operatingPoint.rules.map((r) => [r.score, r.outlierRate]),
      [
        ['maxSoftmax', null],
        ['energy', null],
      ],
    );
    assert.equal(alone.operatingPoint.chosen, 'maxSoftmax');
    assert.deepEqual(unknownTradeOff(commandsOnly, labels.slice(0, 3)), []);
  });

  it('calibrates at the operating point when asked, and always records the trade-off', () => {
    const rms = [-20, -20, -20, -20, -20];
    const plain = calibrateThresholds(clips.probabilities, rms, labels, clips.energy);
    assert.equal(plain.operatingPoint, undefined);
    assert.equal(plain.tradeOff?.length, 2);
    const stated = calibrateThresholds(clips.probabilities, rms, labels, clips.energy, { targetRecall: 2 / 3 });
    assert.equal(stated.thresholds.unknownThreshold, Math.fround(0.8));
    assert.equal(stated.operatingPoint?.chosen, 'maxSoftmax');
    // At 0.8 the 0.6 "no" becomes unknown (wrong) and the 0.7 "yes" unknown word becomes unknown (right): 4 of 5.
    assert.equal(stated.accuracy, 0.8);
  });
});
