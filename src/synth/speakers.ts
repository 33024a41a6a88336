import { KwsError } from '../errors/index.js';
import { createHash } from 'node:crypto';
import type { Rng } from '../data/index.js';
import type { EspeakVoice } from './espeak.js';

/** English voices of eSpeak NG 1.52 (espeak-ng-data/lang/gmw). */
export const ESPEAK_ENGLISH_VOICES = [
  'en',
  'en-us',
  'en-gb-scotland',
  'en-gb-x-gbclan',
  'en-gb-x-gbcwmd',
  'en-gb-x-rp',
  'en-029',
  'en-us-nyc',
] as const;

/**
 * eSpeak NG voices of other languages. Reading English words with their own letter-to-sound rules,
 * they give accents no English voice has, for `SynthOptions.accentedVoices`; they are eSpeak, not
 * SVOX Pico (the synthesizer the OOD set holds out).
 */
export const ESPEAK_ACCENT_VOICES = ['de', 'es', 'fr', 'it', 'nl', 'pl', 'pt', 'sv', 'ru', 'hi'] as const;

/**
 * Gives a share of `speakers` (each with probability `share`, drawn from `rng`) a voice of
 * {@link ESPEAK_ACCENT_VOICES} instead of its English one, keeping variant, pitch, range and rate;
 * their ids change with the voice. `share` 0 returns the speakers as they are (and reads no Rng).
 *
 * @throws KwsError `INVALID_ARGUMENT` for a share outside [0, 1].
 */
export function withAccents(speakers: readonly SyntheticSpeaker[], share: number, rng: Rng): SyntheticSpeaker[] {
  if (!(share >= 0 && share <= 1))
    throw new KwsError('INVALID_ARGUMENT', `accentedVoices must be a share from 0 to 1, got ${String(share)}`);
  if (share === 0) return [...speakers];
  return speakers.map((speaker) => {
    if (!rng.chance(share)) return speaker;
    const voice = { ...speaker, voice: rng.pick(ESPEAK_ACCENT_VOICES) };
    return { ...voice, id: speakerId('espeak-ng', voice) };
  });
}

/**
 * Voice variants of eSpeak NG (espeak-ng-data/voices/!v) that sound like people: the robotic,
 * whispered and effect variants (robosoft*, UniRobot, anikaRobot, Demonic, croak, whisper*) are left out.
 */
export const ESPEAK_HUMAN_VARIANTS = [
  '',
  'm1',
  'm2',
  'm3',
  'm4',
  'm5',
  'm6',
  'm7',
  'm8',
  'f1',
  'f2',
  'f3',
  'f4',
  'f5',
  'Alex',
  'Alicia',
  'Andrea',
  'Andy',
  'Annie',
  'Denis',
  'Diogo',
  'Gene',
  'Gene2',
  'Henrique',
  'Hugo',
  'Jacky',
  'Lee',
  'Mario',
  'Michael',
  'Mike',
  'Mr serious',
  'Nguyen',
  'Reed',
  'RicishayMax',
  'Storm',
  'adam',
  'anika',
  'announcer',
  'antonio',
  'aunty',
  'belinda',
  'benjamin',
  'boris',
  'caleb',
  'david',
  'ed',
  'edward',
  'edward2',
  'grandma',
  'grandpa',
  'gustave',
  'ian',
  'iven',
  'iven2',
  'iven3',
  'iven4',
  'john',
  'kaukovalta',
  'klatt',
  'klatt2',
  'klatt3',
  'klatt4',
  'linda',
  'marcelo',
  'max',
  'michel',
  'miguel',
  'mike2',
  'norbert',
  'pablo',
  'paul',
  'pedro',
  'quincy',
  'rob',
  'robert',
  'sandro',
  'shelby',
  'steph',
  'steph2',
  'steph3',
  'travis',
  'victor',
  'zac',
] as const;

/** A synthetic speaker: one engine and voice setting, with a stable id. */
export interface SyntheticSpeaker extends EspeakVoice {
  readonly engine: 'espeak-ng';
  /** 8 lowercase hex digits, as a Speech Commands speaker id (first 8 of SHA-1 of the tuple). */
  readonly id: string;
}

/** The stable 8-hex-digit id of a (engine, voice, variant, pitch, range, rate) tuple. */
export function speakerId(engine: string, voice: EspeakVoice): string {
  const tuple = JSON.stringify([engine, voice.voice, voice.variant, voice.pitch, voice.range, voice.rateWpm]);
  return createHash('sha1').update(tuple).digest('hex').slice(0, 8);
}

/**
 * Draws `count` distinct eSpeak NG speakers: a voice of {@link ESPEAK_ENGLISH_VOICES} uniformly, the
 * variant `variantFor(rng, k)` gives the k-th speaker, pitch 20-80, range 30-90 and rate 130-230
 * words per minute (eSpeak's default is 175); a draw whose id is in `exclude` or already drawn is
 * drawn again. The Rng is read in that order (voice, variant, pitch, range, rate).
 */
export function drawEspeakSpeakers(
  count: number,
  rng: Rng,
  variantFor: (rng: Rng, k: number) => string,
  exclude: ReadonlySet<string> = new Set(),
): SyntheticSpeaker[] {
  const speakers: SyntheticSpeaker[] = [];
  const seen = new Set(exclude);
  while (speakers.length < count) {
    const voice: EspeakVoice = {
      voice: rng.pick(ESPEAK_ENGLISH_VOICES),
      variant: variantFor(rng, speakers.length),
      pitch: rng.int(20, 80),
      range: rng.int(30, 90),
      rateWpm: rng.int(130, 230),
    };
    const id = speakerId('espeak-ng', voice);
    if (seen.has(id)) continue;
    seen.add(id);
    speakers.push({ engine: 'espeak-ng', id, ...voice });
  }
  return speakers;
}

/** Draws `count` distinct synthetic speakers of the corpus: voice and variant uniformly (see {@link drawEspeakSpeakers}). */
export function drawSpeakers(count: number, rng: Rng, exclude: ReadonlySet<string> = new Set()): SyntheticSpeaker[] {
  return drawEspeakSpeakers(count, rng, (r) => r.pick(ESPEAK_HUMAN_VARIANTS), exclude);
}
