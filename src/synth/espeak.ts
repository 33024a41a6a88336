import EspeakModule from '@echogarden/espeak-ng-emscripten';
import { KwsError } from '../errors/index.js';

/** A synthesized utterance: 16-bit samples at the engine's rate. */
export interface Utterance {
  readonly samples: Int16Array;
  readonly sampleRateHz: number;
}

/** Voice settings of one synthetic speaker for eSpeak NG. */
export interface EspeakVoice {
  /** eSpeak NG voice name, e.g. `en-us`, `en-gb-x-rp`. */
  readonly voice: string;
  /** Voice variant from `espeak-ng-data/voices/!v`, e.g. `m3`, `f2`, `klatt`; `''` for none. */
  readonly variant: string;
  /** Base pitch, 0-100 (eSpeak's `-p`). */
  readonly pitch: number;
  /** Pitch range, 0-100. */
  readonly range: number;
  /** Speaking rate, words per minute (eSpeak's `-s`, 80-450). */
  readonly rateWpm: number;
}

/** The clock value eSpeak sees while it synthesizes (any constant; see {@link withFixedClock}). */
const FIXED_CLOCK_MS = 1_700_000_000_000;

/**
 * Runs `fn` with `Date.now` returning a constant. eSpeak NG seeds the random numbers of its breathy
 * voice variants (f2, f3, f5, Alicia, sandro, victor, ...) from the clock, which the WebAssembly
 * build reads through `Date.now`; with a fixed clock, the same calls in the same order give the same
 * samples in every run. `fn` is synchronous, so no other code observes the fixed clock.
 */
function withFixedClock<T>(fn: () => T): T {
  const realNow = Date.now;
  Date.now = () => FIXED_CLOCK_MS;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}

/**
 * eSpeak NG (formant synthesis, GPL-3.0) compiled to WebAssembly by the Echogarden project
 * (`@echogarden/espeak-ng-emscripten`), driven through its `eSpeakNGWorker` binding. Runs offline;
 * output is 22,050 Hz mono. Deterministic for a given sequence of calls: the clock eSpeak seeds its
 * noise from is held fixed (see {@link withFixedClock}), so a fresh synthesizer making the same calls
 * in the same order gives the same samples.
 */
export class EspeakSynthesizer {
  private constructor(
    private readonly worker: EspeakWorker,
    readonly sampleRateHz: number,
  ) {}

  /** Loads the WebAssembly module (about 150 ms). */
  static async create(): Promise<EspeakSynthesizer> {
    const module = await EspeakModule();
    const worker = withFixedClock(() => new module.eSpeakNGWorker());
    return new EspeakSynthesizer(worker, worker.get_samplerate());
  }

  /**
   * Speaks `text` with `voice`.
   *
   * @throws KwsError `INVALID_ARGUMENT` when eSpeak rejects the voice or produces no audio.
   */
  synthesize(text: string, voice: EspeakVoice): Utterance {
    const name = voice.variant === '' ? voice.voice : `${voice.voice}+${voice.variant}`;
    const status = this.worker.set_voice(name);
    if (status !== 0) throw new KwsError('INVALID_ARGUMENT', `eSpeak NG has no voice "${name}" (status ${status})`);
    this.worker.set_rate(voice.rateWpm);
    this.worker.set_pitch(voice.pitch);
    this.worker.set_range(voice.range);
    const chunks: Int16Array[] = [];
    withFixedClock(() =>
      this.worker.synthesize(text, (samples) => {
        if (samples !== null && samples !== undefined && samples.length > 0) chunks.push(samples);
        return 0;
      }),
    );
    const length = chunks.reduce((sum, c) => sum + c.length, 0);
    if (length === 0)
      throw new KwsError('INVALID_ARGUMENT', `eSpeak NG produced no audio for "${text}" with voice "${name}"`);
    const samples = new Int16Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      samples.set(chunk, offset);
      offset += chunk.length;
    }
    return { samples, sampleRateHz: this.sampleRateHz };
  }
}

/** The eSpeak NG worker binding (declared in src/vendor.d.ts). */
type EspeakWorker = InstanceType<Awaited<ReturnType<typeof EspeakModule>>['eSpeakNGWorker']>;
