import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWavPcm16 } from '../audio/index.js';
import { placeInClip, prepareUtterance, SYNTH_CLIP_SAMPLES, trimSilence } from './clip.js';
import type { NoiseFloorBank } from './clip.js';
import { composeUtterance, drawComposedRecipe } from './composed-unknowns.js';
import type { ComposedRecipe } from './composed-unknowns.js';
import { EspeakSynthesizer } from './espeak.js';
import { drawNonSpeech, NON_SPEECH_KINDS, renderNonSpeech } from './non-speech.js';
import type { NonSpeechKind, NonSpeechParams } from './non-speech.js';
import { seededRng } from './output.js';
import type { SyntheticSpeaker } from './speakers.js';
import { COMPOSED_UNKNOWN_DIR, NON_SPEECH_UNKNOWN_DIR, UNKNOWN_WORD_POOL } from './training-negatives.js';

/** The folder the reader labels `silence` (`labelForWord('_silence_')`), as in the v0.02 test-set layout. */
const SILENCE_DIR = '_silence_';

/** What a writer of one part of the corpus needs. */
export interface CorpusPart {
  /** The corpus folder. */
  readonly outDir: string;
  /** The corpus's seed; each part draws from its own `seededRng(seed, '<part>', ...)` streams. */
  readonly seed: number;
  /** The corpus's noise floor, under every clip. */
  readonly floorBank: NoiseFloorBank;
  /** Called after each clip: clips done, clips in the part. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** A composed clip: its path in the corpus and its recipe. */
export type ComposedClipRecord = ComposedRecipe & { readonly file: string };

/** A non-speech clip: its path in the corpus and the parameters it was rendered from. */
export interface NonSpeechClipRecord {
  readonly file: string;
  readonly params: NonSpeechParams;
}

async function writeClip(outDir: string, relativePath: string, clip: Float32Array): Promise<void> {
  await writeFile(join(outDir, relativePath), await encodeWavPcm16(clip, 16_000));
}

/**
 * Writes `count` composed unknowns to `_composed_/<speaker>_nohash_<n>.wav` (n counts that speaker's
 * clips from 0), so the hashing split keeps each in its speaker's split. Clip i's recipe and placement
 * draw from `seededRng(seed, 'composed', i)` (see `drawComposedRecipe`, then `placeInClip` as for
 * words); its words are said by a synthesizer of its own, so the corpus's other clips keep their bytes.
 *
 * @param speakers The corpus's speakers.
 * @returns One record per clip, in the order written.
 */
export async function writeComposedUnknowns(
  part: CorpusPart,
  count: number,
  speakers: readonly SyntheticSpeaker[],
): Promise<ComposedClipRecord[]> {
  await mkdir(join(part.outDir, COMPOSED_UNKNOWN_DIR));
  const synthesizer = await EspeakSynthesizer.create();
  const byId = new Map(speakers.map((s) => [s.id, s]));
  const perSpeaker = new Map<string, number>();
  const records: ComposedClipRecord[] = [];
  for (let i = 0; i < count; i++) {
    const rng = seededRng(part.seed, 'composed', i);
    const recipe = drawComposedRecipe(i, rng, speakers, UNKNOWN_WORD_POOL);
    const speaker = byId.get(recipe.speaker) as SyntheticSpeaker;
    const utterance = await composeUtterance(recipe, async (word) => {
      const spoken = synthesizer.synthesize(word, speaker);
      return prepareUtterance(spoken.samples, spoken.sampleRateHz);
    });
    const n = perSpeaker.get(speaker.id) ?? 0;
    perSpeaker.set(speaker.id, n + 1);
    const file = `${COMPOSED_UNKNOWN_DIR}/${speaker.id}_nohash_${n}.wav`;
    await writeClip(part.outDir, file, placeInClip(utterance, rng, part.floorBank));
    records.push({ ...recipe, file });
    part.onProgress?.(i + 1, count);
  }
  return records;
}

/**
 * Writes `perKind` non-speech clips of each of `NON_SPEECH_KINDS` to
 * `_non_speech_/<kind>-<nnnn>_nohash_0.wav` (`_silence_/…` for the kinds in `silenceKinds`, which the
 * reader labels `silence`; the same bytes either way), drawn from the training half of each kind's parameters
 * (`drawNonSpeech(kind, rng, 'train')`, so never like an OOD-set clip) with `seededRng(seed,
 * 'non-speech', kind, n)`. The rendered sound is trimmed as an utterance is (`trimSilence`) and placed
 * like a word (`placeInClip`: random offset, RMS -30 to -14 dBFS with the peak under 0.99, over the
 * corpus's noise floor), so that loudness tells no class from another; the drawn peak level is replaced.
 *
 * @returns One record per clip, kind by kind.
 */
export async function writeNonSpeechUnknowns(
  part: CorpusPart,
  perKind: number,
  silenceKinds: ReadonlySet<NonSpeechKind> = new Set(),
): Promise<NonSpeechClipRecord[]> {
  await mkdir(join(part.outDir, NON_SPEECH_UNKNOWN_DIR));
  if (silenceKinds.size > 0) await mkdir(join(part.outDir, SILENCE_DIR), { recursive: true });
  const total = NON_SPEECH_KINDS.length * perKind;
  const records: NonSpeechClipRecord[] = [];
  for (const kind of NON_SPEECH_KINDS) {
    for (let n = 0; n < perKind; n++) {
      const rng = seededRng(part.seed, 'non-speech', kind, n);
      const params = drawNonSpeech(kind, rng, 'train');
      const sound = Float32Array.from(trimSilence(renderNonSpeech(params), 16_000).subarray(0, SYNTH_CLIP_SAMPLES));
      const folder = silenceKinds.has(kind) ? SILENCE_DIR : NON_SPEECH_UNKNOWN_DIR;
      const file = `${folder}/${kind}-${String(n).padStart(4, '0')}_nohash_0.wav`;
      await writeClip(part.outDir, file, placeInClip(sound, rng, part.floorBank));
      records.push({ file, params });
      part.onProgress?.(records.length, total);
    }
  }
  return records;
}
