import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { energyFromLogits, energyWithTemperature, softmaxWithTemperature } from '../../src/engine/index.js';
import { decide, NO_THRESHOLDS } from '../../src/inference/index.js';
import { labelIndex, LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';
import {
  auroc,
  brierScore,
  chooseOperatingPoints,
  clipOutcomes,
  commandMask,
  correctness,
  eceSamplingFloor,
  EXACT_FLOOR_MAX_CLIPS,
  expectedCalibrationError,
  fitTemperature,
  fprAtTpr,
  meanNllWithTemperature,
  negativeLogLikelihood,
  reliabilityTable,
  rocCurve,
  thinCurve,
  thresholdAtTpr,
  topPredictions,
  tradeOffCurve,
} from '../../src/training/index.js';
import type { RocPoint } from '../../src/training/index.js';
import { Rng } from '../../src/data/index.js';

/** A refusal as `assert.throws` checks it. */
const refusal = (message: string): { name: string; code: string; message: string } => ({
  name: 'KwsError',
  code: 'INVALID_ARGUMENT',
  message,
});

/** Trapezoidal area under ROC points. */
function trapezoid(points: readonly RocPoint[]): number {
  let area = 0;
  for (let k = 1; k < points.length; k++)
    area +=
      (((points[k] as RocPoint).fpr - (points[k - 1] as RocPoint).fpr) *
        ((points[k] as RocPoint).tpr + (points[k - 1] as RocPoint).tpr)) /
      2;
  return area;
}

function assertClose(actual: number, expected: number, tolerance: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);
}

/** Scores 1/20, 2/20, ..., 20/20. */
const TWENTY = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);

describe('auroc', () => {
  it('is 1 for perfectly separated scores, 0 for reversed ones and 0.5 when all are tied', () => {
    assert.equal(auroc([0.9, 0.8, 0.7], [0.3, 0.2]), 1);
    assert.equal(auroc([0.3, 0.2], [0.9, 0.8, 0.7]), 0);
    assert.equal(auroc([0.5, 0.5], [0.5, 0.5, 0.5]), 0.5);
  });

  it('counts a tied pair as one half: 3 against 3 with one tie is 7.5 / 9', () => {
    // 0.9 beats all three; 0.6 ties 0.6 and beats 0.3 and 0.2; 0.4 beats 0.3 and 0.2.
    assert.equal(auroc([0.9, 0.6, 0.4], [0.6, 0.3, 0.2]), 7.5 / 9);
    assert.equal(auroc([0.4, 0.9, 0.6], [0.2, 0.6, 0.3]), 7.5 / 9);
  });

  it('equals the trapezoidal area under the unthinned ROC curve', () => {
    const ins = [0.9, 0.6, 0.6, 0.4, 0.1];
    const outs = [0.6, 0.3, 0.2, 0.1];
    assertClose(trapezoid(rocCurve(ins, outs)), auroc(ins, outs), 1e-15);
  });

  it('refuses empty arrays and NaN, naming the array and the index', () => {
    assert.throws(() => auroc([], [0.1]), refusal('inScores must hold at least one score, got an empty array'));
    assert.throws(() => auroc([0.5], []), refusal('outScores must hold at least one score, got an empty array'));
    assert.throws(() => auroc([0.5], [0.1, Number.NaN]), refusal('outScores[1] must be a finite number, got NaN'));
    assert.throws(
      () => auroc([Number.POSITIVE_INFINITY], [0.1]),
      refusal('inScores[0] must be a finite number, got Infinity'),
    );
  });
});

describe('thresholdAtTpr and fprAtTpr', () => {
  it('takes the 19th highest of 20 in-distribution scores for 95 % TPR, and counts OOD scores equal to it as false positives', () => {
    assert.equal(thresholdAtTpr(TWENTY), 2 / 20);
    // >= 0.1: 0.5 and 0.1 (the tie) of four.
    assert.equal(fprAtTpr(TWENTY, [0.1, 0.05, 0.5, 0.02]), 0.5);
  });

  it('keeps every in-distribution score tied with the threshold, so the achieved TPR may exceed the target', () => {
    // TPR 0.5 of 5 needs 3 scores; the third highest is 0.9, and four scores are >= 0.9.
    assert.equal(thresholdAtTpr([1, 0.9, 0.9, 0.9, 0.2], 0.5), 0.9);
    assert.equal(fprAtTpr([1, 0.9, 0.9, 0.9, 0.2], [0.9, 0.8], 0.5), 0.5);
  });

  it('takes the lowest score for TPR 1 and does not round 0.07 * 100 up to 8 scores', () => {
    assert.equal(thresholdAtTpr(TWENTY, 1), 1 / 20);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(thresholdAtTpr(hundred, 0.07), 94);
  });

  it('refuses a TPR outside (0, 1] and NaN scores', () => {
    assert.throws(() => thresholdAtTpr(TWENTY, 0), refusal('tpr must be a rate in (0, 1], got 0'));
    assert.throws(() => fprAtTpr(TWENTY, [0.1], 1.5), refusal('tpr must be a rate in (0, 1], got 1.5'));
    assert.throws(() => thresholdAtTpr([0.2, Number.NaN]), refusal('inScores[1] must be a finite number, got NaN'));
    assert.throws(() => fprAtTpr(TWENTY, []), refusal('outScores must hold at least one score, got an empty array'));
  });
});

describe('rocCurve', () => {
  it('runs from (0, 0) at threshold +Infinity through each distinct score to (1, 1)', () => {
    assert.deepEqual(rocCurve([0.9, 0.6], [0.6, 0.2]), [
      { threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0 },
      { threshold: 0.9, tpr: 0.5, fpr: 0 },
      { threshold: 0.6, tpr: 1, fpr: 0.5 },
      { threshold: 0.2, tpr: 1, fpr: 1 },
    ]);
  });

  it('thins to at most maxPoints, keeping the first and the last', () => {
    const curve = rocCurve(TWENTY, [0.33, 0.66], 5);
    assert.equal(curve.length, 5);
    assert.deepEqual(curve[0], { threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0 });
    assert.deepEqual(curve[4], { threshold: 1 / 20, tpr: 1, fpr: 1 });
    assert.deepEqual(thinCurve([1, 2, 3, 4, 5, 6, 7], 3), [1, 4, 7]);
    assert.throws(() => thinCurve([1, 2, 3], 1), refusal('maxPoints must be an integer of at least 2, got 1'));
  });
});

describe('reliabilityTable and expectedCalibrationError', () => {
  it('gives ECE 0.3 exactly for 100 clips at confidence 0.9 of which 60 are right', () => {
    const confidences = new Array<number>(100).fill(0.9);
    const correct = Array.from({ length: 100 }, (_, i) => i < 60);
    assert.equal(expectedCalibrationError(confidences, correct), 0.3);
    const table = reliabilityTable(confidences, correct);
    assert.equal(table.mce, 0.3);
    assert.equal(table.examples, 100);
    assert.equal(table.bins.length, 15);
    // 0.9 is in (13/15, 14/15].
    assert.deepEqual(table.bins[13], {
      lower: 13 / 15,
      upper: 14 / 15,
      count: 100,
      meanConfidence: 0.9,
      accuracy: 0.6,
    });
    assert.deepEqual(table.bins[0], { lower: 0, upper: 1 / 15, count: 0, meanConfidence: null, accuracy: null });
  });

  it('puts confidence 0 in the first bin and a confidence on an upper edge in the bin below it', () => {
    const table = reliabilityTable([0, 1 / 3, 0.5, 1], [0, 1, 1, 1], 3);
    assert.deepEqual(
      table.bins.map((bin) => bin.count),
      [2, 1, 1],
    );
    assert.deepEqual(
      table.bins.map((bin) => bin.accuracy),
      [0.5, 1, 1],
    );
    // (|1 - 1/3| + |1 - 0.5| + |1 - 1|) / 4.
    assertClose(table.ece, 7 / 24, 1e-15);
  });

  it('derives confidences and correctness from probabilities and labels', () => {
    const { confidences, predicted } = topPredictions([0.2, 0.8, 0.6, 0.4], 2, 2);
    assert.deepEqual(Array.from(predicted), [1, 0]);
    assert.deepEqual(Array.from(confidences), [Math.fround(0.8), Math.fround(0.6)]);
    assert.deepEqual(Array.from(correctness(predicted, [1, 1])), [1, 0]);
  });

  it('refuses no clips, NaN confidences, mismatched lengths and flags that are not booleans or 0/1', () => {
    assert.throws(
      () => reliabilityTable([], []),
      refusal('confidences must hold at least one value, got an empty array'),
    );
    assert.throws(
      () => reliabilityTable([0.5, Number.NaN], [1, 0]),
      refusal('confidences[1] must be a probability from 0 to 1, got NaN'),
    );
    assert.throws(() => reliabilityTable([0.5], [1, 0]), refusal('correct must hold 1 values (one per clip), got 2'));
    assert.throws(() => reliabilityTable([0.5], [2]), refusal('correct[0] must be true, false, 1 or 0, got 2'));
    assert.throws(() => reliabilityTable([0.5], [1], 0), refusal('bins must be an integer of at least 1, got 0'));
  });
});

describe('eceSamplingFloor', () => {
  it('gives the exact ECE of a calibrated model on 4 clips at confidence 0.5: E|Bin(4, 0.5) - 2| / 4 = 0.1875', () => {
    const floor = eceSamplingFloor([0.5, 0.5, 0.5, 0.5]);
    // P(S = 0..4) = 1, 4, 6, 4, 1 sixteenths; |S - 2| = 2, 1, 0, 1, 2: 12/16 = 0.75 right answers off, over 4 clips.
    assert.ok(Math.abs(floor.mean - 0.1875) < 1e-12, String(floor.mean));
    // Var S = 1, so Var|S - 2| = 1 - 0.75²; sd = sqrt(0.4375) / 4.
    assert.ok(Math.abs(floor.sd - Math.sqrt(0.4375) / 4) < 1e-12, String(floor.sd));
  });

  it('is 0 for confidences of exactly 0 and 1, which a calibrated model always gets wrong and right', () => {
    assert.deepEqual(eceSamplingFloor([1, 1, 0, 1]), { mean: 0, sd: 0 });
  });

  it('adds the bins: 0.9, 0.9 | 0.6 | 0.7 give (0.324 + 0.48 + 0.42) / 4', () => {
    // Bin of 0.9, 0.9: P(S = 0, 1, 2) = 0.01, 0.18, 0.81 and |S - 1.8| = 1.8, 0.8, 0.2 -> 0.324; 0.6 alone: 2 · 0.6 · 0.4.
    const floor = eceSamplingFloor([0.9, 0.6, 0.9, 0.7]);
    assert.ok(Math.abs(floor.mean - 0.306) < 1e-12, String(floor.mean));
    const variance = 0.18 - 0.324 ** 2 + (0.24 - 0.48 ** 2) + (0.21 - 0.42 ** 2);
    assert.ok(Math.abs(floor.sd - Math.sqrt(variance) / 4) < 1e-12, String(floor.sd));
  });

  it('matches the ECE of simulated calibrated answers (300 clips, 4,000 draws) within four standard errors', () => {
    const rng = new Rng(11);
    const confidences = Array.from({ length: 300 }, () => rng.uniform(0.3, 1));
    const floor = eceSamplingFloor(confidences);
    const draws = Array.from({ length: 4_000 }, () =>
      expectedCalibrationError(
        confidences,
        confidences.map((c) => rng.chance(c)),
      ),
    );
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1));
    assert.ok(
      Math.abs(mean - floor.mean) < (4 * sd) / Math.sqrt(draws.length),
      `${mean} simulated, ${floor.mean} exact`,
    );
    assert.ok(Math.abs(sd - floor.sd) < 0.1 * floor.sd, `sd ${sd} simulated, ${floor.sd} exact`);
    assert.ok(floor.mean > 0.02, `300 clips leave a floor of ${floor.mean}`);
  });

  it('uses the normal approximation past EXACT_FLOOR_MAX_CLIPS clips a bin, within 0.1 % of the exact value', () => {
    const exact = eceSamplingFloor(new Array<number>(EXACT_FLOOR_MAX_CLIPS).fill(0.5));
    const approximate = eceSamplingFloor(new Array<number>(EXACT_FLOOR_MAX_CLIPS + 1).fill(0.5));
    assert.equal(approximate.mean, Math.sqrt((2 / Math.PI) * 0.25 * 2001) / 2001);
    // The floor shrinks as 1/sqrt(n): scale the exact one from 2,000 to 2,001 clips.
    const scaled = exact.mean * Math.sqrt(2000 / 2001);
    assert.ok(Math.abs(approximate.mean - scaled) < 1e-3 * scaled, `${approximate.mean} against ${scaled}`);
  });

  it('refuses what reliabilityTable refuses', () => {
    assert.throws(
      () => eceSamplingFloor([0.5, Number.NaN]),
      refusal('confidences[1] must be a probability from 0 to 1, got NaN'),
    );
    assert.throws(() => eceSamplingFloor([]), refusal('confidences must hold at least one value, got an empty array'));
  });
});

describe('negativeLogLikelihood and brierScore', () => {
  it('match hand values and floor a zero probability at 1e-12', () => {
    assertClose(negativeLogLikelihood([0.25, 0.75], [1], 2), -Math.log(0.75), 1e-15);
    assert.equal(brierScore([0.25, 0.75], [1], 2), 0.125);
    assertClose(negativeLogLikelihood([1, 0], [1], 2), -Math.log(1e-12), 1e-12);
    assert.throws(
      () => brierScore([0.25, 0.75], [2], 2),
      refusal('labels[0] must be a class index from 0 to 1, got 2'),
    );
  });
});

describe('softmaxWithTemperature and energyWithTemperature', () => {
  const logits = [0, Math.log(3)];

  it('matches hand values at T = 1, 0.5 and 2, and subtracts the row maximum so large logits do not overflow', () => {
    const at = (z: number[], t: number): number[] => Array.from(softmaxWithTemperature(z, 1, 2, t));
    assert.deepEqual(at(logits, 1), [0.25, 0.75]);
    at(logits, 0.5).forEach((p, c) => assertClose(p, [0.1, 0.9][c] as number, 1e-7, 'T = 0.5'));
    at(logits, 2).forEach((p, c) => assertClose(p, [1, Math.sqrt(3)][c]! / (1 + Math.sqrt(3)), 1e-7, 'T = 2'));
    assert.deepEqual(at([1000, 1000 + Math.log(3)], 1), [0.25, 0.75]);
  });

  it('fills a given output array', () => {
    const out = new Float32Array(4);
    assert.equal(softmaxWithTemperature([0, 0, 5, 5], 2, 2, 3, out), out);
    assert.deepEqual(Array.from(out), [0.5, 0.5, 0.5, 0.5]);
  });

  it('gives at T = 1 the energy the product stores, and -2 ln 4 for logits (0, 2 ln 3) at T = 2', () => {
    // -logsumexp by hand: rows (1, 2, 3) and (-4, 0.5, 7).
    const byHand = [
      -Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)),
      -Math.log(Math.exp(-4) + Math.exp(0.5) + Math.exp(7)),
    ];
    Array.from(energyFromLogits([1, 2, 3, -4, 0.5, 7], 2, 3)).forEach((e, i) =>
      assertClose(e, byHand[i] as number, 1e-5),
    );
    assertClose(energyWithTemperature([0, 2 * Math.log(3)], 1, 2, 2)[0] as number, -2 * Math.log(4), 1e-6);
    assertClose(meanNllWithTemperature(logits, [1], 2, 1), -Math.log(0.75), 1e-15);
  });

  it('refuses a temperature that is not above 0 and a shape that does not fit', () => {
    assert.throws(
      () => softmaxWithTemperature(logits, 1, 2, 0),
      refusal('temperature must be a finite number above 0, got 0'),
    );
    assert.throws(
      () => energyWithTemperature(logits, 1, 2, Number.NaN),
      refusal('temperature must be a finite number above 0, got NaN'),
    );
    assert.throws(
      () => softmaxWithTemperature(logits, 2, 2, 1),
      refusal('logits must hold batch * classes = 2 * 2 values, got 2'),
    );
  });
});

describe('fitTemperature', () => {
  /**
   * A calibrated set: two logit rows repeated with labels in the exact proportions of their softmax
   * (0.6/0.3/0.1 over ten clips, 0.5/0.25/0.25 over four), so T = 1 is the exact NLL minimum; the
   * logits are then multiplied by T0.
   */
  function overConfident(t0: number): { logits: Float32Array; labels: number[] } {
    const groups = [
      { p: [0.6, 0.3, 0.1], labels: [0, 0, 0, 0, 0, 0, 1, 1, 1, 2] },
      { p: [0.5, 0.25, 0.25], labels: [0, 0, 1, 2] },
    ];
    const rows = groups.flatMap(({ p, labels }) => labels.map(() => p.map((q) => t0 * Math.log(q))));
    return { logits: Float32Array.from(rows.flat()), labels: groups.flatMap((g) => g.labels) };
  }

  it('recovers the temperature T0 = 2.5 of logits scaled from a calibrated set, and lowers ECE from over 0.2 to under 1e-3', () => {
    const { logits, labels } = overConfident(2.5);
    const fit = fitTemperature(logits, labels, 3);
    assertClose(fit.temperature / 2.5, 1, 1e-4, 'T / T0');
    assert.equal(fit.atBound, false);
    assert.ok(fit.nllAfter < fit.nllBefore);
    const eceAt = (t: number): number => {
      const { confidences, predicted } = topPredictions(
        softmaxWithTemperature(logits, labels.length, 3, t),
        labels.length,
        3,
      );
      return expectedCalibrationError(confidences, correctness(predicted, labels));
    };
    assert.ok(eceAt(1) > 0.2, `ECE before ${eceAt(1)}`);
    assert.ok(eceAt(fit.temperature) < 1e-3, `ECE after ${eceAt(fit.temperature)}`);
  });

  it('is deterministic and stops at the lower bound on a set the model separates perfectly', () => {
    const logits = Float32Array.from([5, 0, 0, 5]);
    const fit = fitTemperature(logits, [0, 1], 2);
    assert.deepEqual(fitTemperature(logits, [0, 1], 2), fit);
    assert.equal(fit.atBound, true);
    assertClose(fit.temperature, 0.05, 0.05 * 1e-4);
  });

  it('refuses no labels, NaN logits, labels out of range and bad bounds', () => {
    assert.throws(
      () => fitTemperature(new Float32Array(0), [], 2),
      refusal('labels must hold at least one label, got an empty array'),
    );
    assert.throws(
      () => fitTemperature(Float32Array.from([0, Number.NaN]), [0], 2),
      refusal('logits[1] must be a finite number, got NaN'),
    );
    assert.throws(
      () => fitTemperature(Float32Array.from([0, 1]), [3], 2),
      refusal('labels[0] must be a class index from 0 to 1, got 3'),
    );
    assert.throws(
      () => fitTemperature(Float32Array.from([0, 1]), [0], 2, { minTemperature: 2, maxTemperature: 1 }),
      refusal('maxTemperature must be a finite number above minTemperature 2, got 1'),
    );
  });
});

describe('chooseOperatingPoints', () => {
  // Twenty commands scored 1/20 .. 20/20, labelled right when kept; five unknown clips, right only when rejected.
  const oodScores = [0.16, 0.17, 0.18, 0.19, 0.6];
  const outcomes = {
    scores: [...TWENTY, ...oodScores],
    inDistribution: [...TWENTY.map(() => true), ...oodScores.map(() => false)],
    correctIfAccepted: [...TWENTY.map(() => 1), ...oodScores.map(() => 0)],
    correctIfRejected: [...TWENTY.map(() => 0), ...oodScores.map(() => 1)],
  };

  it('keeps 95 % of commands at the 19th highest command score, and finds the most accurate threshold', () => {
    const points = chooseOperatingPoints(outcomes);
    assert.equal(points.targetTpr, 0.95);
    assert.deepEqual(points.atTargetTpr, { threshold: 2 / 20, tpr: 19 / 20, fpr: 1, accuracy: 19 / 25 });
    // At 0.2: 17 commands kept, four of five unknown clips rejected.
    assert.deepEqual(points.maxAccuracy, { threshold: 4 / 20, tpr: 17 / 20, fpr: 1 / 5, accuracy: 21 / 25 });
    assert.deepEqual(points.acceptAll, { threshold: 1 / 20, tpr: 1, fpr: 1, accuracy: 20 / 25 });
    assert.deepEqual(points.curve[0], { threshold: Number.POSITIVE_INFINITY, tpr: 0, fpr: 0, accuracy: 5 / 25 });
    // +Infinity, then 24 distinct scores: the unknown clip at 0.6 ties the command at 12/20.
    assert.equal(tradeOffCurve(outcomes).length, 25);
    assert.equal(chooseOperatingPoints(outcomes, { maxCurvePoints: 3 }).curve.length, 3);
  });

  it('keeps the lowest threshold when two are equally accurate', () => {
    const tie = {
      scores: [0.9, 0.5, 0.4],
      inDistribution: [1, 0, 1],
      correctIfAccepted: [1, 0, 1],
      correctIfRejected: [0, 1, 0],
    };
    assert.equal(chooseOperatingPoints(tie).maxAccuracy.threshold, 0.4);
  });

  it('agrees with decide: the accuracy at each threshold is that of the max-softmax rule with that unknownThreshold', () => {
    const row = (label: Label, p: number): number[] => LABELS.map((l) => (l === label ? p : (1 - p) / 11));
    const clips: Array<[Label, Label, number]> = [
      ['yes', 'yes', 0.9],
      ['no', 'no', 0.55],
      ['up', 'unknown', 0.5],
      ['unknown', 'unknown', 0.7],
      ['go', 'unknown', 0.3],
      ['down', 'down', 0.35],
    ];
    const probabilities = Float32Array.from(clips.flatMap(([predicted, , p]) => row(predicted, p)));
    const truth = clips.map(([, t]) => labelIndex(t));
    const labelAt = (unknownThreshold: number) => (i: number) =>
      labelIndex(decide(probabilities, 0, { ...NO_THRESHOLDS, unknownThreshold }, i * 12).label);
    const { confidences } = topPredictions(probabilities, clips.length, 12);
    const curve = tradeOffCurve({
      scores: confidences,
      inDistribution: commandMask(truth),
      ...clipOutcomes(truth, labelAt(0), labelAt(Number.POSITIVE_INFINITY)),
    });
    for (const point of curve.slice(1)) {
      const decided = truth.filter((t, i) => labelAt(point.threshold)(i) === t).length / truth.length;
      assert.equal(point.accuracy, decided, `threshold ${point.threshold}`);
    }
  });

  it('refuses a set without OOD clips, NaN scores and a target TPR outside (0, 1]', () => {
    assert.throws(
      () => tradeOffCurve({ ...outcomes, inDistribution: outcomes.scores.map(() => 1) }),
      refusal(
        'inDistribution marks all 25 clips as commands; the OOD FPR needs at least one unknown or non-speech clip',
      ),
    );
    assert.throws(
      () => tradeOffCurve({ ...outcomes, scores: [Number.NaN, ...outcomes.scores.slice(1)] }),
      refusal('scores[0] must be a finite number, got NaN'),
    );
    assert.throws(
      () => chooseOperatingPoints(outcomes, { targetTpr: 0 }),
      refusal('targetTpr must be a rate in (0, 1], got 0'),
    );
    assert.throws(
      () => clipOutcomes([0, 1], [0], [1, 1]),
      refusal('labelIfAccepted must hold 2 labels (one per clip), got 1'),
    );
  });
});
