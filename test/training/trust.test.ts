import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelIndex, LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';
import { rejectionMetrics, servedCommandScores, trustMetrics } from '../../src/training/index.js';
import type { ScoredClips } from '../../src/training/index.js';

/** Clips whose probabilities put `p` on `top` and spread the rest evenly. */
function clips(rows: ReadonlyArray<{ top: Label; p: number; energy?: number }>): ScoredClips {
  const probabilities = new Float32Array(rows.length * LABELS.length);
  rows.forEach((row, i) => {
    for (let c = 0; c < LABELS.length; c++) probabilities[i * LABELS.length + c] = (1 - row.p) / (LABELS.length - 1);
    probabilities[i * LABELS.length + labelIndex(row.top)] = row.p;
  });
  return { probabilities, energy: Float32Array.from(rows, (r) => r.energy ?? Number.NaN), size: rows.length };
}

describe('trust metrics (calibration and OOD figures of a labelled set)', () => {
  it('scores a clip whose argmax is not a command below every command score, as the served rule answers it', () => {
    const set = clips([
      { top: 'yes', p: 0.9, energy: -8 },
      { top: 'unknown', p: 0.8, energy: -9 },
      { top: 'silence', p: 0.5, energy: -3 },
    ]);
    assert.deepEqual(Array.from(servedCommandScores(set, 'maxSoftmax', -1) ?? []), [Math.fround(0.9), -1, -1]);
    assert.deepEqual(Array.from(servedCommandScores(set, 'energy', -10) ?? []), [8, -10, -10]);
    assert.equal(servedCommandScores(clips([{ top: 'yes', p: 0.9 }]), 'energy', -10), null);
  });

  it('gives AUROC and FPR at 95 % TPR of commands against outliers for each rule', () => {
    const commands = clips([
      { top: 'yes', p: 0.9, energy: -10 },
      { top: 'no', p: 0.6, energy: -4 },
    ]);
    const outliers = clips([
      { top: 'unknown', p: 0.8, energy: -12 },
      { top: 'yes', p: 0.7, energy: -6 },
    ]);
    const [softmax, energy] = rejectionMetrics(commands, outliers);
    // max-softmax: in [0.9, 0.6], out [floor, 0.7]: 3 of 4 pairs ordered; keeping both commands (t = 0.6) keeps the 0.7 outlier.
    assert.deepEqual(softmax, {
      score: 'maxSoftmax',
      auroc: 0.75,
      fprAtTpr95: 0.5,
      commandRecallCeiling: 1,
      examples: 2,
    });
    // energy: in [10, 4], out [floor, 6]: the same order.
    assert.deepEqual(energy, { score: 'energy', auroc: 0.75, fprAtTpr95: 0.5, commandRecallCeiling: 1, examples: 2 });
  });

  it('gives no FPR at 95 % TPR when fewer than 95 % of the command clips have a command argmax', () => {
    const commands = clips([
      { top: 'yes', p: 0.9, energy: -9 },
      { top: 'unknown', p: 0.6, energy: -2 },
    ]);
    const outliers = clips([
      { top: 'unknown', p: 0.8, energy: -3 },
      { top: 'unknown', p: 0.7, energy: -4 },
    ]);
    for (const r of rejectionMetrics(commands, outliers)) {
      assert.equal(r.commandRecallCeiling, 0.5, r.score);
      assert.equal(r.fprAtTpr95, null, r.score);
      assert.equal(r.auroc, 0.75, r.score); // the yes clip beats both outliers; the unknown one ties them at the floor
    }
  });

  it('reports the command recall no threshold can exceed, and null figures without outliers', () => {
    const commands = clips([
      { top: 'yes', p: 0.9 },
      { top: 'unknown', p: 0.6 },
      { top: 'go', p: 0.7 },
      { top: 'silence', p: 0.9 },
    ]);
    const [softmax, energy] = rejectionMetrics(commands, clips([]));
    assert.deepEqual(softmax, {
      score: 'maxSoftmax',
      auroc: null,
      fprAtTpr95: null,
      commandRecallCeiling: 0.5,
      examples: 0,
    });
    assert.deepEqual(energy, {
      score: 'energy',
      auroc: null,
      fprAtTpr95: null,
      commandRecallCeiling: null,
      examples: 0,
    });
  });

  it('measures ECE, NLL and the separation from unknown and from silence clips of one set', () => {
    const set = clips([
      { top: 'yes', p: 0.9, energy: -9 },
      { top: 'yes', p: 0.9, energy: -9 },
      { top: 'unknown', p: 0.6, energy: -2 },
      { top: 'silence', p: 0.7, energy: -1 },
    ]);
    const labels = [labelIndex('yes'), labelIndex('no'), labelIndex('unknown'), labelIndex('silence')];
    const trust = trustMetrics(set, labels, 1.5);
    assert.equal(trust.temperature, 1.5);
    assert.equal(trust.examples, 4);
    // Bin (0.867, 0.933] holds both 0.9s (one right), (0.533, 0.6] the 0.6 and (0.667, 0.733] the 0.7 (both right):
    // |0.5 - 0.9| * 2/4 + |1 - 0.6| / 4 + |1 - 0.7| / 4 = 0.2 + 0.1 + 0.075.
    assert.ok(Math.abs(trust.ece - 0.375) < 1e-6, String(trust.ece));
    // A calibrated model with these confidences would show 0.306 on average (see eceSamplingFloor's test).
    assert.ok(Math.abs(trust.eceFloor! - 0.306) < 1e-6, String(trust.eceFloor));
    // Per-bin variances 0.004689 + 0.0006 + 0.0021 (the bins are independent).
    assert.ok(Math.abs(trust.eceFloorSd! - Math.sqrt(0.007389)) < 1e-6, String(trust.eceFloorSd));
    assert.equal(trust.reliability.length, 15);
    assert.equal(
      trust.reliability.reduce((n, b) => n + b.count, 0),
      4,
    );
    const expectedNll = -(Math.log(0.9) + Math.log(0.1 / 11) + Math.log(0.6) + Math.log(0.7)) / 4;
    assert.ok(Math.abs(trust.nll - expectedNll) < 1e-6, `${trust.nll} vs ${expectedNll}`);
    // The two command clips both have argmax yes (0.9); the unknown and silence clips have argmax unknown and silence.
    assert.deepEqual(
      trust.unknownRejection.map((r) => [r.score, r.auroc, r.fprAtTpr95, r.examples]),
      [
        ['maxSoftmax', 1, 0, 1],
        ['energy', 1, 0, 1],
      ],
    );
    assert.deepEqual(
      trust.nonSpeechRejection.map((r) => [r.score, r.auroc, r.fprAtTpr95, r.examples]),
      [
        ['maxSoftmax', 1, 0, 1],
        ['energy', 1, 0, 1],
      ],
    );
  });
});
