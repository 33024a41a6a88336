import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelIndex, LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';
import { decide, NO_THRESHOLDS, validateThresholds } from '../../src/inference/index.js';
import { energyFromLogits } from '../../src/engine/index.js';
import { calibrateThresholds, computeMetrics } from '../../src/training/index.js';

const idx = (labels: Label[]): number[] => labels.map(labelIndex);

/** A softmax row with `p` on `label` and the rest spread evenly. */
function row(label: Label, p: number): number[] {
  return LABELS.map((l) => (l === label ? p : (1 - p) / 11));
}

describe('computeMetrics', () => {
  it('computes accuracy, per-class precision/recall/F1 and the confusion matrix, worked by hand', () => {
    // yes: 3 true, 2 found, 1 "no" predicted as yes. no: 2 true, 1 found.
    const truth = idx(['yes', 'yes', 'yes', 'no', 'no', 'silence']);
    const predicted = idx(['yes', 'yes', 'go', 'yes', 'no', 'silence']);
    const metrics = computeMetrics(truth, predicted);
    assert.equal(metrics.accuracy, 4 / 6);
    const yes = metrics.perClass[0]!;
    assert.deepEqual({ ...yes }, { label: 'yes', precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 });
    const no = metrics.perClass[1]!;
    assert.deepEqual({ ...no }, { label: 'no', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 });
    const go = metrics.perClass[labelIndex('go')]!;
    assert.deepEqual({ ...go }, { label: 'go', precision: 0, recall: 0, f1: 0, support: 0 });
    assert.equal(metrics.confusion[0]![labelIndex('go')], 1);
    assert.equal(metrics.confusion[1]![0], 1);
    assert.equal(
      metrics.confusion.flat().reduce((a, b) => a + b, 0),
      6,
    );
  });
});

describe('thresholds', () => {
  it('turns quiet clips into silence and unsure ones into unknown, saying why', () => {
    const thresholds = { unknownThreshold: 0.6, silenceThresholdDbfs: -60 };
    assert.deepEqual(decide(row('yes', 0.9), -20, thresholds), {
      label: 'yes',
      rawLabel: 'yes',
      confidence: 0.9,
      reason: 'MODEL',
    });
    assert.deepEqual(decide(row('yes', 0.5), -20, thresholds), {
      label: 'unknown',
      rawLabel: 'yes',
      confidence: 0.5,
      reason: 'LOW_CONFIDENCE',
    });
    assert.deepEqual(decide(row('yes', 0.9), -75, thresholds), {
      label: 'silence',
      rawLabel: 'yes',
      confidence: 0.9,
      reason: 'LOW_ENERGY',
    });
    assert.equal(decide(row('go', 0.3), -20, NO_THRESHOLDS).label, 'go');
  });

  it('rejects thresholds out of range', () => {
    assert.throws(() => validateThresholds({ unknownThreshold: 1.2, silenceThresholdDbfs: -60 }), {
      code: 'INVALID_ARGUMENT',
      message: /unknownThreshold must be a probability from 0 to 1, got 1.2/,
    });
    assert.throws(() => validateThresholds({ unknownThreshold: 0.5, silenceThresholdDbfs: 3 }), {
      code: 'INVALID_ARGUMENT',
      message: /at most 0/,
    });
  });

  it('calibrates the thresholds that maximise accuracy on a labelled set', () => {
    // Confident commands, unsure out-of-vocabulary words (truly unknown), quiet noise (truly silence).
    const rows: number[][] = [];
    const rms: number[] = [];
    const truth: Label[] = [];
    for (let i = 0; i < 20; i++) {
      rows.push(row('left', 0.9));
      rms.push(-25);
      truth.push('left');
      rows.push(row('right', 0.4));
      rms.push(-25);
      truth.push('unknown');
      rows.push(row('go', 0.8));
      rms.push(-80);
      truth.push('silence');
    }
    const calibration = calibrateThresholds(Float32Array.from(rows.flat()), rms, idx(truth));
    assert.equal(calibration.baselineAccuracy, 1 / 3);
    assert.equal(calibration.accuracy, 1);
    assert.equal(calibration.thresholds.unknownThreshold, 0.45);
    assert.equal(calibration.thresholds.silenceThresholdDbfs, -75);
    assert.equal(calibration.unknownCurve.length, 20);
  });

  it('decides unknown by the energy score when asked, and never on a missing score', () => {
    const energy = {
      unknownThreshold: 0.95,
      silenceThresholdDbfs: -60,
      unknownScore: 'energy' as const,
      unknownEnergyThreshold: -5,
    };
    // The max-softmax threshold (0.95) is ignored under the energy rule.
    assert.deepEqual(decide(row('yes', 0.9), -20, energy, 0, -8), {
      label: 'yes',
      rawLabel: 'yes',
      confidence: 0.9,
      reason: 'MODEL',
    });
    assert.deepEqual(decide(row('yes', 0.9), -20, energy, 0, -3), {
      label: 'unknown',
      rawLabel: 'yes',
      confidence: 0.9,
      reason: 'LOW_CONFIDENCE',
    });
    assert.equal(
      decide(row('yes', 0.9), -20, energy, 0, Number.NaN).label,
      'yes',
      'a model without logits is never unknown by energy',
    );
    assert.equal(decide(row('yes', 0.9), -75, energy, 0, -3).label, 'silence', 'the silence floor comes first');
    assert.throws(() => validateThresholds({ ...energy, unknownScore: 'entropy' as never }), {
      code: 'INVALID_ARGUMENT',
      message: 'unknownScore must be one of maxSoftmax, energy, got entropy',
    });
    assert.throws(() => validateThresholds({ ...energy, unknownEnergyThreshold: Number.NaN }), {
      code: 'INVALID_ARGUMENT',
      message: 'unknownEnergyThreshold must be an energy score from -1000000 to 1000000, got NaN',
    });
    assert.throws(() => validateThresholds({ ...energy, unknownEnergyThreshold: Number.NEGATIVE_INFINITY }), {
      code: 'INVALID_ARGUMENT',
      message: /from -1000000 to 1000000, got -Infinity/,
    });
    assert.throws(() => validateThresholds({ ...energy, unknownEnergyThreshold: Number.POSITIVE_INFINITY }), {
      code: 'INVALID_ARGUMENT',
      message: /^unknownScore energy needs an unknownEnergyThreshold/,
    });
    assert.doesNotThrow(
      () =>
        validateThresholds({ ...energy, unknownScore: 'maxSoftmax', unknownEnergyThreshold: Number.POSITIVE_INFINITY }),
      'an uncalibrated energy threshold is fine under max-softmax',
    );
  });

  it('computes the energy score -logsumexp(logits) without overflow', () => {
    const e = energyFromLogits([0, 0, 1000, 1000, Math.log(3), 0], 3, 2);
    assert.ok(Math.abs(e[0]! + Math.LN2) < 1e-6);
    assert.ok(Math.abs(e[1]! + (1000 + Math.LN2)) < 1e-3);
    assert.ok(Math.abs(e[2]! + Math.log(4)) < 1e-6);
  });

  it('calibrates the energy rule too, and picks it when it separates what max-softmax cannot', () => {
    // Commands and out-of-vocabulary words get the same softmax row, but the words have far higher
    // energy (smaller logits): only the energy score tells them apart.
    const rows: number[][] = [];
    const rms: number[] = [];
    const truth: Label[] = [];
    const energies: number[] = [];
    for (let i = 0; i < 20; i++) {
      rows.push(row('left', 0.9));
      rms.push(-25);
      truth.push('left');
      energies.push(-12 - i / 10);
      rows.push(row('left', 0.9));
      rms.push(-25);
      truth.push('unknown');
      energies.push(-3 - i / 10);
    }
    const calibration = calibrateThresholds(Float32Array.from(rows.flat()), rms, idx(truth), energies);
    assert.equal(calibration.baselineAccuracy, 0.5);
    assert.equal(calibration.accuracy, 1);
    assert.equal(calibration.thresholds.unknownScore, 'energy');
    const threshold = calibration.thresholds.unknownEnergyThreshold!;
    assert.ok(threshold >= -12 && threshold < -3, `energy threshold ${threshold} between the two groups`);
    assert.ok(
      calibration.energyCurve!.some((p) => p.threshold === null && p.accuracy === 0.5),
      'the curve includes the rule switched off',
    );
    // Without energies the max-softmax rule is kept, and nothing is gained.
    const plain = calibrateThresholds(Float32Array.from(rows.flat()), rms, idx(truth));
    assert.equal(plain.thresholds.unknownScore, 'maxSoftmax');
    assert.equal(plain.accuracy, 0.5);
    assert.deepEqual(plain.energyCurve, []);
  });
});
