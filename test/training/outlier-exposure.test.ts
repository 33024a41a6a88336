import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../../src/engine/tfjs/index.js';
import { outlierExposureLoss } from '../../src/training/tfjs/index.js';
import { labelIndex, LABELS } from '../../src/labels/index.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

/** One row of probabilities in LABELS order from a label -> probability map (the rest share `rest` equally). */
function row(given: Partial<Record<string, number>>, restEach: number): number[] {
  return LABELS.map((label) => given[label] ?? restEach);
}

function losses(weight: number, labels: string[], rows: number[][]): number[] {
  const yTrue = tf.oneHot(
    tf.tensor1d(
      labels.map((l) => labelIndex(l as never)),
      'int32',
    ),
    LABELS.length,
  );
  const yPred = tf.tensor2d(rows);
  const out = outlierExposureLoss(weight)(yTrue, yPred);
  const values = Array.from(out.dataSync());
  tf.dispose([yTrue, yPred, out]);
  return values;
}

describe('outlier-exposure loss (Hendrycks et al. 2019)', () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  // An unknown clip whose commands put 0.4 on `yes` and 0.1 / 9 on each other: renormalised over the
  // commands q = [0.8, 0.2/9 x 9], so the term is -(ln 0.8 + 9 ln(0.2/9)) / 10 - ln 10 = 1.1457255.
  const peaked = row({ yes: 0.4, silence: 0.1, unknown: 0.4 }, 0.1 / 9);
  // The same clip with its command mass spread evenly: the term is exactly 0.
  const flat = row({ silence: 0.1, unknown: 0.4 }, 0.05);

  it('adds weight x the cross-entropy from uniform over the commands on an unknown clip', () => {
    const [withTerm] = losses(0.5, ['unknown'], [peaked]);
    close(withTerm!, 0.916290731874155 + 0.5 * 1.1457255029306626, 1e-5, 'loss');
    const [flatLoss] = losses(0.5, ['unknown'], [flat]);
    close(flatLoss!, -Math.log(0.4), 1e-5, 'flat commands: cross-entropy only');
  });

  it('counts silence clips as outliers too, and leaves command clips with plain cross-entropy', () => {
    const [silence, command] = losses(2, ['silence', 'yes'], [peaked, peaked]);
    close(silence!, -Math.log(0.1) + 2 * 1.1457255029306626, 1e-5, 'silence clip');
    close(command!, -Math.log(0.4), 1e-5, 'yes clip');
  });

  it('stays >= 0 and exact when command probabilities fall below the 1e-7 floor', () => {
    // Every command at 1e-9: clipped to 1e-7 each, equal, so the term is 0 (not -ln 10).
    const [equalTiny] = losses(1, ['unknown'], [row({ unknown: 1 - 1e-8 - 0.1, silence: 0.1 }, 1e-9)]);
    close(equalTiny!, -Math.log(1 - 1e-8 - 0.1), 1e-5, 'equal tiny commands');
    // One command at 1e-5, nine at 1e-12 (clipped to 1e-7): q over the clipped values is
    // [1e-5, 1e-7 x 9] / (1e-5 + 9e-7), so the term is -(ln q_0 + 9 ln q_1) / 10 - ln 10.
    const mass = 1e-5 + 9e-7;
    const term = -(Math.log(1e-5 / mass) + 9 * Math.log(1e-7 / mass)) / 10 - Math.log(10);
    const [peakedTiny] = losses(1, ['unknown'], [row({ yes: 1e-5, unknown: 0.9, silence: 0.1 - 1e-5 }, 1e-12)]);
    close(peakedTiny!, -Math.log(0.9) + term, 1e-4, 'one tiny command standing out');
    assert.ok(term > 0);
  });

  it('with soft (distillation) targets, applies the term by the label, the target’s largest value', () => {
    // A `yes` clip whose target carries 0.2 of a teacher's unknown mass, and an `unknown` clip whose
    // target is 0.6 unknown + 0.4 yes: the term goes to the second only, at full weight.
    const yesSoft = LABELS.map((l) => (l === 'yes' ? 0.8 : l === 'unknown' ? 0.2 : 0));
    const unknownSoft = LABELS.map((l) => (l === 'unknown' ? 0.6 : l === 'yes' ? 0.4 : 0));
    const yTrue = tf.tensor2d([yesSoft, unknownSoft]);
    const yPred = tf.tensor2d([peaked, peaked]);
    const out = outlierExposureLoss(1)(yTrue, yPred);
    const [command, outlier] = Array.from(out.dataSync());
    tf.dispose([yTrue, yPred, out]);
    const crossEntropy = -(0.8 * Math.log(0.4) + 0.2 * Math.log(0.4));
    close(command!, crossEntropy, 1e-5, 'yes clip: cross-entropy to the soft target only');
    close(outlier!, -(0.6 * Math.log(0.4) + 0.4 * Math.log(0.4)) + 1.1457255029306626, 1e-5, 'unknown clip');
  });

  it('is the categorical cross-entropy at weight 0', () => {
    const [loss] = losses(0, ['unknown'], [peaked]);
    close(loss!, -Math.log(0.4), 1e-6, 'weight 0');
  });
});
