import { existsSync, statSync } from 'node:fs';
import { opendir, readdir, stat } from 'node:fs/promises';
import { readRegularFile } from './regular-file.js';
import { join } from 'node:path';
import { KwsError } from '../errors/index.js';
import { BACKGROUND_NOISE_DIR, labelForWord, LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import { Rng } from './rng.js';
import { SPLITS, speakerOf, whichSet } from './split.js';
import type { Split } from './split.js';

/** A clip file of a word folder. */
export interface WordExample {
  readonly kind: 'word';
  /** Absolute path of the WAV. */
  readonly path: string;
  /** `<word>/<file>`, as in the dataset's list files. */
  readonly relativePath: string;
  /** Folder name: the spoken word (or `_silence_` / `_unknown_` in the v0.02 test-set layout). */
  readonly word: string;
  readonly label: Label;
  readonly speaker: string | null;
  readonly split: Split;
}

/** A `silence` example, cut from background noise (or all zeros) when it is loaded. */
export interface SilenceExample {
  readonly kind: 'silence';
  readonly label: 'silence';
  readonly split: Split;
  /** Index among the split's silence examples: with the dataset seed, it fixes which cut is made. */
  readonly index: number;
}

/** One example of a split. */
export type Example = WordExample | SilenceExample;

/** Options of {@link scanSpeechCommands}; defaults follow TensorFlow's speech_commands `train.py`. */
export interface DatasetOptions {
  /** Percent of speakers in validation when no list file is present. Default 10. */
  readonly validationPercentage?: number;
  /** Percent of speakers in testing when no list file is present. Default 10. */
  readonly testingPercentage?: number;
  /** Silence examples per split, percent of the split's command examples. Default 10. */
  readonly silencePercentage?: number;
  /** Unknown-word examples per split, percent of the split's command examples. Default 10. */
  readonly unknownPercentage?: number;
  /** Seed of the unknown-word sample and of the silence cuts. Default 59185 (TF's `RANDOM_SEED`). */
  readonly seed?: number;
}

/** A Speech Commands dataset, listed (no audio is read). */
export interface SpeechCommandsDataset {
  readonly root: string;
  /**
   * `lists` when `validation_list.txt` or `testing_list.txt` decided the splits; `test-set` for the
   * official test-set layout (`_silence_/`, `_unknown_/`), whose clips are all testing; else `hash`.
   */
  readonly splitSource: 'lists' | 'hash' | 'test-set';
  readonly options: Required<DatasetOptions>;
  /** The examples training uses, per split: command words, the unknown sample and silence. */
  readonly examples: Readonly<Record<Split, readonly Example[]>>;
  /** Every clip per split and word folder, before the unknown sample. */
  readonly wordCounts: Readonly<Record<Split, Readonly<Record<string, number>>>>;
  /**
   * Every clip of the words that are not commands (what the `unknown` sample is drawn from), per
   * split, in folder and file order: what a model of every word trains on (`kws train --all-words`).
   */
  readonly otherWords: Readonly<Record<Split, readonly WordExample[]>>;
  /** Absolute paths of the background-noise WAVs. */
  readonly backgroundNoise: readonly string[];
}

const DEFAULT_OPTIONS: Required<DatasetOptions> = {
  validationPercentage: 10,
  testingPercentage: 10,
  silencePercentage: 10,
  unknownPercentage: 10,
  seed: 59185,
};

/**
 * `options` merged over the defaults and checked: percentages from 0 to 100 (validation + testing
 * at most 100), an integer seed, and no field that `DatasetOptions` does not have.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the field and the value.
 */
export function resolveDatasetOptions(options: DatasetOptions): Required<DatasetOptions> {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(DEFAULT_OPTIONS, key))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `DatasetOptions has no field ${JSON.stringify(key)} (fields: ${Object.keys(DEFAULT_OPTIONS).join(', ')})`,
      );
  }
  const merged = { ...DEFAULT_OPTIONS, ...options };
  for (const key of ['validationPercentage', 'testingPercentage', 'silencePercentage', 'unknownPercentage'] as const) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
      throw new KwsError('INVALID_ARGUMENT', `${key} must be a percentage from 0 to 100, got ${String(value)}`);
    }
  }
  if (merged.validationPercentage + merged.testingPercentage > 100) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `validationPercentage + testingPercentage must be at most 100, got ${merged.validationPercentage + merged.testingPercentage}`,
    );
  }
  if (!Number.isInteger(merged.seed))
    throw new KwsError('INVALID_ARGUMENT', `seed must be an integer, got ${merged.seed}`);
  return merged;
}

async function readList(root: string, name: string): Promise<Set<string> | null> {
  const path = join(root, name);
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = (await readRegularFile(path)).toString('utf8');
  } catch (error) {
    if (error instanceof KwsError) throw error;
    throw new KwsError(
      'FILE_UNREADABLE',
      `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
    );
  }
  return new Set(
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0),
  );
}

const isWav = (name: string): boolean => name.toLowerCase().endsWith('.wav');

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() === true;
}

/** Names of the `.wav` regular files (or symbolic links to one) in a folder, sorted. */
async function listWavFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new KwsError(
      'FILE_UNREADABLE',
      `folder ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
    );
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!isWav(entry.name)) continue;
    if (
      entry.isFile() ||
      (entry.isSymbolicLink() && (await stat(join(dir, entry.name)).catch(() => null))?.isFile() === true)
    )
      names.push(entry.name);
  }
  return names.sort();
}

/**
 * Lists a Speech Commands dataset (v0.01 or v0.02 layout): `<word>/<speaker>_nohash_<n>.wav`,
 * `_background_noise_/*.wav`, and `validation_list.txt` / `testing_list.txt` when present (files in
 * neither list are training; with no list, {@link whichSet} decides).
 *
 * Per split, as TensorFlow's `input_data.py` does: every command clip; ceil(commands ·
 * silencePercentage / 100) silence examples; and a seeded sample of ceil(commands ·
 * unknownPercentage / 100) clips of the other words. Only names are held in memory, never audio.
 *
 * The official v0.02 test-set layout (`_silence_/` and `_unknown_/` beside the command folders) is a
 * finished test set: every clip is `testing`, its `_silence_` and `_unknown_` clips are used as they
 * are, and nothing is sampled or generated.
 *
 * @param root The dataset folder.
 * @throws KwsError `FILE_NOT_FOUND` when `root` is missing, `INVALID_ARGUMENT` when it holds no word
 *   folder with WAVs or an option is out of range.
 */
export async function scanSpeechCommands(root: string, options: DatasetOptions = {}): Promise<SpeechCommandsDataset> {
  const opts = resolveDatasetOptions(options);
  const rootStat = await stat(root).catch(() => null);
  if (rootStat === null) throw new KwsError('FILE_NOT_FOUND', `dataset folder ${root} does not exist`);
  if (!rootStat.isDirectory()) throw new KwsError('FILE_UNREADABLE', `${root} is not a folder`);
  const [validationList, testingList] = await Promise.all([
    readList(root, 'validation_list.txt'),
    readList(root, 'testing_list.txt'),
  ]);
  const useLists = validationList !== null || testingList !== null;
  const testSetLayout =
    !useLists && ((await isDirectory(join(root, '_silence_'))) || (await isDirectory(join(root, '_unknown_'))));
  const splitOf = (relativePath: string): Split => {
    if (testSetLayout) return 'testing';
    if (!useLists) return whichSet(relativePath, opts.validationPercentage, opts.testingPercentage);
    if (validationList?.has(relativePath) === true) return 'validation';
    if (testingList?.has(relativePath) === true) return 'testing';
    return 'training';
  };

  const commands: Record<Split, WordExample[]> = { training: [], validation: [], testing: [] };
  const unknown: Record<Split, WordExample[]> = { training: [], validation: [], testing: [] };
  const wordCounts: Record<Split, Record<string, number>> = { training: {}, validation: {}, testing: {} };
  let backgroundNoise: string[] = [];
  const entries = await readdir(root, { withFileTypes: true });
  const isFolder = async (e: (typeof entries)[number]): Promise<boolean> =>
    e.isDirectory() ||
    (e.isSymbolicLink() && (await stat(join(root, e.name)).catch(() => null))?.isDirectory() === true);
  const folders: string[] = [];
  for (const entry of entries) if (await isFolder(entry)) folders.push(entry.name);
  folders.sort();
  for (const word of folders) {
    const files = await listWavFiles(join(root, word));
    if (word === BACKGROUND_NOISE_DIR) {
      backgroundNoise = files.map((f) => join(root, word, f));
      continue;
    }
    if (word.startsWith('.') || word === 'test') continue;
    const label = labelForWord(word);
    for (const file of files) {
      const relativePath = `${word}/${file}`;
      const split = splitOf(relativePath);
      const example: WordExample = {
        kind: 'word',
        path: join(root, word, file),
        relativePath,
        word,
        label,
        speaker: speakerOf(file),
        split,
      };
      wordCounts[split][word] = (wordCounts[split][word] ?? 0) + 1;
      (label === 'unknown' ? unknown : commands)[split].push(example);
    }
  }
  const total = SPLITS.reduce((sum, s) => sum + commands[s].length + unknown[s].length, 0);
  if (total === 0)
    throw new KwsError('INVALID_ARGUMENT', `${root} holds no <word>/*.wav clips: is it a Speech Commands folder?`);

  const rng = new Rng(opts.seed);
  const examples = {} as Record<Split, Example[]>;
  for (const split of SPLITS) {
    const chosen: Example[] = [...commands[split]];
    if (testSetLayout) {
      examples[split] = [...chosen, ...unknown[split]];
      continue;
    }
    const setSize = commands[split].filter((e) => e.label !== 'silence').length;
    const silenceCount = Math.ceil((setSize * opts.silencePercentage) / 100);
    for (let index = 0; index < silenceCount; index++) chosen.push({ kind: 'silence', label: 'silence', split, index });
    const unknownCount = Math.ceil((setSize * opts.unknownPercentage) / 100);
    chosen.push(...rng.shuffle([...unknown[split]]).slice(0, unknownCount));
    examples[split] = chosen;
  }
  return {
    root,
    splitSource: testSetLayout ? 'test-set' : useLists ? 'lists' : 'hash',
    options: opts,
    examples,
    wordCounts,
    otherWords: unknown,
    backgroundNoise,
  };
}

/** Examples per split and label, every label present (0 when absent). */
export function countByLabel(dataset: SpeechCommandsDataset): Record<Split, Record<Label, number>> {
  const counts = {} as Record<Split, Record<Label, number>>;
  for (const split of SPLITS) {
    const row = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number>;
    for (const example of dataset.examples[split]) row[example.label]++;
    counts[split] = row;
  }
  return counts;
}

/**
 * Streams the clip file names of a Kaggle-layout test folder (`DIR/audio/*.wav`, or `DIR` itself
 * when it holds the WAVs), in directory order, without reading the folder into memory at once.
 *
 * @throws KwsError `FILE_NOT_FOUND` when the folder does not exist.
 */
export async function* listTestClips(dir: string): AsyncGenerator<{ readonly fname: string; readonly path: string }> {
  const audio = existsSync(join(dir, 'audio')) ? join(dir, 'audio') : dir;
  let handle;
  try {
    handle = await opendir(audio, { bufferSize: 256 });
  } catch {
    throw new KwsError('FILE_NOT_FOUND', `test folder ${audio} does not exist or cannot be read`);
  }
  for await (const entry of handle) {
    if (!isWav(entry.name)) continue;
    const path = join(audio, entry.name);
    if (entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile() === true))
      yield { fname: entry.name, path };
  }
}
