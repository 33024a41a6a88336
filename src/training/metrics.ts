import type { ClassScores, EvaluationMetrics } from '../registry/index.js';
import { LABELS } from '../labels/index.js';

/**
 * Accuracy, per-class precision/recall/F1 and the confusion matrix of predicted against true labels
 * (indices into {@link LABELS}). A class never predicted has precision 0; one with no true example
 * has recall 0; F1 is the harmonic mean, 0 when both are 0.
 *
 * @param truth `[n]` true label indices.
 * @param predicted `[n]` predicted label indices.
 */
export function computeMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): EvaluationMetrics {
  if (truth.length !== predicted.length)
    throw new RangeError(`computeMetrics: ${truth.length} true labels but ${predicted.length} predictions`);
  const k = LABELS.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  const perClass = LABELS.map((label, c): ClassScores => {
    const truePositives = (confusion[c] as number[])[c] as number;
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((sum, row) => sum + (row[c] as number), 0);
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  return {
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    perClass,
    confusion,
    labels: LABELS,
    examples: truth.length,
  };
}
