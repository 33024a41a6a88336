import { InvalidArgumentError, Option } from 'commander';
import type { OptionSpec } from '../training/index.js';

/** What a command-line flag needs of a declaration: all of it but the GraphQL name. */
export type CliOptionSpec = Omit<OptionSpec, 'graphql'>;

/** commander parser for an integer option within [min, max]. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const parsed = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    return parsed;
  };
}

/**
 * commander parser for a number option within [min, max], or within (min, max) at the ends marked
 * open ("expected a number in (0, 1), got "1"").
 */
export function numberIn(
  min: number,
  max: number,
  open: { readonly minOpen?: boolean; readonly maxOpen?: boolean } = {},
): (value: string) => number {
  const minOpen = open.minOpen === true;
  const maxOpen = open.maxOpen === true;
  const expected =
    minOpen || maxOpen ? `in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}` : `from ${min} to ${max}`;
  return (value: string): number => {
    const parsed = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
    const inside =
      Number.isFinite(parsed) && (minOpen ? parsed > min : parsed >= min) && (maxOpen ? parsed < max : parsed <= max);
    if (!inside) throw new InvalidArgumentError(`expected a number ${expected}, got "${value}"`);
    return parsed;
  };
}

/**
 * commander parser for a `json` option: a JSON object that the declaration's shape accepts.
 *
 * @throws InvalidArgumentError (commander prints it and exits 2) for text that is not a JSON object,
 *   with the shape's example, or with the shape's own message for a bad field.
 */
export function jsonObjectOf(spec: CliOptionSpec): (value: string) => Readonly<Record<string, unknown>> {
  const shape = spec.json;
  return (value: string): Readonly<Record<string, unknown>> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidArgumentError(
        `expected a JSON object${shape === undefined ? '' : ` of ${shape.typeName} fields, e.g. '${shape.example}'`}, got ${value}`,
      );
    }
    try {
      shape?.check(parsed as never);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
    return parsed as Readonly<Record<string, unknown>>;
  };
}

/** A default as help shows it, with the unit: `30 epochs`, `10000 ms`. */
function defaultText(spec: CliOptionSpec): string {
  const text = typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default);
  return spec.unit === undefined ? text : `${text} ${spec.unit}`;
}

/**
 * The commander Option of a declared option (see `OptionSpec`): `--<flag> <value>` (no value for a
 * boolean), its description with the surface note, its default shown with its unit (`default: 30
 * epochs`), a parser that refuses values outside the declared range, choices for an `enum`, a list
 * for a repeatable flag, and a mandatory flag for a required option. The value lands under the
 * flag's camelCase name.
 *
 * @throws Error for a declaration without a command-line alias (a programming error).
 */
export function declaredOption(spec: CliOptionSpec): Option {
  const cli = spec.cli;
  if (cli === null) throw new Error(`option "${spec.description}" has no command-line flag`);
  const flags = spec.kind === 'boolean' ? `--${cli.flag}` : `--${cli.flag} <${cli.value ?? 'value'}>`;
  const unit = spec.default === undefined && spec.unit !== undefined ? `, ${spec.unit}` : '';
  const notes = [
    ...(spec.json === undefined ? [] : [`as JSON, e.g. ${spec.json.example}`]),
    ...(cli.note === undefined ? [] : [cli.note]),
  ];
  const option = new Option(flags, `${spec.description}${unit}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`);
  const { range } = spec;
  if (spec.kind === 'integer' && range !== undefined) option.argParser(integerIn(range.min, range.max));
  if (spec.kind === 'number' && range !== undefined) option.argParser(numberIn(range.min, range.max, range));
  if (spec.kind === 'enum' && spec.choices !== undefined) option.choices(spec.choices.map(String));
  if (spec.kind === 'json') option.argParser(jsonObjectOf(spec));
  if (cli.repeatable === true)
    option.argParser((value: string, previous: readonly string[] = []) => [...previous, value]);
  if (spec.default !== undefined) option.default(spec.default, defaultText(spec));
  if (spec.required === true) option.makeOptionMandatory();
  return option;
}

/** `--log-level LEVEL`: the pino level of a long-running command (`kws serve`, `kws worker`). */
export const LOG_LEVEL_OPTION: CliOptionSpec = {
  kind: 'enum',
  description: 'pino log level',
  default: 'info',
  choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  cli: { flag: 'log-level', value: 'level' },
};
