import * as tf from '@tensorflow/tfjs-core';
import { COMMAND_WORDS, labelIndex, LABELS } from '../../labels/index.js';

/** Probabilities are clipped to [this, 1] before the log. */
const PROBABILITY_FLOOR = 1e-7;

/**
 * The training loss with outlier exposure (Hendrycks, Mazeika and Dietterich, ICLR 2019, "Deep
 * Anomaly Detection with Outlier Exposure", eq. 1): the categorical cross-entropy of every clip,
 * plus, for the clips whose true label is `unknown` or `silence` (the outliers: other words,
 * non-speech, noise), `weight` times the cross-entropy from the uniform distribution over the ten
 * commands to the model's distribution renormalised over the commands, less its minimum ln 10:
 *
 *   L = −Σ_c y_c ln p_c + weight · 1[outlier] · (−(1/10) Σ_{c ∈ commands} ln q_c − ln 10),
 *   ln q_c = ln p_c − logsumexp_{k ∈ commands} ln p_k
 *
 * with each p clipped to [1e-7, 1] before its log, so q is a distribution over the clipped values
 * and the term is ≥ 0 whatever the probabilities (0 exactly when the commands are equal). The
 * 12-class softmax keeps `unknown` and `silence` as answers; the extra term also teaches that on an
 * outlier no command stands out from the others, which lowers the max-softmax probability a command
 * argmax can reach on sounds like the outliers. (It depends only on the differences between command
 * logits, so it does not by itself move the energy score.)
 *
 * @param weight λ ≥ 0 (the paper uses 0.5); 0 gives the cross-entropy alone.
 * With soft targets (knowledge distillation), the cross-entropy is to the target and the term applies
 * to the clips whose label, the target's largest value, is `unknown` or `silence`.
 *
 * @returns A TF.js loss `(yTrue [batch, 12] one-hot or soft, yPred [batch, 12] softmax) => [batch]` losses.
 */
export function outlierExposureLoss(weight: number): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  const commandMask = LABELS.map((label) => ((COMMAND_WORDS as readonly string[]).includes(label) ? 1 : 0));
  // Added to the non-command log-probabilities so that logsumexp ignores them (exp(-1e4) is 0 in
  // float32); a mask rather than a gather, whose gradient the wasm backend lacks (UnsortedSegmentSum).
  const otherOffset = commandMask.map((m) => (m === 1 ? 0 : -1e4));
  const outlierMask = LABELS.map((_, i) => (i === labelIndex('unknown') || i === labelIndex('silence') ? 1 : 0));
  const commands = COMMAND_WORDS.length;
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const logP = tf.log(tf.clipByValue(yPred, PROBABILITY_FLOOR, 1));
      const crossEntropy = tf.neg(tf.sum(tf.mul(yTrue, logP), -1));
      if (weight === 0) return crossEntropy;
      const meanLogCommand = tf.div(tf.sum(tf.mul(logP, tf.tensor1d(commandMask)), -1), commands);
      const logCommandMass = tf.logSumExp(tf.add(logP, tf.tensor1d(otherOffset)), -1);
      const meanLogQ = tf.sub(meanLogCommand, logCommandMass);
      const toUniform = tf.sub(tf.neg(meanLogQ), Math.log(commands));
      // The label is the target's largest value (a one-hot row, or one mixed with a distillation
      // teacher's probabilities: see distillationTargets), so a soft target counts as its label.
      const label = tf.cast(tf.oneHot(tf.argMax(yTrue, -1), LABELS.length), 'float32');
      const isOutlier = tf.sum(tf.mul(label, tf.tensor1d(outlierMask)), -1);
      return tf.add(crossEntropy, tf.mul(weight, tf.mul(isOutlier, toUniform)));
    });
}
