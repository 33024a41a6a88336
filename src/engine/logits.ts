import { describeValue, KwsError } from '../errors/index.js';

/**
 * What a model's logits become: softmax probabilities at a temperature (Guo et al., "On
 * Calibration of Modern Neural Networks", ICML 2017, section 4.2) and energy scores (Liu et al.,
 * "Energy-based Out-of-distribution Detection", NeurIPS 2020, eq. 4). One copy, used by both
 * engines (onnxruntime-node and TF.js) and by calibration, so every path computes the same numbers.
 */

/**
 * Refuses a class count that is not an integer >= 2.
 *
 * @throws KwsError `INVALID_ARGUMENT` showing the value.
 */
export function checkClasses(classes: number): void {
  if (!Number.isInteger(classes) || classes < 2)
    throw new KwsError('INVALID_ARGUMENT', `classes must be an integer of at least 2, got ${describeValue(classes)}`);
}

/**
 * Refuses a temperature that is not a finite number > 0.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the value.
 */
export function checkTemperature(temperature: number): void {
  if (typeof temperature !== 'number' || !(temperature > 0 && Number.isFinite(temperature)))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `temperature must be a finite number above 0, got ${describeValue(temperature)}`,
    );
}

/** Refuses a bad `[batch, classes]` shape or output array. */
function checkShape(
  logits: ArrayLike<number>,
  batch: number,
  classes: number,
  out: Float32Array | undefined,
  outLength: number,
): void {
  checkClasses(classes);
  if (!Number.isInteger(batch) || batch < 0)
    throw new KwsError('INVALID_ARGUMENT', `batch must be an integer of at least 0, got ${describeValue(batch)}`);
  if (logits.length !== batch * classes)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `logits must hold batch * classes = ${batch} * ${classes} values, got ${logits.length}`,
    );
  if (out !== undefined && out.length !== outLength)
    throw new KwsError('INVALID_ARGUMENT', `out must hold ${outLength} values, got ${out.length}`);
}

/** max_c z_c / T and ln sum_c exp(z_c / T - max) of row `b` of `[batch, classes]` logits. */
export function rowLogSumExp(
  logits: ArrayLike<number>,
  b: number,
  classes: number,
  temperature: number,
): { max: number; logSum: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classes; c++) max = Math.max(max, (logits[b * classes + c] as number) / temperature);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp((logits[b * classes + c] as number) / temperature - max);
  return { max, logSum: Math.log(sum) };
}

/**
 * Softmax of logits divided by a temperature, softmax(z / T)_c = exp(z_c / T - m) / sum_k exp(z_k / T - m)
 * with m the row maximum of z / T, so large logits do not overflow (Guo et al. 2017, section 4.2).
 * A row holding NaN comes out NaN.
 *
 * @param logits `[batch, classes]` logits, row-major.
 * @param temperature T, a finite number > 0; 1 is the plain softmax.
 * @param out `[batch, classes]` array to fill, or a new one.
 * @returns `out`: `[batch, classes]` probabilities, row-major, each row summing to 1.
 * @throws KwsError `INVALID_ARGUMENT` for a bad shape, class count, temperature or `out` length.
 */
export function softmaxWithTemperature(
  logits: ArrayLike<number>,
  batch: number,
  classes: number,
  temperature: number,
  out?: Float32Array,
): Float32Array {
  checkShape(logits, batch, classes, out, batch * classes);
  checkTemperature(temperature);
  const result = out ?? new Float32Array(batch * classes);
  for (let b = 0; b < batch; b++) {
    const { max, logSum } = rowLogSumExp(logits, b, classes, temperature);
    for (let c = 0; c < classes; c++)
      result[b * classes + c] = Math.exp((logits[b * classes + c] as number) / temperature - max - logSum);
  }
  return result;
}

/**
 * Energy score with temperature, E(x; T) = -T ln sum_c exp(f_c(x) / T) (Liu et al. 2020, eq. 4),
 * computed through the row maximum so large logits do not overflow. Lower is more in-distribution;
 * -E(x; T) is a score for the OOD metrics. The energy the product stores with each model output
 * (`ModelOutput.energy`, `energyFromLogits`) and the `unknownEnergyThreshold` it compares against
 * are at T = 1.
 *
 * @param logits `[batch, classes]` logits, row-major.
 * @param temperature T, a finite number > 0.
 * @param out `[batch]` array to fill, or a new one.
 * @returns `out`: `[batch]` energies, in logit units.
 * @throws KwsError `INVALID_ARGUMENT` for a bad shape, class count, temperature or `out` length.
 */
export function energyWithTemperature(
  logits: ArrayLike<number>,
  batch: number,
  classes: number,
  temperature: number,
  out?: Float32Array,
): Float32Array {
  checkShape(logits, batch, classes, out, batch);
  checkTemperature(temperature);
  const result = out ?? new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const { max, logSum } = rowLogSumExp(logits, b, classes, temperature);
    result[b] = -temperature * (max + logSum);
  }
  return result;
}

/**
 * The energy score at T = 1 of each row of `[batch, classes]` logits: E = -logsumexp(z), computed
 * as -(max + log sum exp(z - max)) so that large logits do not overflow (Liu et al. 2020, eq. 4).
 * The energy every model output carries, and `unknownEnergyThreshold` is compared with, is this one.
 *
 * @returns `[batch]`.
 */
export function energyFromLogits(logits: ArrayLike<number>, batch: number, classes: number): Float32Array {
  return energyWithTemperature(logits, batch, classes, 1);
}
