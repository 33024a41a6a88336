import * as tf from '@tensorflow/tfjs-core';
import { COMMAND_WORDS, labelIndex, LABELS } from '../../labels/index.js';

/** Probabilities are clipped to [this, 1] before the log, as TF.js's categorical cross-entropy does. */
const PROBABILITY_FLOOR = 1e-7;

/**
 * The training loss with outlier exposure (Hendrycks, Mazeika and Dietterich, ICLR 2019, "Deep
 * Anomaly Detection with Outlier Exposure", eq. 1): the categorical cross-entropy of every clip,
 * plus, for the clips whose true label is `unknown` or `silence` (the outliers: other words,
 * non-speech, noise), `weight` times the cross-entropy from the uniform distribution over the ten
 * commands to the model's distribution renormalised over the commands, less its minimum ln 10:
 *
 *   L = −Σ_c y_c ln p_c + weight · 1[outlier] · (−(1/10) Σ_{c ∈ commands} ln(p_c / Σ_{k ∈ commands} p_k) − ln 10)
 *
 * The 12-class softmax keeps `unknown` and `silence` as answers; the extra term also teaches that on
 * an outlier no command stands out from the others, so the max-softmax and energy scores of the
 * commands drop on sounds like the outliers (the paper's term, on the command sub-distribution).
 * The extra term is 0 exactly when the command probabilities of an outlier are equal.
 *
 * @param weight λ ≥ 0 (the paper uses 0.5); 0 gives plain cross-entropy.
 * @returns A TF.js loss `(yTrue [batch, 12] one-hot, yPred [batch, 12] softmax) => [batch]` losses.
 */
export function outlierExposureLoss(weight: number): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  const commandMask = LABELS.map((label) => ((COMMAND_WORDS as readonly string[]).includes(label) ? 1 : 0));
  const outlierMask = LABELS.map((_, i) => (i === labelIndex('unknown') || i === labelIndex('silence') ? 1 : 0));
  const commands = COMMAND_WORDS.length;
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const logP = tf.log(tf.clipByValue(yPred, PROBABILITY_FLOOR, 1));
      const crossEntropy = tf.neg(tf.sum(tf.mul(yTrue, logP), -1));
      if (weight === 0) return crossEntropy;
      const isCommand = tf.tensor1d(commandMask);
      const logCommandMass = tf.log(tf.clipByValue(tf.sum(tf.mul(yPred, isCommand), -1), PROBABILITY_FLOOR, 1));
      const meanLogQ = tf.sub(tf.div(tf.sum(tf.mul(logP, isCommand), -1), commands), logCommandMass);
      const toUniform = tf.sub(tf.neg(meanLogQ), Math.log(commands));
      const isOutlier = tf.sum(tf.mul(yTrue, tf.tensor1d(outlierMask)), -1);
      return tf.add(crossEntropy, tf.mul(weight, tf.mul(isOutlier, toUniform)));
    });
}
