import { Rng } from '../data/index.js';
import { KwsError, UnreachableCaseError } from '../errors/index.js';
import { colouredNoise } from './noise.js';
import type { NoiseColour } from './noise.js';

// Seeded generators of 1 s, 16 kHz clips that are not speech: tones, sweeps, signalling tones,
// synthetic waveforms, music, noises. Each clip is drawn as parameters (`drawNonSpeech`) and
// rendered from them alone (`renderNonSpeech`), so the parameters describe the clip exactly.
//
// Train/eval split. Each kind has one primary parameter (a tone's frequency, a chord's root note, a
// click train's rate...). Its range is cut into bins (a semitone, 1/12 octave, for frequencies and
// rates), and an evaluation draw takes only odd bins, a training draw only even ones, away from the
// bins' edges: an evaluation clip and a training clip never have the same parameters, and
// `nonSpeechSplitOf` tells from a clip's parameters which split it belongs to.

/** The kinds of non-speech clip. */
export const NON_SPEECH_KINDS = [
  'tone',
  'chirp',
  'dtmf',
  'square',
  'sawtooth',
  'click-train',
  'hum',
  'chord',
  'beeps',
  'noise-burst',
  'siren',
  'knock',
  'engine',
] as const;

/** One of {@link NON_SPEECH_KINDS}. */
export type NonSpeechKind = (typeof NON_SPEECH_KINDS)[number];

/** Which half of each kind's parameter space a draw comes from. */
export type NonSpeechSplit = 'train' | 'eval';

/** Samples of every clip (1 s at 16 kHz). */
export const NON_SPEECH_SAMPLES = 16_000;
const RATE_HZ = 16_000;

/**
 * Range of a clip's peak level, dBFS (0 dBFS = full scale 1): from a distant, quiet source to a loud
 * one just under clipping, about the spread of peaks in Speech Commands recordings.
 */
export const NON_SPEECH_PEAK_DBFS: readonly [number, number] = [-36, -3];

/**
 * DTMF keys by row (low-group frequency) and column (high-group frequency), and the frequencies of
 * ITU-T Recommendation Q.23 (1988), Hz.
 */
export const DTMF_KEYS = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'] as const;
export const DTMF_LOW_HZ = [697, 770, 852, 941] as const;
export const DTMF_HIGH_HZ = [1209, 1336, 1477, 1633] as const;

/** Fields every clip has. Times in seconds from the clip's start; levels in dBFS. */
interface Common {
  /** Peak level after normalisation, dBFS, within {@link NON_SPEECH_PEAK_DBFS}. */
  readonly peakDbfs: number;
}

/** A sound's placement: start and duration, seconds (start + duration <= 1). */
interface Span {
  readonly startS: number;
  readonly durationS: number;
}

/** Everything that determines one clip; `kind` tells which generator. */
export type NonSpeechParams = Common &
  (
    | ({ readonly kind: 'tone'; readonly frequencyHz: number } & Span)
    | ({
        readonly kind: 'chirp';
        readonly startHz: number;
        readonly endHz: number;
        readonly sweep: 'linear' | 'exponential';
      } & Span)
    | {
        readonly kind: 'dtmf';
        readonly keys: readonly [number, number];
        readonly startS: number;
        readonly toneS: number;
        readonly gapS: number;
        readonly twistDb: number;
      }
    | ({ readonly kind: 'square' | 'sawtooth'; readonly frequencyHz: number } & Span)
    | { readonly kind: 'click-train'; readonly rateHz: number; readonly clickHz: number; readonly clickDecayS: number }
    | { readonly kind: 'hum'; readonly fundamentalHz: number; readonly harmonicAmplitudes: readonly number[] }
    | ({
        readonly kind: 'chord';
        readonly midiNotes: readonly number[];
        readonly harmonics: number;
        readonly rolloff: number;
        readonly adsr: Adsr;
      } & Span)
    | {
        readonly kind: 'beeps';
        readonly frequencyHz: number;
        readonly count: number;
        readonly startS: number;
        readonly beepS: number;
        readonly gapS: number;
      }
    | {
        readonly kind: 'noise-burst';
        readonly colour: NoiseColour;
        readonly bursts: readonly Span[];
        readonly attackS: number;
        readonly noiseSeed: number;
      }
    | {
        readonly kind: 'siren';
        readonly carrierHz: number;
        readonly depthHz: number;
        readonly rateHz: number;
        readonly shape: 'sine' | 'triangle';
      }
    | {
        readonly kind: 'knock';
        readonly resonanceHz: number;
        readonly partialRatio: number;
        readonly decayS: number;
        readonly hitStartsS: readonly number[];
        readonly noiseSeed: number;
      }
    | {
        readonly kind: 'engine';
        readonly firingHz: number;
        readonly colour: NoiseColour;
        readonly depth: number;
        readonly driftPercent: number;
        readonly noiseSeed: number;
      }
  );

/** An ADSR envelope: attack, decay and release in seconds, sustain as a fraction of the peak. */
export interface Adsr {
  readonly attackS: number;
  readonly decayS: number;
  readonly sustain: number;
  readonly releaseS: number;
}

/** How a kind's primary parameter is binned: log bins per octave from `low`, or linear bins of `width`. */
type Binning =
  | { readonly scale: 'log'; readonly low: number; readonly perOctave: number }
  | { readonly scale: 'linear'; readonly low: number; readonly width: number };

const SEMITONES = 12;
const TONE_BINS: Binning = { scale: 'log', low: 100, perOctave: SEMITONES };
const CHIRP_BINS: Binning = { scale: 'log', low: 100, perOctave: SEMITONES };
const WAVE_BINS: Binning = { scale: 'log', low: 50, perOctave: SEMITONES };
const CLICK_BINS: Binning = { scale: 'log', low: 2, perOctave: SEMITONES };
const HUM_BINS: Binning = { scale: 'linear', low: 49.5, width: 0.1 };
const BEEP_BINS: Binning = { scale: 'log', low: 300, perOctave: SEMITONES };
const BURST_BINS: Binning = { scale: 'linear', low: 0.05, width: 0.01 };
const SIREN_BINS: Binning = { scale: 'log', low: 400, perOctave: SEMITONES };
const KNOCK_BINS: Binning = { scale: 'log', low: 80, perOctave: SEMITONES };
const ENGINE_BINS: Binning = { scale: 'log', low: 8, perOctave: SEMITONES };

function binIndex(value: number, bins: Binning): number {
  return bins.scale === 'log'
    ? Math.floor(Math.log2(value / bins.low) * bins.perOctave)
    : Math.floor((value - bins.low) / bins.width);
}

function splitOfIndex(index: number): NonSpeechSplit {
  return Math.abs(index) % 2 === 1 ? 'eval' : 'train';
}

/**
 * A value of `split`'s bins within [low, high): a bin of the right parity uniformly, then a point in
 * its middle 96 % (so that rounding cannot move it into a neighbour).
 */
function drawInSplit(rng: Rng, bins: Binning, low: number, high: number, split: NonSpeechSplit): number {
  const first = binIndex(low, bins) + 1;
  const last = binIndex(high, bins) - 1;
  const parity = split === 'eval' ? 1 : 0;
  const start = first % 2 === parity ? first : first + 1;
  const index = start + 2 * rng.int(0, Math.floor((last - start) / 2));
  const position = index + rng.uniform(0.02, 0.98);
  return bins.scale === 'log' ? bins.low * 2 ** (position / bins.perOctave) : bins.low + position * bins.width;
}

/**
 * The split a clip's parameters belong to, from its kind's primary parameter (see the file's
 * header): every drawn clip's split is the one it was drawn for.
 */
export function nonSpeechSplitOf(params: NonSpeechParams): NonSpeechSplit {
  switch (params.kind) {
    case 'tone':
      return splitOfIndex(binIndex(params.frequencyHz, TONE_BINS));
    case 'chirp':
      return splitOfIndex(binIndex(params.startHz, CHIRP_BINS));
    case 'dtmf':
      return splitOfIndex(params.keys[0] + params.keys[1]);
    case 'square':
    case 'sawtooth':
      return splitOfIndex(binIndex(params.frequencyHz, WAVE_BINS));
    case 'click-train':
      return splitOfIndex(binIndex(params.rateHz, CLICK_BINS));
    case 'hum':
      return splitOfIndex(
        binIndex(params.fundamentalHz < 55 ? params.fundamentalHz : params.fundamentalHz - 10, HUM_BINS),
      );
    case 'chord':
      return splitOfIndex(Math.min(...params.midiNotes));
    case 'beeps':
      return splitOfIndex(binIndex(params.frequencyHz, BEEP_BINS));
    case 'noise-burst':
      return splitOfIndex(binIndex((params.bursts[0] as Span).durationS, BURST_BINS));
    case 'siren':
      return splitOfIndex(binIndex(params.carrierHz, SIREN_BINS));
    case 'knock':
      return splitOfIndex(binIndex(params.resonanceHz, KNOCK_BINS));
    case 'engine':
      return splitOfIndex(binIndex(params.firingHz, ENGINE_BINS));
    default:
      throw new UnreachableCaseError(params);
  }
}

/** A span of `durationS` drawn from [minS, maxS] at a random start inside the clip. */
function drawSpan(rng: Rng, minS: number, maxS: number): Span {
  const durationS = rng.uniform(minS, maxS);
  return { startS: rng.uniform(0, 1 - durationS), durationS };
}

function drawPeak(rng: Rng): number {
  return rng.uniform(NON_SPEECH_PEAK_DBFS[0], NON_SPEECH_PEAK_DBFS[1]);
}

/**
 * Draws the parameters of one clip of `kind` from `split`'s half of its parameter space. Ranges:
 *
 * - `tone`: a sine of 100-6000 Hz, 0.3-1 s, 10 ms raised-cosine ramps.
 * - `chirp`: a linear or exponential sweep from 100-7000 Hz to 100-7000 Hz over 0.3-1 s.
 * - `dtmf`: two keys of a telephone keypad (ITU-T Q.23 frequency pairs), each 60-200 ms with a
 *   60-200 ms pause (Q.24 asks at least 40 ms of each), the high group 0-4 dB louder (twist).
 * - `square`, `sawtooth`: band-limited (harmonics below 7.5 kHz) at 50-2000 Hz, 0.3-1 s.
 * - `click-train`: clicks (a 1.5-5 kHz sine decaying in 0.2-1.5 ms) at 2-60 per second, 1 s.
 * - `hum`: mains hum at 50 or 60 Hz (within 0.5 Hz) with 10 harmonics of random strength, 1 s.
 * - `chord`: 2-4 equal-tempered notes (A4 = 440 Hz, MIDI 45-84) of 3-8 harmonics, ADSR envelope, 0.4-1 s.
 * - `beeps`: 2-6 bursts of a 300-4000 Hz tone, 40-250 ms each with 40-200 ms gaps.
 * - `noise-burst`: 1-3 bursts of white, pink or brown noise, 50-600 ms, 2-50 ms attack, decaying tail.
 * - `siren`: a wail or yelp: 400-1800 Hz carrier swept by 100-800 Hz at 0.5-8 Hz, 3 harmonics, 1 s.
 * - `knock`: 1-5 hits 80-250 ms apart of two damped resonances (80-1500 Hz, decay 5-60 ms) with a
 *   noise transient.
 * - `engine`: pink or brown noise amplitude-modulated at a 8-80 Hz firing rate (drifting by up to
 *   3 %), with that rate's harmonics, 1 s.
 *
 * Every clip's peak is drawn from {@link NON_SPEECH_PEAK_DBFS}.
 */
export function drawNonSpeech(kind: NonSpeechKind, rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  switch (kind) {
    case 'tone':
      return {
        kind,
        frequencyHz: drawInSplit(rng, TONE_BINS, 100, 6000, split),
        ...drawSpan(rng, 0.3, 1),
        peakDbfs: drawPeak(rng),
      };
    case 'chirp':
      return {
        kind,
        startHz: drawInSplit(rng, CHIRP_BINS, 100, 7000, split),
        endHz: 100 * 70 ** rng.float(),
        sweep: rng.chance(0.5) ? 'linear' : 'exponential',
        ...drawSpan(rng, 0.3, 1),
        peakDbfs: drawPeak(rng),
      };
    case 'dtmf':
      return drawDtmf(rng, split);
    case 'square':
    case 'sawtooth':
      return {
        kind,
        frequencyHz: drawInSplit(rng, WAVE_BINS, 50, 2000, split),
        ...drawSpan(rng, 0.3, 1),
        peakDbfs: drawPeak(rng),
      };
    case 'click-train':
      return {
        kind,
        rateHz: drawInSplit(rng, CLICK_BINS, 2, 60, split),
        clickHz: rng.uniform(1500, 5000),
        clickDecayS: rng.uniform(0.0002, 0.0015),
        peakDbfs: drawPeak(rng),
      };
    case 'hum':
      return drawHum(rng, split);
    case 'chord':
      return drawChord(rng, split);
    case 'beeps':
      return drawBeeps(rng, split);
    case 'noise-burst':
      return drawNoiseBursts(rng, split);
    case 'siren':
      return {
        kind,
        carrierHz: drawInSplit(rng, SIREN_BINS, 400, 1800, split),
        depthHz: rng.uniform(100, 800),
        rateHz: rng.uniform(0.5, 8),
        shape: rng.chance(0.5) ? 'sine' : 'triangle',
        peakDbfs: drawPeak(rng),
      };
    case 'knock':
      return drawKnock(rng, split);
    case 'engine':
      return {
        kind,
        firingHz: drawInSplit(rng, ENGINE_BINS, 8, 80, split),
        colour: rng.chance(0.5) ? 'pink' : 'brown',
        depth: rng.uniform(0.4, 0.95),
        driftPercent: rng.uniform(-3, 3),
        noiseSeed: rng.int(0, 2 ** 31 - 1),
        peakDbfs: drawPeak(rng),
      };
    default:
      throw new UnreachableCaseError(kind);
  }
}

function drawDtmf(rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  const first = rng.int(0, DTMF_KEYS.length - 1);
  // Pairs whose key indices sum to an odd number are eval's, the others train's (the sum's parity
  // is the offset's, as the number of keys is even).
  const offset = 2 * rng.int(0, DTMF_KEYS.length / 2 - 1) + (split === 'eval' ? 1 : 0);
  const second = (first + offset) % DTMF_KEYS.length;
  const toneS = rng.uniform(0.06, 0.2);
  const gapS = rng.uniform(0.06, 0.2);
  return {
    kind: 'dtmf',
    keys: [first, second],
    startS: rng.uniform(0, 1 - 2 * toneS - gapS),
    toneS,
    gapS,
    twistDb: rng.uniform(0, 4),
    peakDbfs: drawPeak(rng),
  };
}

function drawHum(rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  const fundamentalHz = drawInSplit(rng, HUM_BINS, 49.5, 50.5, split) + (rng.chance(0.5) ? 10 : 0);
  const rolloffDb = rng.uniform(2, 8);
  const harmonicAmplitudes = Array.from({ length: 10 }, (_, k) => 10 ** ((-rolloffDb * k) / 20) * rng.uniform(0.3, 1));
  return { kind: 'hum', fundamentalHz, harmonicAmplitudes, peakDbfs: drawPeak(rng) };
}

function drawChord(rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  const parity = split === 'eval' ? 1 : 0;
  const root = 46 + 2 * rng.int(0, 13) - parity; // 45-71, the root's parity is the split
  const intervals = rng.shuffle([3, 4, 5, 7, 8, 9, 12]).slice(0, rng.int(1, 3));
  const midiNotes = [root, ...intervals.map((i) => root + i)].sort((a, b) => a - b);
  const span = drawSpan(rng, 0.4, 1);
  const adsr: Adsr = {
    attackS: rng.uniform(0.005, 0.05),
    decayS: rng.uniform(0.05, 0.3),
    sustain: rng.uniform(0.3, 0.8),
    releaseS: rng.uniform(0.05, Math.min(0.4, span.durationS / 2)),
  };
  return {
    kind: 'chord',
    midiNotes,
    harmonics: rng.int(3, 8),
    rolloff: rng.uniform(1, 2),
    adsr,
    ...span,
    peakDbfs: drawPeak(rng),
  };
}

function drawBeeps(rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  const frequencyHz = drawInSplit(rng, BEEP_BINS, 300, 4000, split);
  const beepS = rng.uniform(0.04, 0.25);
  const gapS = rng.uniform(0.04, 0.2);
  const count = Math.max(2, Math.min(rng.int(2, 6), Math.floor((1 + gapS) / (beepS + gapS))));
  const totalS = count * beepS + (count - 1) * gapS;
  return {
    kind: 'beeps',
    frequencyHz,
    count,
    startS: rng.uniform(0, Math.max(0, 1 - totalS)),
    beepS,
    gapS,
    peakDbfs: drawPeak(rng),
  };
}

function drawNoiseBursts(rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  const colour = rng.pick<NoiseColour>(['white', 'pink', 'brown']);
  const firstS = drawInSplit(rng, BURST_BINS, 0.05, 0.6, split);
  const durations = [firstS, ...Array.from({ length: rng.int(0, 2) }, () => rng.uniform(0.05, 0.6))];
  const bursts = durations.map((durationS) => ({ startS: rng.uniform(0, 1 - durationS), durationS }));
  return {
    kind: 'noise-burst',
    colour,
    bursts,
    attackS: rng.uniform(0.002, 0.05),
    noiseSeed: rng.int(0, 2 ** 31 - 1),
    peakDbfs: drawPeak(rng),
  };
}

function drawKnock(rng: Rng, split: NonSpeechSplit): NonSpeechParams {
  const resonanceHz = drawInSplit(rng, KNOCK_BINS, 80, 1500, split);
  const hitStartsS: number[] = [rng.uniform(0, 0.3)];
  const hits = rng.int(1, 5);
  while (hitStartsS.length < hits) {
    const next = (hitStartsS[hitStartsS.length - 1] as number) + rng.uniform(0.08, 0.25);
    if (next > 0.85) break;
    hitStartsS.push(next);
  }
  return {
    kind: 'knock',
    resonanceHz,
    partialRatio: rng.uniform(1.5, 2.8),
    decayS: rng.uniform(0.005, 0.06),
    hitStartsS,
    noiseSeed: rng.int(0, 2 ** 31 - 1),
    peakDbfs: drawPeak(rng),
  };
}

/**
 * Renders a clip from its parameters alone (noise from the parameters' own seed), then scales it
 * so that its peak is `params.peakDbfs`.
 *
 * @returns `[16000]` samples at 16 kHz in [-1, 1].
 * @throws KwsError `INVALID_ARGUMENT` when the parameters render to digital silence.
 */
export function renderNonSpeech(params: NonSpeechParams): Float32Array {
  const out = new Float32Array(NON_SPEECH_SAMPLES);
  renderInto(out, params);
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  if (!(peak > 0) || !Number.isFinite(peak))
    throw new KwsError('INVALID_ARGUMENT', `non-speech ${params.kind} parameters render to no signal`);
  const gain = 10 ** (params.peakDbfs / 20) / peak;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * gain;
  return out;
}

function renderInto(out: Float32Array, params: NonSpeechParams): void {
  switch (params.kind) {
    case 'tone':
      return addTone(out, params.frequencyHz, params, 1);
    case 'chirp':
      return addChirp(out, params);
    case 'dtmf':
      return addDtmf(out, params);
    case 'square':
    case 'sawtooth':
      return addWave(out, params.kind, params.frequencyHz, params);
    case 'click-train':
      return addClicks(out, params.rateHz, params.clickHz, params.clickDecayS);
    case 'hum':
      return params.harmonicAmplitudes.forEach((a, k) =>
        addTone(out, params.fundamentalHz * (k + 1), { startS: 0, durationS: 1 }, a),
      );
    case 'chord':
      return addChord(out, params);
    case 'beeps':
      for (let b = 0; b < params.count; b++)
        addTone(
          out,
          params.frequencyHz,
          { startS: params.startS + b * (params.beepS + params.gapS), durationS: params.beepS },
          1,
        );
      return;
    case 'noise-burst':
      return addNoiseBursts(out, params.colour, params.bursts, params.attackS, params.noiseSeed);
    case 'siren':
      return addSiren(out, params.carrierHz, params.depthHz, params.rateHz, params.shape);
    case 'knock':
      return addKnocks(out, params);
    case 'engine':
      return addEngine(out, params);
    default:
      throw new UnreachableCaseError(params);
  }
}

/** Sample range of a span, clipped to the clip. */
function sampleRange(span: Span): [number, number] {
  const start = Math.max(0, Math.round(span.startS * RATE_HZ));
  return [start, Math.min(NON_SPEECH_SAMPLES, start + Math.round(span.durationS * RATE_HZ))];
}

/** Raised-cosine fade of `rampSamples` at both ends of [start, end): the gain at sample `i`. */
function ramp(i: number, start: number, end: number, rampSamples: number): number {
  const edge = Math.min(i - start, end - 1 - i);
  return edge >= rampSamples ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * Math.max(0, edge)) / rampSamples);
}

const RAMP_SAMPLES = 160; // 10 ms

/** Adds a sine of `frequencyHz` and peak `amplitude` over `span`, with 10 ms ramps. */
function addTone(out: Float32Array, frequencyHz: number, span: Span, amplitude: number): void {
  const [start, end] = sampleRange(span);
  const step = (2 * Math.PI * frequencyHz) / RATE_HZ;
  for (let i = start; i < end; i++)
    out[i] = (out[i] as number) + amplitude * ramp(i, start, end, RAMP_SAMPLES) * Math.sin(step * (i - start));
}

function addChirp(out: Float32Array, params: Extract<NonSpeechParams, { kind: 'chirp' }>): void {
  const [start, end] = sampleRange(params);
  const length = end - start;
  let phase = 0;
  for (let i = start; i < end; i++) {
    const t = (i - start) / length;
    const f =
      params.sweep === 'linear'
        ? params.startHz + (params.endHz - params.startHz) * t
        : params.startHz * (params.endHz / params.startHz) ** t;
    phase += (2 * Math.PI * f) / RATE_HZ;
    out[i] = (out[i] as number) + ramp(i, start, end, RAMP_SAMPLES) * Math.sin(phase);
  }
}

function addDtmf(out: Float32Array, params: Extract<NonSpeechParams, { kind: 'dtmf' }>): void {
  const highGain = 10 ** (params.twistDb / 20);
  params.keys.forEach((key, n) => {
    const span = { startS: params.startS + n * (params.toneS + params.gapS), durationS: params.toneS };
    addTone(out, DTMF_LOW_HZ[Math.floor(key / 4)] as number, span, 1);
    addTone(out, DTMF_HIGH_HZ[key % 4] as number, span, highGain);
  });
}

/** Band-limited square (odd harmonics, 1/k) or sawtooth (all harmonics, alternating 1/k) below 7.5 kHz. */
function addWave(out: Float32Array, shape: 'square' | 'sawtooth', frequencyHz: number, span: Span): void {
  for (let k = 1; k * frequencyHz < 7500; k++) {
    if (shape === 'square' && k % 2 === 0) continue;
    addTone(out, k * frequencyHz, span, (shape === 'sawtooth' && k % 2 === 0 ? -1 : 1) / k);
  }
}

function addClicks(out: Float32Array, rateHz: number, clickHz: number, decayS: number): void {
  const clickSamples = Math.ceil(decayS * RATE_HZ * 8);
  for (let c = 0; ; c++) {
    const start = Math.round((c * RATE_HZ) / rateHz);
    if (start >= NON_SPEECH_SAMPLES) return;
    for (let j = 0; j < clickSamples && start + j < NON_SPEECH_SAMPLES; j++) {
      out[start + j] =
        (out[start + j] as number) +
        Math.exp(-j / (decayS * RATE_HZ)) * Math.sin((2 * Math.PI * clickHz * j) / RATE_HZ);
    }
  }
}

/** The gain of an ADSR envelope at `t` seconds into a note of `durationS` (release at the end). */
function adsrGain(t: number, durationS: number, adsr: Adsr): number {
  const releaseStart = durationS - adsr.releaseS;
  if (t >= releaseStart) return adsr.sustain * Math.max(0, (durationS - t) / adsr.releaseS);
  if (t < adsr.attackS) return t / adsr.attackS;
  if (t < adsr.attackS + adsr.decayS) return 1 - ((1 - adsr.sustain) * (t - adsr.attackS)) / adsr.decayS;
  return adsr.sustain;
}

function addChord(out: Float32Array, params: Extract<NonSpeechParams, { kind: 'chord' }>): void {
  const [start, end] = sampleRange(params);
  const note = new Float32Array(end - start);
  for (const midi of params.midiNotes) {
    const f0 = 440 * 2 ** ((midi - 69) / 12);
    for (let k = 1; k <= params.harmonics && k * f0 < 7500; k++) {
      const step = (2 * Math.PI * k * f0) / RATE_HZ;
      const amplitude = 1 / k ** params.rolloff;
      for (let j = 0; j < note.length; j++) note[j] = (note[j] as number) + amplitude * Math.sin(step * j);
    }
  }
  for (let j = 0; j < note.length; j++)
    out[start + j] =
      (out[start + j] as number) + (note[j] as number) * adsrGain(j / RATE_HZ, params.durationS, params.adsr);
}

function addNoiseBursts(
  out: Float32Array,
  colour: NoiseColour,
  bursts: readonly Span[],
  attackS: number,
  noiseSeed: number,
): void {
  const noise = colouredNoise(colour, NON_SPEECH_SAMPLES, 0.25, new Rng(noiseSeed));
  for (const burst of bursts) {
    const [start, end] = sampleRange(burst);
    const attack = Math.min(attackS * RATE_HZ, (end - start) / 4);
    const tau = Math.max(1, (end - start - attack) / 4);
    for (let i = start; i < end; i++) {
      const j = i - start;
      const gain = j < attack ? j / attack : Math.exp(-(j - attack) / tau);
      out[i] = (out[i] as number) + gain * (noise[i] as number);
    }
  }
}

function addSiren(
  out: Float32Array,
  carrierHz: number,
  depthHz: number,
  rateHz: number,
  shape: 'sine' | 'triangle',
): void {
  let phase = 0;
  for (let i = 0; i < NON_SPEECH_SAMPLES; i++) {
    const cycle = (i * rateHz) / RATE_HZ;
    const lfo = shape === 'sine' ? Math.sin(2 * Math.PI * cycle) : 1 - 4 * Math.abs(cycle - Math.floor(cycle) - 0.5);
    phase += (2 * Math.PI * (carrierHz + depthHz * lfo)) / RATE_HZ;
    const gain = ramp(i, 0, NON_SPEECH_SAMPLES, RAMP_SAMPLES);
    out[i] = gain * (Math.sin(phase) + 0.4 * Math.sin(2 * phase) + 0.2 * Math.sin(3 * phase));
  }
}

function addKnocks(out: Float32Array, params: Extract<NonSpeechParams, { kind: 'knock' }>): void {
  const rng = new Rng(params.noiseSeed);
  const tau = params.decayS * RATE_HZ;
  const length = Math.ceil(tau * 8);
  for (const startS of params.hitStartsS) {
    const start = Math.round(startS * RATE_HZ);
    for (let j = 0; j < length && start + j < NON_SPEECH_SAMPLES; j++) {
      const t = j / RATE_HZ;
      const body =
        Math.sin(2 * Math.PI * params.resonanceHz * t) +
        0.5 * Math.sin(2 * Math.PI * params.resonanceHz * params.partialRatio * t) * Math.exp(-j / (tau / 2));
      const transient = j < 32 ? (rng.float() * 2 - 1) * (1 - j / 32) : 0;
      out[start + j] = (out[start + j] as number) + Math.exp(-j / tau) * body + transient;
    }
  }
}

function addEngine(out: Float32Array, params: Extract<NonSpeechParams, { kind: 'engine' }>): void {
  const noise = colouredNoise(params.colour, NON_SPEECH_SAMPLES, 0.25, new Rng(params.noiseSeed));
  let phase = 0;
  for (let i = 0; i < NON_SPEECH_SAMPLES; i++) {
    const f = params.firingHz * (1 + (params.driftPercent / 100) * (i / NON_SPEECH_SAMPLES));
    phase += (2 * Math.PI * f) / RATE_HZ;
    // Sharp firing pulses: a raised cosine to the 4th power, one per cycle.
    const pulse = ((1 + Math.cos(phase)) / 2) ** 4;
    const harmonics = 0.3 * Math.sin(phase) + 0.15 * Math.sin(2 * phase) + 0.08 * Math.sin(3 * phase);
    out[i] =
      ramp(i, 0, NON_SPEECH_SAMPLES, RAMP_SAMPLES) *
      ((noise[i] as number) * (1 - params.depth + params.depth * pulse) + harmonics);
  }
}

/**
 * One clip of `kind`: {@link drawNonSpeech} then {@link renderNonSpeech}. Training draws pass
 * `'train'`; the OOD evaluation set draws `'eval'`.
 *
 * @returns `[16000]` samples at 16 kHz, peak within {@link NON_SPEECH_PEAK_DBFS}.
 */
export function nonSpeechClip(kind: NonSpeechKind, rng: Rng, split: NonSpeechSplit): Float32Array {
  return renderNonSpeech(drawNonSpeech(kind, rng, split));
}
