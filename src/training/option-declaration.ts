import { describeValue, KwsError, UnreachableCaseError } from '../errors/index.js';

/** The kinds of value an option can hold. `path` is a folder or file name, `string` other text, `json` an object of fields. */
export type OptionKind = 'integer' | 'number' | 'boolean' | 'enum' | 'path' | 'string' | 'json';

/** The kinds that fit a value type `T` (a number is an integer or any number, a string a choice, a path or text). */
export type OptionKindOf<T> = [T] extends [boolean]
  ? 'boolean'
  : [T] extends [number]
    ? 'integer' | 'number'
    : [T] extends [string]
      ? 'enum' | 'path' | 'string'
      : 'json';

/** Allowed numbers: `[min, max]`, with an open end where `minOpen` / `maxOpen` (e.g. a rate above 0). */
export interface OptionRange {
  readonly min: number;
  readonly max: number;
  /** Exclude `min` itself. Default false. */
  readonly minOpen?: boolean;
  /** Exclude `max` itself. Default false. */
  readonly maxOpen?: boolean;
}

/** A `json` option: an object of a named type's fields, checked by `check`. */
export interface JsonShape<T> {
  /** The type whose fields the object holds, e.g. `AugmentConfig`. */
  readonly typeName: string;
  /** A short example for messages and help, e.g. `{"noiseProbability":0.5}`. */
  readonly example: string;
  /** @throws KwsError naming the bad field and value. */
  readonly check: (value: T) => void;
}

/** How an option is named on the command line: `--<flag> <<value>>` (no value for a boolean). */
export interface CliAlias {
  /** The long flag without dashes, e.g. `batch-size`; commander reads it as camelCase (`batchSize`). */
  readonly flag: string;
  /** The placeholder of the value in help, e.g. `n`. Absent for booleans. */
  readonly value?: string;
  /** Text only the command line shows, after the description. */
  readonly note?: string;
  /** The flag may be given more than once; its values are collected in a list. Default false. */
  readonly repeatable?: boolean;
}

/** How an option is named in GraphQL (and in the job input that mirrors it). */
export interface GraphqlAlias {
  /** The input field, e.g. `balancedSampling`. */
  readonly field: string;
  /** Text only the schema shows, after the description. */
  readonly note?: string;
}

/**
 * One option, declared once: its kind, unit, default, range or choices and description, and its
 * name on each surface (`null`: not offered there). Surfaces derive their flags, fields, parsers,
 * defaults and checks from it. {@link OptionDeclaration} is the same, typed by the option's value.
 */
export interface OptionSpec {
  readonly kind: OptionKind;
  /** What it does, as a phrase starting in lower case without a final period. */
  readonly description: string;
  /** The unit of its value, e.g. `epochs`, `clips`, `ms`. */
  readonly unit?: string;
  /** The value taken when it is omitted; absent: none (the option is unset). */
  readonly default?: unknown;
  /** True for an option that must be given (it has no default). */
  readonly required?: boolean;
  /** Allowed numbers (`integer`, `number`). */
  readonly range?: OptionRange;
  /** Allowed values (`enum`). */
  readonly choices?: readonly unknown[];
  /** The object's shape (`json`). */
  readonly json?: JsonShape<never>;
  readonly cli: CliAlias | null;
  readonly graphql: GraphqlAlias | null;
}

/** An {@link OptionSpec} whose kind, default, choices and shape fit the value type `T`. */
export interface OptionDeclaration<T> extends OptionSpec {
  readonly kind: OptionKindOf<T>;
  readonly default?: T;
  readonly choices?: readonly T[];
  readonly json?: JsonShape<T>;
}

/** `[1, 10000]`, `(0, 1)`: a range in interval notation. */
export function formatRange(range: OptionRange): string {
  return `${range.minOpen === true ? '(' : '['}${range.min}, ${range.max}${range.maxOpen === true ? ')' : ']'}`;
}

/** True when `value` lies in `range`. */
export function inRange(value: number, range: OptionRange): boolean {
  const aboveMin = range.minOpen === true ? value > range.min : value >= range.min;
  const belowMax = range.maxOpen === true ? value < range.max : value <= range.max;
  return aboveMin && belowMax;
}

/**
 * Checks one value against its declaration: an integer within `[min, max]` ("epochs must be an
 * integer from 1 to 10000, got 0"), a number within its range ("learningRate must be in (0, 1),
 * got 1"), a boolean, one of the choices, or a `json` object its shape accepts.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the option and showing the value.
 */
export function checkDeclaredValue(name: string, declaration: OptionSpec, value: unknown): void {
  const fail = (expected: string): never => {
    throw new KwsError('INVALID_ARGUMENT', `${name} must be ${expected}, got ${describeValue(value)}`);
  };
  const { range } = declaration;
  switch (declaration.kind) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || (range !== undefined && !inRange(value, range)))
        fail(range === undefined ? 'an integer' : `an integer from ${range.min} to ${range.max}`);
      return;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value) || (range !== undefined && !inRange(value, range)))
        fail(range === undefined ? 'a number' : `in ${formatRange(range)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return;
    case 'enum':
      if (declaration.choices !== undefined && !declaration.choices.includes(value))
        fail(`one of ${declaration.choices.join(', ')}`);
      return;
    case 'path':
      if (typeof value !== 'string' || value === '') fail('a non-empty path');
      return;
    case 'string':
      if (typeof value !== 'string') fail('a string');
      return;
    case 'json':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail(`an object of ${declaration.json?.typeName ?? 'named'} fields`);
      declaration.json?.check(value as never);
      return;
    default:
      throw new UnreachableCaseError(declaration.kind);
  }
}
