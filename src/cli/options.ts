import { InvalidArgumentError } from 'commander';

/** commander parser for an integer option within [min, max]. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const parsed = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    return parsed;
  };
}

/** commander parser for a number option within [min, max]. */
export function numberIn(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const parsed = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got "${value}"`);
    return parsed;
  };
}
