import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAudio, encodeWavPcm16 } from '../audio/index.js';
import { describeValue, fromFsError, KwsError } from '../errors/index.js';
import {
  AUXILIARY_WORDS_V1,
  COMMAND_WORDS,
  OOD_EXPECTED_RULES,
  OOD_PARTS,
  oodExpectedLabels,
} from '../labels/index.js';
import type { OodPart } from '../labels/index.js';
import { createNoiseFloorBank, placeInClip, prepareUtterance, SYNTH_CLIP_SAMPLES } from './clip.js';
import type { NoiseFloorBank } from './clip.js';
import { EspeakSynthesizer } from './espeak.js';
import { drawHeldOutEspeakSpeakers, drawPicoSpeakers, HELD_OUT_ESPEAK_VARIANTS } from './held-out-voices.js';
import type { HeldOutVoice } from './held-out-voices.js';
import { ensureEmptyDir, seededRng } from './output.js';
import { drawNonSpeech, NON_SPEECH_KINDS, renderNonSpeech } from './non-speech.js';
import type { NonSpeechParams } from './non-speech.js';
import { DEFAULT_PICO_LINGWARE_DIR, PicoSynthesizer } from './pico.js';
import type { PicoLingwareFile } from './pico.js';
import { EVAL_OOV_WORDS, EVAL_SOUNDALIKES } from './vocabulary.js';

/**
 * Version of the OOD set's generator code: raised whenever the same options would write other
 * bytes or another layout. Recorded in `manifest.json`.
 */
export const OOD_SET_VERSION = 2;

/** Options of {@link writeOodSet}. Sizes are counts; every one may be 0 but `heldOutVoices`. */
export interface OodSetOptions {
  /** Output folder; created, and must be empty if it exists. */
  readonly outDir: string;
  /** Seed of every random choice. Default 1. */
  readonly seed?: number;
  /** Words of EVAL_OOV_WORDS said (a seeded sample), 0 to all 397. Default 300. */
  readonly oovWords?: number;
  /** Voices per OOV word, 1 to `heldOutVoices`. Default 2. */
  readonly oovVoicesPerWord?: number;
  /** Sound-alikes said per command (a seeded sample of EVAL_SOUNDALIKES), 0-10. Default 10. */
  readonly soundalikesPerCommand?: number;
  /** Voices per sound-alike word, 1 to `heldOutVoices`. Default 3. */
  readonly soundalikeVoicesPerWord?: number;
  /** Clips per non-speech kind (13 kinds). Default 20. */
  readonly nonSpeechPerKind?: number;
  /** Real background-noise excerpts, spread evenly over the recordings. Default 100; 0 when `realNoiseDir` is null. */
  readonly realNoiseClips?: number;
  /** Voices in the held-out pool (half SVOX Pico, rounded up, when Pico is used), 1-1000. Default 20. */
  readonly heldOutVoices?: number;
  /** Speech Commands auxiliary words (a seeded sample) said by every held-out voice besides the ten commands, 0-20. Default 5. */
  readonly heldOutUnknownWords?: number;
  /** Folder whose `*.wav` files are the real background noise (read, never copied); null for no real-noise part. */
  readonly realNoiseDir: string | null;
  /** Folder of SVOX Pico's lingware; null for eSpeak NG voices only. Default `/usr/share/pico/lang`. */
  readonly picoLingwareDir?: string | null;
  /** Called as work progresses: part, clips done, clips in the part. */
  readonly onProgress?: (part: OodPart, done: number, total: number) => void;
}

/** What {@link writeOodSet} made. */
export interface OodSetReport {
  readonly outDir: string;
  /** Clips written in all. */
  readonly clips: number;
  /** Clips per part. */
  readonly parts: Readonly<Record<OodPart, number>>;
  /** Voices in the held-out pool, and how many of them are SVOX Pico's. */
  readonly voices: number;
  readonly picoVoices: number;
  /** Wall time, seconds. */
  readonly seconds: number;
}

/** The seed and sizes of {@link OodSetOptions}, with defaults merged. */
export type OodSetSizes = Required<
  Pick<
    OodSetOptions,
    | 'seed'
    | 'oovWords'
    | 'oovVoicesPerWord'
    | 'soundalikesPerCommand'
    | 'soundalikeVoicesPerWord'
    | 'nonSpeechPerKind'
    | 'realNoiseClips'
    | 'heldOutVoices'
    | 'heldOutUnknownWords'
  >
>;

/** The default of every size (and the seed) of {@link OodSetOptions}. */
export const OOD_SET_DEFAULT_SIZES: Readonly<OodSetSizes> = {
  seed: 1,
  oovWords: 300,
  oovVoicesPerWord: 2,
  soundalikesPerCommand: 10,
  soundalikeVoicesPerWord: 3,
  nonSpeechPerKind: 20,
  realNoiseClips: 100,
  heldOutVoices: 20,
  heldOutUnknownWords: 5,
};

/** Inclusive ranges of the sizes (the voices-per-word ones are also capped by `heldOutVoices`). */
const SIZE_RANGES: Readonly<Record<keyof OodSetSizes, readonly [number, number]>> = {
  seed: [-(2 ** 31), 2 ** 31 - 1],
  oovWords: [0, EVAL_OOV_WORDS.length],
  oovVoicesPerWord: [1, 1000],
  soundalikesPerCommand: [0, Math.min(...Object.values(EVAL_SOUNDALIKES).map((w) => w.length))],
  soundalikeVoicesPerWord: [1, 1000],
  nonSpeechPerKind: [0, 10_000],
  realNoiseClips: [0, 100_000],
  heldOutVoices: [1, 1000],
  heldOutUnknownWords: [0, AUXILIARY_WORDS_V1.length],
};

/** Merges the defaults and checks every size once. @throws KwsError `INVALID_ARGUMENT`, naming the value. */
function resolveSizes(options: OodSetOptions): OodSetSizes {
  const sizes = { ...OOD_SET_DEFAULT_SIZES };
  for (const key of Object.keys(OOD_SET_DEFAULT_SIZES) as (keyof OodSetSizes)[]) {
    const value: unknown = options[key] ?? OOD_SET_DEFAULT_SIZES[key];
    const [min, max] = SIZE_RANGES[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new KwsError(
        'INVALID_ARGUMENT',
        `${key} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
      );
    }
    sizes[key] = value;
  }
  for (const key of ['oovVoicesPerWord', 'soundalikeVoicesPerWord'] as const) {
    if (sizes[key] > sizes.heldOutVoices)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `${key} (${sizes[key]}) must be at most heldOutVoices (${sizes.heldOutVoices})`,
      );
  }
  if (options.realNoiseDir === null) sizes.realNoiseClips = 0;
  return sizes;
}

/** A real background-noise recording, decoded to 16 kHz mono. */
interface NoiseSource {
  /** File name without `.wav`: the folder of its excerpts. */
  readonly name: string;
  readonly file: string;
  readonly sha1: string;
  readonly samples: Float32Array;
}

/** Reads every `*.wav` of `dir` at least 1 s long. @throws KwsError `FILE_NOT_FOUND`, `INVALID_ARGUMENT` when there is none. */
async function readNoiseSources(dir: string): Promise<NoiseSource[]> {
  if (!existsSync(dir)) throw new KwsError('FILE_NOT_FOUND', `real-noise folder ${dir} does not exist`);
  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.wav'))
    .sort();
  const sources: NoiseSource[] = [];
  for (const file of files) {
    const bytes = await readFile(join(dir, file));
    const decoded = await decodeAudio(bytes, { maxDurationMs: 3_600_000, maxInputBytes: 1024 ** 3 });
    if (decoded.samples.length < SYNTH_CLIP_SAMPLES) continue;
    sources.push({
      name: file.replace(/\.wav$/i, ''),
      file,
      sha1: createHash('sha1').update(bytes).digest('hex'),
      samples: decoded.samples,
    });
  }
  if (sources.length === 0)
    throw new KwsError('INVALID_ARGUMENT', `real-noise folder ${dir} holds no .wav file of 1 s or more`);
  return sources;
}

/** The synthesizers and inputs, all loaded before anything is written. */
interface Inputs {
  readonly espeak: EspeakSynthesizer;
  readonly pico: PicoSynthesizer | null;
  readonly noise: readonly NoiseSource[];
  readonly voices: readonly HeldOutVoice[];
  readonly floorBank: NoiseFloorBank;
}

async function loadInputs(options: OodSetOptions, sizes: OodSetSizes): Promise<Inputs> {
  const lingwareDir = options.picoLingwareDir === undefined ? DEFAULT_PICO_LINGWARE_DIR : options.picoLingwareDir;
  const pico = lingwareDir === null ? null : await PicoSynthesizer.create({ lingwareDir });
  const noise =
    options.realNoiseDir === null || sizes.realNoiseClips === 0 ? [] : await readNoiseSources(options.realNoiseDir);
  const picoCount = pico === null ? 0 : Math.ceil(sizes.heldOutVoices / 2);
  const voices: HeldOutVoice[] = [
    ...drawPicoSpeakers(picoCount, seededRng(sizes.seed, 'pico-voices')),
    ...drawHeldOutEspeakSpeakers(sizes.heldOutVoices - picoCount, seededRng(sizes.seed, 'espeak-voices')),
  ];
  return {
    espeak: await EspeakSynthesizer.create(),
    pico,
    noise,
    voices,
    // Its own stream: the corpus draws its noise floor from 'noise-floor' with the same default seed.
    floorBank: createNoiseFloorBank(seededRng(sizes.seed, 'ood-noise-floor')),
  };
}

/**
 * Writes the out-of-distribution evaluation set: five parts, each a folder with one subfolder per
 * expected answer, so that a reader can score it by path (see {@link OOD_EXPECTED_RULES} and
 * {@link oodExpectedLabels}):
 *
 * - `oov/<word>/<voice>.wav`: EVAL_OOV_WORDS said by held-out voices (expected `unknown`);
 * - `soundalike/<word>/<voice>.wav`: EVAL_SOUNDALIKES (expected `unknown`);
 * - `non-speech/<kind>/<n>.wav`: tones, chirps, DTMF, music, noises... (expected `silence` or `unknown`);
 * - `real-noise/<recording>/<n>.wav`: 1 s excerpts of real background noise (expected `silence`);
 * - `held-out-voices/<word>/<voice>.wav`: the ten commands and some auxiliary words said by every
 *   held-out voice (expected the folder's label).
 *
 * Voices are SVOX Pico's (a second engine, never trained on) and eSpeak NG speakers with
 * HELD_OUT_ESPEAK_VARIANTS. Clips are 1 s, 16 kHz mono 16-bit WAV, placed over a quiet noise floor
 * as the corpus is. `manifest.json` holds the seed, version, counts per part and folder, the
 * expected-answer rules, the voices and every non-speech and real-noise clip's parameters; the
 * set's `README.md` explains it. The same options and inputs give the same bytes.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a non-empty output folder or a size out of range;
 *   `FILE_NOT_FOUND` when the real-noise folder or Pico's lingware is missing; `FILE_UNWRITABLE`
 *   when the output cannot be written. Nothing is written when a synthesizer or input fails to load.
 */
export async function writeOodSet(options: OodSetOptions): Promise<OodSetReport> {
  const started = performance.now();
  const sizes = resolveSizes(options);
  const inputs = await loadInputs(options, sizes);
  ensureEmptyDir(options.outDir, 'the OOD set');
  try {
    const writer = new OodWriter(options, sizes, inputs);
    const parts = await writer.writeAll();
    return {
      outDir: options.outDir,
      clips: Object.values(parts).reduce((a, b) => a + b, 0),
      parts,
      voices: inputs.voices.length,
      picoVoices: inputs.voices.filter((v) => v.engine === 'svox-pico').length,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    throw fromFsError(error, options.outDir, 'write');
  } finally {
    inputs.pico?.dispose();
  }
}

/** One clip of a spoken part: a word folder and a voice. */
interface SpokenItem {
  readonly folder: string;
  readonly voice: HeldOutVoice;
}

/** The record of a parametric clip in the manifest. */
interface ClipRecord<T> {
  readonly file: string;
  readonly params: T;
}

interface RealNoiseParams {
  readonly source: string;
  readonly startSample: number;
  readonly levelDbfs: number;
}

/** RMS level range of the real-noise excerpts, dBFS (the corpus's silence clips span -80 to -20). */
const REAL_NOISE_DBFS: readonly [number, number] = [-60, -20];

/** Writes the parts in order, counting files per folder for the manifest. */
class OodWriter {
  private readonly folders = new Map<string, number>();
  private readonly nonSpeech: ClipRecord<NonSpeechParams>[] = [];
  private readonly realNoise: ClipRecord<RealNoiseParams>[] = [];

  constructor(
    private readonly options: OodSetOptions,
    private readonly sizes: OodSetSizes,
    private readonly inputs: Inputs,
  ) {}

  async writeAll(): Promise<Record<OodPart, number>> {
    const { seed } = this.sizes;
    const oovWords = seededRng(seed, 'oov-words')
      .shuffle([...EVAL_OOV_WORDS])
      .slice(0, this.sizes.oovWords)
      .sort();
    const soundalikes = COMMAND_WORDS.flatMap((c) =>
      seededRng(seed, 'soundalikes', c)
        .shuffle([...EVAL_SOUNDALIKES[c]])
        .slice(0, this.sizes.soundalikesPerCommand),
    ).sort();
    const auxiliary = seededRng(seed, 'held-out-unknown')
      .shuffle([...AUXILIARY_WORDS_V1])
      .slice(0, this.sizes.heldOutUnknownWords)
      .sort();
    const parts: Record<OodPart, number> = {
      oov: await this.writeSpoken('oov', this.perWordVoices('oov', oovWords, this.sizes.oovVoicesPerWord)),
      soundalike: await this.writeSpoken(
        'soundalike',
        this.perWordVoices('soundalike', soundalikes, this.sizes.soundalikeVoicesPerWord),
      ),
      'non-speech': await this.writeNonSpeech(),
      'real-noise': await this.writeRealNoise(),
      'held-out-voices': await this.writeSpoken(
        'held-out-voices',
        [...COMMAND_WORDS, ...auxiliary].flatMap((folder) => this.inputs.voices.map((voice) => ({ folder, voice }))),
      ),
    };
    await this.writeManifest(parts);
    return parts;
  }

  /**
   * `count` distinct voices for each word, Pico and eSpeak NG in turn (which first drawn per word)
   * when Pico is used, each engine's voices in a seeded order.
   */
  private perWordVoices(part: OodPart, words: readonly string[], count: number): SpokenItem[] {
    return words.flatMap((folder) => {
      const rng = seededRng(this.sizes.seed, part, 'voices', folder);
      const pico = rng.shuffle(this.inputs.voices.filter((v) => v.engine === 'svox-pico'));
      const espeak = rng.shuffle(this.inputs.voices.filter((v) => v.engine === 'espeak-ng'));
      const [first, second] = rng.chance(0.5) ? [pico, espeak] : [espeak, pico];
      const interleaved: HeldOutVoice[] = [];
      for (let i = 0; i < Math.max(first.length, second.length); i++)
        interleaved.push(...[first[i], second[i]].filter((v): v is HeldOutVoice => v !== undefined));
      return interleaved.slice(0, count).map((voice) => ({ folder, voice }));
    });
  }

  private async writeSpoken(part: OodPart, items: readonly SpokenItem[]): Promise<number> {
    await mkdir(join(this.options.outDir, part));
    let done = 0;
    for (const { folder, voice } of items) {
      const speech = await this.speak(folder, voice);
      const clip = placeInClip(speech, seededRng(this.sizes.seed, part, folder, voice.id), this.inputs.floorBank);
      await this.writeClip(part, folder, `${voice.id}.wav`, clip);
      this.options.onProgress?.(part, ++done, items.length);
    }
    return items.length;
  }

  private async speak(text: string, voice: HeldOutVoice): Promise<Float32Array> {
    if (voice.engine === 'espeak-ng') {
      const utterance = this.inputs.espeak.synthesize(text, voice);
      return prepareUtterance(utterance.samples, utterance.sampleRateHz);
    }
    const utterance = (this.inputs.pico as PicoSynthesizer).synthesize(text, voice);
    return prepareUtterance(utterance.samples, utterance.sampleRateHz);
  }

  private async writeNonSpeech(): Promise<number> {
    await mkdir(join(this.options.outDir, 'non-speech'));
    const total = NON_SPEECH_KINDS.length * this.sizes.nonSpeechPerKind;
    let done = 0;
    for (const kind of NON_SPEECH_KINDS) {
      for (let n = 0; n < this.sizes.nonSpeechPerKind; n++) {
        const rng = seededRng(this.sizes.seed, 'non-speech', kind, n);
        const params = drawNonSpeech(kind, rng, 'eval');
        // The noise floor alone (an empty utterance), then the sound over it.
        const clip = placeInClip(new Float32Array(0), rng, this.inputs.floorBank);
        const sound = renderNonSpeech(params);
        for (let i = 0; i < clip.length; i++)
          clip[i] = Math.max(-1, Math.min(1, (clip[i] as number) + (sound[i] as number)));
        const file = await this.writeClip('non-speech', kind, `${String(n).padStart(3, '0')}.wav`, clip);
        this.nonSpeech.push({ file, params });
        this.options.onProgress?.('non-speech', ++done, total);
      }
    }
    return total;
  }

  /** Excerpts, the recordings in turn, each at a random start and an RMS level of -60 to -20 dBFS (peak kept below 0.99). */
  private async writeRealNoise(): Promise<number> {
    await mkdir(join(this.options.outDir, 'real-noise'));
    const sources = this.inputs.noise;
    const total = this.sizes.realNoiseClips;
    for (let n = 0; n < total; n++) {
      const source = sources[n % sources.length] as NoiseSource;
      const rng = seededRng(this.sizes.seed, 'real-noise', n);
      const startSample = rng.int(0, source.samples.length - SYNTH_CLIP_SAMPLES);
      const levelDbfs = rng.uniform(REAL_NOISE_DBFS[0], REAL_NOISE_DBFS[1]);
      const clip = source.samples.slice(startSample, startSample + SYNTH_CLIP_SAMPLES);
      let power = 0;
      let peak = 0;
      for (const v of clip) {
        power += v * v;
        peak = Math.max(peak, Math.abs(v));
      }
      const gain = power > 0 ? Math.min(10 ** (levelDbfs / 20) / Math.sqrt(power / clip.length), 0.99 / peak) : 0;
      for (let i = 0; i < clip.length; i++) clip[i] = (clip[i] as number) * gain;
      const file = await this.writeClip(
        'real-noise',
        source.name,
        `${String(Math.floor(n / sources.length)).padStart(3, '0')}.wav`,
        clip,
      );
      this.realNoise.push({ file, params: { source: source.file, startSample, levelDbfs } });
      this.options.onProgress?.('real-noise', n + 1, total);
    }
    return total;
  }

  /** Writes `part/folder/name` (making the folder on first use); returns its path relative to the set. */
  private async writeClip(part: OodPart, folder: string, name: string, clip: Float32Array): Promise<string> {
    const key = `${part}/${folder}`;
    const count = this.folders.get(key) ?? 0;
    if (count === 0) await mkdir(join(this.options.outDir, part, folder));
    this.folders.set(key, count + 1);
    const file = `${key}/${name}`;
    await writeFile(join(this.options.outDir, file), await encodeWavPcm16(clip, 16_000));
    return file;
  }

  private async writeManifest(parts: Record<OodPart, number>): Promise<void> {
    const folders = (part: OodPart): Record<string, number> => {
      const entries = [...this.folders]
        .filter(([key]) => key.startsWith(`${part}/`))
        .map(([key, n]) => [key.slice(part.length + 1), n] as const);
      return Object.fromEntries(entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
    };
    const manifest = {
      generator: 'kws ood-set',
      generatorVersion: OOD_SET_VERSION,
      seed: this.sizes.seed,
      sizes: this.sizes,
      clip: { sampleRateHz: 16_000, samples: SYNTH_CLIP_SAMPLES, format: 'WAV, 16-bit PCM, mono' },
      clips: Object.values(parts).reduce((a, b) => a + b, 0),
      parts: Object.fromEntries(
        OOD_PARTS.map((part) => [
          part,
          {
            expected: oodExpectedLabelsOfPart(part),
            rule: OOD_EXPECTED_RULES[part],
            clips: parts[part],
            folders: folders(part),
          },
        ]),
      ),
      engines: {
        espeakNg: { package: '@echogarden/espeak-ng-emscripten', heldOutVariants: HELD_OUT_ESPEAK_VARIANTS },
        svoxPico:
          this.inputs.pico === null
            ? null
            : { package: '@echogarden/svoxpico-wasm', lingware: this.inputs.pico.lingware },
      },
      voices: this.inputs.voices,
      realNoiseSources: this.inputs.noise.map(({ file, sha1, samples }) => ({
        file,
        sha1,
        seconds: samples.length / 16_000,
      })),
      nonSpeech: this.nonSpeech,
      realNoise: this.realNoise,
    };
    await writeFile(join(this.options.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(
      join(this.options.outDir, 'README.md'),
      oodReadme(this.sizes, parts, this.inputs.voices, this.inputs.pico?.lingware ?? null),
    );
  }
}

/** The labels correct for a part as a whole: `held-out-voices` depends on the folder (`label-of-folder`). */
function oodExpectedLabelsOfPart(part: OodPart): readonly string[] {
  return part === 'held-out-voices' ? ['label-of-folder'] : oodExpectedLabels(part, '');
}

/** The set's own README.md: what each part is and how to score it. */
function oodReadme(
  sizes: OodSetSizes,
  parts: Readonly<Record<OodPart, number>>,
  voices: readonly HeldOutVoice[],
  lingware: readonly PicoLingwareFile[] | null,
): string {
  const pico = voices.filter((v) => v.engine === 'svox-pico').length;
  const rows = OOD_PARTS.map((part) => `| \`${part}/\` | ${parts[part]} | ${OOD_EXPECTED_RULES[part]} |`);
  return [
    '# Out-of-distribution evaluation set',
    '',
    `Written by \`kws ood-set\` (generator version ${OOD_SET_VERSION}) with seed ${sizes.seed}. Every clip is 1 s of 16 kHz mono 16-bit PCM WAV.`,
    'Score a clip by its path: `<part>/<folder>/<clip>.wav`. None of its words or voices may be used for training.',
    '',
    '| Part | Clips | Expected answer |',
    '| --- | --- | --- |',
    ...rows,
    '',
    `Voices: ${voices.length} held out from training, ${pico} of them SVOX Pico's (${lingware === null ? 'not used: no lingware' : 'en-US and en-GB, pitch and speed varied'}) and ${voices.length - pico} eSpeak NG speakers with the variants ${HELD_OUT_ESPEAK_VARIANTS.join(', ')}.`,
    "Speech is placed at a random offset and level (RMS -30 to -14 dBFS) over a -75 to -55 dBFS noise floor; non-speech sounds (13 kinds, drawn from the evaluation half of each kind's parameters) have their peak at -36 to -3 dBFS over the same floor; real-noise excerpts are at -60 to -20 dBFS RMS.",
    '',
    '`manifest.json` has the sizes, the counts per folder, the voices, the lingware and noise recordings (SHA-1) and the parameters of every non-speech and real-noise clip.',
    '',
  ].join('\n');
}
