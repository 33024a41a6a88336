import { InvalidArgumentError } from 'commander';
import { KwsError } from '../errors/index.js';
import type { Command } from 'commander';
import type { TtaSpec } from '../engine/index.js';

/** The TTA flags of a command (commander's values). */
export interface TtaCliOptions {
  /** `--tta` true, `--no-tta` false (where offered), absent undefined. */
  readonly tta?: boolean;
  readonly ttaShiftsMs?: number[];
  readonly ttaGainsDb?: number[];
}

/** A comma-separated list of numbers ("" is an empty list). */
function numberList(value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((v) => {
    const n = v.trim() === '' ? Number.NaN : Number(v);
    if (Number.isNaN(n)) throw new InvalidArgumentError(`${JSON.stringify(v)} is not a number`);
    return n;
  });
}

/**
 * Adds `--tta`, `--tta-shifts-ms` and `--tta-gains-db` (and, with `offOption`, `--no-tta`, which
 * turns a version's own TTA off) to `command`.
 */
export function withTtaOptions(command: Command, what: string, offOption: boolean): Command {
  command
    .option('--tta', `test-time augmentation: ${what} (default: shifts -100, 100 ms; gains 6 dB)`)
    .option('--tta-shifts-ms <list>', 'TTA time shifts, ms, comma-separated ("" for none; implies --tta)', numberList)
    .option('--tta-gains-db <list>', 'TTA gains, dB, comma-separated ("" for none; implies --tta)', numberList);
  if (offOption) command.option('--no-tta', 'no test-time augmentation, even for a version calibrated with it');
  return command;
}

/**
 * The TTA the flags ask for: `defaults` (`DEFAULT_TTA`) with the lists given; null for `--no-tta`;
 * undefined when none was given (the version's own applies).
 *
 * @throws KwsError `INVALID_ARGUMENT` for `--no-tta` with a list.
 */
export function ttaOf(options: TtaCliOptions, defaults: TtaSpec): TtaSpec | null | undefined {
  if (options.tta === false && (options.ttaShiftsMs !== undefined || options.ttaGainsDb !== undefined))
    throw new KwsError('INVALID_ARGUMENT', '--no-tta cannot be combined with --tta-shifts-ms or --tta-gains-db');
  if (options.tta === false) return null;
  if (options.tta !== true && options.ttaShiftsMs === undefined && options.ttaGainsDb === undefined) return undefined;
  return { shiftsMs: options.ttaShiftsMs ?? defaults.shiftsMs, gainsDb: options.ttaGainsDb ?? defaults.gainsDb };
}
