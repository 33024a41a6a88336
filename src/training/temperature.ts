import { describeValue, KwsError } from '../errors/index.js';
import { checkClasses, checkTemperature, rowLogSumExp } from '../engine/index.js';
import { checkLabels } from './calibration-metrics.js';

/**
 * Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017, section
 * 4.2): one scalar T > 0 divides every logit, softmax(z / T). T > 1 softens an over-confident model;
 * the argmax, hence accuracy, is unchanged. Energy scores follow Liu et al., "Energy-based
 * Out-of-distribution Detection", NeurIPS 2020, eq. 4.
 */

/** Default bounds of the temperature search. */
export const TEMPERATURE_BOUNDS = Object.freeze({ min: 0.05, max: 20 });

/** Default width, in ln T, at which the search stops: T is found to about this relative precision. */
export const DEFAULT_TEMPERATURE_TOLERANCE = 1e-5;

/** 1 / golden ratio. */
const INVERSE_PHI = (Math.sqrt(5) - 1) / 2;

/** Options of {@link fitTemperature}. */
export interface FitTemperatureOptions {
  /** Smallest temperature tried, > 0. Default {@link TEMPERATURE_BOUNDS}.min (0.05). */
  readonly minTemperature?: number;
  /** Largest temperature tried, > minTemperature. Default {@link TEMPERATURE_BOUNDS}.max (20). */
  readonly maxTemperature?: number;
  /** Relative precision of T (the width in ln T at which the search stops), in (0, 0.1]. Default 1e-5. */
  readonly relativeTolerance?: number;
}

/** What {@link fitTemperature} found. */
export interface TemperatureFit {
  /** The temperature that minimises the mean NLL on the set. */
  readonly temperature: number;
  /** Mean NLL at T = 1 (the model as it is), nats. */
  readonly nllBefore: number;
  /** Mean NLL at `temperature`, nats: the minimum found (within rounding, no more than `nllBefore` when 1 is within the bounds). */
  readonly nllAfter: number;
  /** Golden-section steps taken. */
  readonly iterations: number;
  /** True when `temperature` is within the tolerance of a bound: the optimum may lie beyond it. */
  readonly atBound: boolean;
}

/** Mean NLL at T without checks: (1/n) sum_i (ln sum_c exp(z_ic / T) - z_iy / T). */
function meanNll(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, temperature: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const { max, logSum } = rowLogSumExp(logits, i, classes, temperature);
    sum += max + logSum - (logits[i * classes + (labels[i] as number)] as number) / temperature;
  }
  return sum / labels.length;
}

/** Refuses logits and labels that are not a non-empty `[n, classes]` / `[n]` pair of finite logits and class indices. */
function checkLogitsAndLabels(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): void {
  checkClasses(classes);
  if (labels.length === 0)
    throw new KwsError('INVALID_ARGUMENT', 'labels must hold at least one label, got an empty array');
  if (logits.length !== labels.length * classes)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `logits must hold n * classes = ${labels.length} * ${classes} values, got ${logits.length}`,
    );
  checkLabels('labels', labels, classes, labels.length);
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i]))
      throw new KwsError('INVALID_ARGUMENT', `logits[${i}] must be a finite number, got ${describeValue(logits[i])}`);
  }
}

/**
 * Mean negative log-likelihood of the true classes under softmax(z / T), in nats, computed from the
 * logits through log-sum-exp (exact where the probabilities would underflow).
 *
 * @param logits `[n, classes]` logits, row-major.
 * @param labels `[n]` true class indices.
 * @throws KwsError `INVALID_ARGUMENT` for no labels, a bad shape, a non-finite logit, a label out of
 *   range or a bad temperature.
 */
export function meanNllWithTemperature(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
  temperature: number,
): number {
  checkLogitsAndLabels(logits, labels, classes);
  checkTemperature(temperature);
  return meanNll(logits, labels, classes, temperature);
}

/** Checks the options and returns the search interval in ln T and its stopping width. */
function searchInterval(options: FitTemperatureOptions): { lo: number; hi: number; tolerance: number } {
  const {
    minTemperature = TEMPERATURE_BOUNDS.min,
    maxTemperature = TEMPERATURE_BOUNDS.max,
    relativeTolerance = DEFAULT_TEMPERATURE_TOLERANCE,
  } = options;
  if (!(minTemperature > 0 && Number.isFinite(minTemperature)))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `minTemperature must be a finite number above 0, got ${describeValue(minTemperature)}`,
    );
  if (!(maxTemperature > minTemperature && Number.isFinite(maxTemperature)))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `maxTemperature must be a finite number above minTemperature ${minTemperature}, got ${describeValue(maxTemperature)}`,
    );
  if (!(relativeTolerance > 0 && relativeTolerance <= 0.1))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `relativeTolerance must be in (0, 0.1], got ${describeValue(relativeTolerance)}`,
    );
  return { lo: Math.log(minTemperature), hi: Math.log(maxTemperature), tolerance: relativeTolerance };
}

/**
 * Fits the temperature of temperature scaling (Guo et al. 2017, section 4.2): the T in
 * [minTemperature, maxTemperature] that minimises the mean NLL of softmax(z / T) on a held-out set.
 * The NLL is convex in 1/T (a log-sum-exp of functions linear in 1/T, minus a linear term), hence unimodal in
 * ln T, so a golden-section search on ln T (Kiefer 1953) finds the minimum of the interval to the
 * relative tolerance; deterministic, about 28 evaluations with the defaults. On a set that the model
 * separates perfectly the NLL falls as T falls, and the fit stops at the lower bound (`atBound`).
 *
 * @param logits `[n, classes]` logits, row-major (before softmax).
 * @param labels `[n]` true class indices.
 * @param classes Number of classes, an integer >= 2 (12 for the product).
 * @throws KwsError `INVALID_ARGUMENT` for no labels, a bad shape, a non-finite logit, a label out of
 *   range or bad options.
 */
export function fitTemperature(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  options: FitTemperatureOptions = {},
): TemperatureFit {
  checkLogitsAndLabels(logits, labels, classes);
  const { lo, hi, tolerance } = searchInterval(options);
  const nllAt = (logT: number): number => meanNll(logits, labels, classes, Math.exp(logT));
  let a = lo;
  let b = hi;
  let c = b - INVERSE_PHI * (b - a);
  let d = a + INVERSE_PHI * (b - a);
  let fc = nllAt(c);
  let fd = nllAt(d);
  let iterations = 0;
  while (b - a > tolerance) {
    if (fc <= fd) {
      [b, d, fd] = [d, c, fc];
      c = b - INVERSE_PHI * (b - a);
      fc = nllAt(c);
    } else {
      [a, c, fc] = [c, d, fd];
      d = a + INVERSE_PHI * (b - a);
      fd = nllAt(d);
    }
    iterations++;
  }
  const logT = fc <= fd ? c : d;
  const atBound = logT - lo <= tolerance || hi - logT <= tolerance;
  return {
    temperature: Math.exp(logT),
    nllBefore: meanNll(logits, labels, classes, 1),
    nllAfter: Math.min(fc, fd),
    iterations,
    atBound,
  };
}
