import { createHash } from 'node:crypto';
import type { Rng } from '../data/index.js';
import { PICO_LANGUAGES } from './pico.js';
import type { PicoVoice } from './pico.js';
import { drawEspeakSpeakers } from './speakers.js';
import type { ESPEAK_HUMAN_VARIANTS } from './speakers.js';
import type { SyntheticSpeaker } from './speakers.js';

/**
 * eSpeak NG variants (of {@link ESPEAK_HUMAN_VARIANTS}) kept for evaluation: training must exclude
 * them (`drawSpeakers` does not yet; a later change makes it). Male- and female-sounding variants
 * and one Klatt variant, one in about eight of the 83. The bundled model `models/1` was trained before this list
 * existed, on all 83 variants, so for it these voices are new settings of seen variants, not
 * unseen ones; SVOX Pico's voices are unseen by every model here.
 */
export const HELD_OUT_ESPEAK_VARIANTS = [
  'm7',
  'f4',
  'Andrea',
  'Gene2',
  'Lee',
  'belinda',
  'iven3',
  'klatt3',
  'steph2',
  'travis',
] as const satisfies readonly (typeof ESPEAK_HUMAN_VARIANTS)[number][];

/** A held-out SVOX Pico speaker, with a stable id. */
export interface PicoSpeaker extends PicoVoice {
  readonly engine: 'svox-pico';
  /** 8 lowercase hex digits: the first 8 of the SHA-1 of (engine, language, pitch, speed). */
  readonly id: string;
}

/** A voice of the OOD set: an eSpeak NG speaker with a held-out variant, or a Pico speaker. */
export type HeldOutVoice = SyntheticSpeaker | PicoSpeaker;

/** Pico's pitch and speed ranges here, percent of the voice's own: about a major third either way, and 20 % slower or faster. */
const PICO_PITCH_PERCENT: readonly [number, number] = [80, 125];
const PICO_SPEED_PERCENT: readonly [number, number] = [80, 125];

/**
 * Draws `count` distinct eSpeak NG speakers whose variants are {@link HELD_OUT_ESPEAK_VARIANTS},
 * each variant in turn (so 10 or more speakers use all of them), with a voice drawn from
 * `ESPEAK_ENGLISH_VOICES` and pitch 20-80, range 30-90, rate 130-230 words per minute, the
 * ranges of `drawSpeakers`.
 */
export function drawHeldOutEspeakSpeakers(count: number, rng: Rng): SyntheticSpeaker[] {
  return drawEspeakSpeakers(
    count,
    rng,
    (_, k) => HELD_OUT_ESPEAK_VARIANTS[k % HELD_OUT_ESPEAK_VARIANTS.length] as string,
  );
}

/**
 * Draws `count` distinct SVOX Pico speakers, the languages of {@link PICO_LANGUAGES} in turn, pitch
 * and speed each 80-125 % of the voice's own (whole percents).
 */
export function drawPicoSpeakers(count: number, rng: Rng): PicoSpeaker[] {
  const speakers: PicoSpeaker[] = [];
  const seen = new Set<string>();
  while (speakers.length < count) {
    const voice: PicoVoice = {
      language: PICO_LANGUAGES[speakers.length % PICO_LANGUAGES.length] as PicoVoice['language'],
      pitchPercent: rng.int(PICO_PITCH_PERCENT[0], PICO_PITCH_PERCENT[1]),
      speedPercent: rng.int(PICO_SPEED_PERCENT[0], PICO_SPEED_PERCENT[1]),
    };
    const id = createHash('sha1')
      .update(JSON.stringify(['svox-pico', voice.language, voice.pitchPercent, voice.speedPercent]))
      .digest('hex')
      .slice(0, 8);
    if (seen.has(id)) continue;
    seen.add(id);
    speakers.push({ engine: 'svox-pico', id, ...voice });
  }
  return speakers;
}
