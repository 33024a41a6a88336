import type { Rng } from '../data/index.js';
import { describeValue, KwsError } from '../errors/index.js';

/** One dimension of a search space: a float range (log-uniform with `log`) or a set of choices. */
export type ParameterSpec =
  | { readonly kind: 'float'; readonly min: number; readonly max: number; readonly log?: boolean }
  | { readonly kind: 'choice'; readonly values: ReadonlyArray<string | number> };

/** A search space: parameter name -> spec. */
export type SearchSpace = Readonly<Record<string, ParameterSpec>>;

/** One point of a search space. */
export type Parameters = Readonly<Record<string, string | number>>;

/** A finished trial: its parameters and the metric it reached (higher is better). */
export interface Observation {
  readonly parameters: Parameters;
  readonly metric: number;
}

/** Options of {@link suggestTpe}. */
export interface TpeOptions {
  /** Fraction of trials counted as good, γ in Bergstra et al. 2011. Default 0.25. */
  readonly gamma: number;
  /** Candidates drawn from the good density per suggestion. Default 24 (hyperopt's default). */
  readonly candidates: number;
  /** Random trials before TPE takes over. Default 3. */
  readonly startup: number;
}

const DEFAULT_TPE: TpeOptions = { gamma: 0.25, candidates: 24, startup: 3 };

/**
 * Checks a search space: ranges with min < max (min > 0 for log ranges), non-empty choices.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the parameter and the bad value.
 */
export function validateSearchSpace(space: SearchSpace): SearchSpace {
  if (Object.keys(space).length === 0) throw new KwsError('INVALID_ARGUMENT', 'the search space has no parameters');
  for (const [name, spec] of Object.entries(space)) {
    if (spec.kind === 'choice') {
      if (spec.values.length === 0) throw new KwsError('INVALID_ARGUMENT', `search parameter ${name} has no choices`);
    } else if (
      !(Number.isFinite(spec.min) && Number.isFinite(spec.max) && spec.min < spec.max) ||
      (spec.log === true && spec.min <= 0)
    ) {
      throw new KwsError(
        'INVALID_ARGUMENT',
        `search parameter ${name} needs min < max${spec.log === true ? ' and min > 0 (log scale)' : ''}, got [${describeValue(spec.min)}, ${describeValue(spec.max)}]`,
      );
    }
  }
  return space;
}

const toUnit = (spec: Extract<ParameterSpec, { kind: 'float' }>, value: number): number =>
  spec.log === true
    ? Math.log(value / spec.min) / Math.log(spec.max / spec.min)
    : (value - spec.min) / (spec.max - spec.min);
const fromUnit = (spec: Extract<ParameterSpec, { kind: 'float' }>, unit: number): number =>
  spec.log === true ? spec.min * (spec.max / spec.min) ** unit : spec.min + unit * (spec.max - spec.min);

/** A uniformly random point (log-uniform for log ranges). */
export function sampleRandom(space: SearchSpace, rng: Rng): Parameters {
  return Object.fromEntries(
    Object.entries(space).map(([name, spec]) => [
      name,
      spec.kind === 'choice'
        ? (spec.values[rng.int(0, spec.values.length - 1)] as string | number)
        : fromUnit(spec, rng.float()),
    ]),
  );
}

/** Parzen density at `unit` of Gaussian kernels on `points` (in [0, 1]) plus a uniform prior, with a bandwidth that shrinks with the number of points. */
function parzen(points: readonly number[], unit: number): number {
  const sigma = Math.max(0.05, 1 / (1 + points.length));
  let density = 1; // the prior: uniform on [0, 1], weight 1
  for (const p of points) density += Math.exp(-0.5 * ((unit - p) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI));
  return density / (points.length + 1);
}

/** Smoothed categorical frequencies (one pseudo-count per choice). */
function frequency(points: ReadonlyArray<string | number>, value: string | number, choices: number): number {
  return (points.filter((p) => p === value).length + 1) / (points.length + choices);
}

/**
 * The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio and Kégl, "Algorithms for
 * Hyper-Parameter Optimization", NeurIPS 2011), with independent dimensions as in hyperopt: the
 * observations are split at the γ quantile of the metric into good (l) and bad (g); candidates are
 * drawn from l, and the one maximising l(x)/g(x) is suggested. Random until `startup` observations.
 */
export function suggestTpe(
  space: SearchSpace,
  history: readonly Observation[],
  rng: Rng,
  options: Partial<TpeOptions> = {},
): Parameters {
  const { gamma, candidates, startup } = { ...DEFAULT_TPE, ...options };
  if (history.length < startup) return sampleRandom(space, rng);
  const sorted = [...history].sort((a, b) => b.metric - a.metric);
  const cut = Math.max(1, Math.ceil(gamma * sorted.length));
  const good = sorted.slice(0, cut);
  const bad = sorted.slice(cut);
  const out: Record<string, string | number> = {};
  for (const [name, spec] of Object.entries(space)) {
    if (spec.kind === 'choice') {
      const g = good.map((o) => o.parameters[name] as string | number);
      const b = bad.map((o) => o.parameters[name] as string | number);
      let best: string | number = spec.values[0] as string | number;
      let score = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < candidates; c++) {
        // Draw from the smoothed good frequencies.
        const weights = spec.values.map((v) => frequency(g, v, spec.values.length));
        let u = rng.float() * weights.reduce((s, w) => s + w, 0);
        let k = 0;
        while (k < weights.length - 1 && u >= (weights[k] as number)) u -= weights[k++] as number;
        const value = spec.values[k] as string | number;
        const ratio = frequency(g, value, spec.values.length) / frequency(b, value, spec.values.length);
        if (ratio > score) [best, score] = [value, ratio];
      }
      out[name] = best;
    } else {
      const g = good.map((o) => toUnit(spec, o.parameters[name] as number));
      const b = bad.map((o) => toUnit(spec, o.parameters[name] as number));
      const sigma = Math.max(0.05, 1 / (1 + g.length));
      let best = 0.5;
      let score = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < candidates; c++) {
        const centre = rng.int(0, g.length); // g.length: the prior
        const unit =
          centre === g.length ? rng.float() : Math.min(1, Math.max(0, (g[centre] as number) + sigma * rng.normal()));
        const ratio = parzen(g, unit) / parzen(b, unit);
        if (ratio > score) [best, score] = [unit, ratio];
      }
      out[name] = fromUnit(spec, best);
    }
  }
  return out;
}
