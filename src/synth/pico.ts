import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SvoxPicoModule } from '@echogarden/svoxpico-wasm';
import { fromFsError, KwsError } from '../errors/index.js';
import type { Utterance } from './espeak.js';

/** Languages of SVOX Pico used here (its two English voices, both female). */
export const PICO_LANGUAGES = ['en-US', 'en-GB'] as const;

/** One of {@link PICO_LANGUAGES}. */
export type PicoLanguage = (typeof PICO_LANGUAGES)[number];

/**
 * Lingware files of each language: text analysis (`_ta`) and signal generation (`_sg`, the speaker:
 * lh0 for en-US, kh0 for en-GB), as named in Android's external/svox/pico/lang and Debian's
 * libttspico-data.
 */
export const PICO_LINGWARE_FILES: Readonly<
  Record<PicoLanguage, { readonly textAnalysis: string; readonly signalGeneration: string }>
> = {
  'en-US': { textAnalysis: 'en-US_ta.bin', signalGeneration: 'en-US_lh0_sg.bin' },
  'en-GB': { textAnalysis: 'en-GB_ta.bin', signalGeneration: 'en-GB_kh0_sg.bin' },
};

/**
 * Where Debian and Ubuntu's `libttspico-data` package (section non-free) installs the lingware. The
 * npm package `@echogarden/svoxpico-wasm` ships the engine only, no lingware.
 */
export const DEFAULT_PICO_LINGWARE_DIR = '/usr/share/pico/lang';

/** Voice settings of one SVOX Pico speaker. */
export interface PicoVoice {
  readonly language: PicoLanguage;
  /** Pitch, percent of the voice's own (Pico's `<pitch level>`, 50-200; 100 is unchanged). */
  readonly pitchPercent: number;
  /** Speaking rate, percent of the voice's own (Pico's `<speed level>`, 20-500; 100 is unchanged). */
  readonly speedPercent: number;
}

/** Options of {@link PicoSynthesizer.create}. */
export interface PicoOptions {
  /** Folder holding the lingware files of {@link PICO_LINGWARE_FILES}. Default {@link DEFAULT_PICO_LINGWARE_DIR}. */
  readonly lingwareDir?: string;
}

/** Bytes of the memory area Pico allocates from: both English languages' lingware (2.4 MB) and one engine. */
const PICO_MEMORY_BYTES = 8 * 1024 * 1024;
const PICO_STEP_IDLE = 200;
const PICO_STEP_BUSY = 201;
const PICO_DATA_PCM_16BIT = 1;
/** Bytes asked of `pico_getData` per call (its size argument is a 16-bit integer). */
const OUT_BUFFER_BYTES = 16_384;
/** Bytes handed to `pico_putTextUtf8` per call (its size argument is a 16-bit integer). */
const MAX_PUT_BYTES = 32_000;
const MAX_TEXT_CHARACTERS = 1_000;

/** A lingware file as loaded: its name and SHA-1 (which identify the voices for reproducibility). */
export interface PicoLingwareFile {
  readonly file: string;
  readonly sha1: string;
}

/** Reads the lingware files of every language, or says which is missing. */
function readLingware(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const language of PICO_LANGUAGES) {
    for (const name of Object.values(PICO_LINGWARE_FILES[language])) {
      const path = join(dir, name);
      try {
        files.set(name, new Uint8Array(readFileSync(path)));
      } catch (error) {
        const fsError = fromFsError(error, path, 'read');
        if (fsError.code !== 'FILE_NOT_FOUND') throw fsError;
        throw new KwsError(
          'FILE_NOT_FOUND',
          `SVOX Pico lingware ${path} does not exist: @echogarden/svoxpico-wasm ships no lingware; install Debian's libttspico-data (non-free) or point at a folder holding ${Object.values(
            PICO_LINGWARE_FILES,
          )
            .flatMap((f) => [f.textAnalysis, f.signalGeneration])
            .join(', ')}`,
          { cause: error },
        );
      }
    }
  }
  return files;
}

/**
 * SVOX Pico (Apache-2.0; HMM-based parametric synthesis by SVOX AG, shipped with Android) compiled to
 * WebAssembly by the Echogarden project (`@echogarden/svoxpico-wasm`), with its US and British English
 * voices. Output is 16,000 Hz mono 16-bit.
 *
 * Deterministic per utterance: Pico keeps a noise generator's state across utterances that no engine
 * reset clears (the same word said twice in a row differs in its unvoiced parts), so the module's whole
 * memory (about 17 MB) is copied once the engine of a language is made and copied back before each
 * utterance: a text and voice give the same samples whatever was said before, in any run. Holds up to
 * three such copies (none, en-US, en-GB engine), about 51 MB.
 */
export class PicoSynthesizer {
  /** Sample rate of every utterance, Hz. */
  readonly sampleRateHz = 16_000;
  /** The lingware files loaded, in the order of {@link PICO_LANGUAGES}. */
  readonly lingware: readonly PicoLingwareFile[];
  private disposed = false;
  /** The memory with each language's engine made and idle, restored before each utterance. */
  private readonly engines = new Map<PicoLanguage, { readonly pointer: number; readonly memory: Uint8Array }>();

  private constructor(
    private readonly module: SvoxPicoModule,
    private readonly heap: PicoHeap,
    private readonly system: number,
    private readonly voiceNames: ReadonlyMap<PicoLanguage, number>,
    /** The memory with the lingware loaded and no engine. */
    private readonly baseMemory: Uint8Array,
    lingware: ReadonlyMap<string, Uint8Array>,
  ) {
    this.lingware = [...lingware].map(([file, bytes]) => ({
      file,
      sha1: createHash('sha1').update(bytes).digest('hex'),
    }));
  }

  /**
   * Loads the WebAssembly module and both languages' lingware (about 100 ms).
   *
   * @throws KwsError `FILE_NOT_FOUND` when a lingware file is missing, `FILE_UNREADABLE` when one
   *   cannot be read or Pico rejects it, `INTERNAL` when the WebAssembly module fails to load.
   */
  static async create(options: PicoOptions = {}): Promise<PicoSynthesizer> {
    const lingware = readLingware(options.lingwareDir ?? DEFAULT_PICO_LINGWARE_DIR);
    let module: SvoxPicoModule;
    try {
      const { default: factory } = await import('@echogarden/svoxpico-wasm');
      module = await factory({ print: () => undefined, printErr: () => undefined });
    } catch (error) {
      throw new KwsError(
        'INTERNAL',
        `the SVOX Pico WebAssembly module did not load: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const heap = new PicoHeap(module);
    const memory = heap.alloc(PICO_MEMORY_BYTES);
    const systemSlot = heap.alloc(4);
    const status = module._pico_initialize(memory, PICO_MEMORY_BYTES, systemSlot);
    if (status !== 0) throw new KwsError('INTERNAL', `SVOX Pico did not initialize (status ${status})`);
    const system = heap.u32(systemSlot);
    const voiceNames = new Map<PicoLanguage, number>();
    for (const language of PICO_LANGUAGES)
      voiceNames.set(language, defineVoice(module, heap, system, language, lingware));
    return new PicoSynthesizer(module, heap, system, voiceNames, module.HEAPU8.slice(), lingware);
  }

  /**
   * Speaks `text` with `voice` (about 20 ms for a word).
   *
   * @param text Plain text, 1-1000 characters, no `<`, `>` or `&` (Pico reads those as markup).
   * @returns 16-bit samples at 16,000 Hz.
   * @throws KwsError `INVALID_ARGUMENT` for bad text or voice settings, when Pico fails or makes no
   *   audio, or when the synthesizer was disposed.
   */
  synthesize(text: string, voice: PicoVoice): Utterance {
    validateRequest(text, voice, this.disposed);
    const engine = this.restoreEngine(voice.language);
    const markup = `<pitch level="${Math.round(voice.pitchPercent)}"><speed level="${Math.round(voice.speedPercent)}">${text}</speed></pitch>`;
    const textBytes = new TextEncoder().encode(`${markup}\0`);
    const textPointer = this.heap.bytes(textBytes);
    const putSlot = this.heap.alloc(4);
    const chunks: Int16Array[] = [];
    for (let offset = 0; offset < textBytes.length;) {
      const size = Math.min(MAX_PUT_BYTES, textBytes.length - offset);
      this.check(this.module._pico_putTextUtf8(engine, textPointer + offset, size, putSlot), `take the text "${text}"`);
      this.drain(engine, chunks);
      const put = this.heap.i16(putSlot);
      if (put <= 0) break;
      offset += put;
    }
    return { samples: concatenate(chunks, text), sampleRateHz: this.sampleRateHz };
  }

  /** Drops the module and its memory copies; later calls to {@link synthesize} throw. Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.engines.clear();
  }

  /**
   * Puts the module's memory back to the state just after the engine of `language` was made (making
   * it first, from the no-engine state, when none was): every allocation since is undone with it.
   */
  private restoreEngine(language: PicoLanguage): number {
    const saved = this.engines.get(language);
    if (saved !== undefined) {
      this.module.HEAPU8.set(saved.memory);
      return saved.pointer;
    }
    this.module.HEAPU8.set(this.baseMemory);
    const slot = this.heap.alloc(4);
    this.check(
      this.module._pico_newEngine(this.system, this.voiceNames.get(language) as number, slot),
      `start the ${language} engine`,
    );
    const pointer = this.heap.u32(slot);
    this.engines.set(language, { pointer, memory: this.module.HEAPU8.slice() });
    return pointer;
  }

  /** Pulls synthesized audio until the engine is idle. */
  private drain(engine: number, chunks: Int16Array[]): void {
    const buffer = this.heap.alloc(OUT_BUFFER_BYTES);
    const slots = this.heap.alloc(8);
    for (let status = PICO_STEP_BUSY; status === PICO_STEP_BUSY;) {
      status = this.module._pico_getData(engine, buffer, OUT_BUFFER_BYTES, slots, slots + 4);
      if (status !== PICO_STEP_IDLE && status !== PICO_STEP_BUSY) this.check(status, 'synthesize');
      const received = this.heap.i16(slots);
      if (received > 0 && this.heap.i16(slots + 4) === PICO_DATA_PCM_16BIT)
        chunks.push(this.heap.int16Copy(buffer, received));
    }
    this.heap.free(buffer);
    this.heap.free(slots);
  }

  private check(status: number, action: string): void {
    if (status === 0) return;
    throw new KwsError(
      'INVALID_ARGUMENT',
      `SVOX Pico could not ${action}: ${statusMessage(this.module, this.heap, this.system, status)}`,
    );
  }
}

function validateRequest(text: string, voice: PicoVoice, disposed: boolean): void {
  if (disposed) throw new KwsError('INVALID_ARGUMENT', 'the SVOX Pico synthesizer was disposed');
  if (text.trim().length === 0 || text.length > MAX_TEXT_CHARACTERS || /[<>&]/.test(text)) {
    throw new KwsError(
      'INVALID_ARGUMENT',
      `SVOX Pico text must be 1-${MAX_TEXT_CHARACTERS} characters without <, > or &, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  if (!(PICO_LANGUAGES as readonly string[]).includes(voice.language))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `SVOX Pico has no language "${voice.language}"; expected one of ${PICO_LANGUAGES.join(', ')}`,
    );
  if (!(voice.pitchPercent >= 50 && voice.pitchPercent <= 200))
    throw new KwsError('INVALID_ARGUMENT', `pitchPercent must be from 50 to 200, got ${voice.pitchPercent}`);
  if (!(voice.speedPercent >= 20 && voice.speedPercent <= 500))
    throw new KwsError('INVALID_ARGUMENT', `speedPercent must be from 20 to 500, got ${voice.speedPercent}`);
}

/** Loads a language's two lingware files into `system` and defines its voice; returns the voice name's pointer. */
function defineVoice(
  module: SvoxPicoModule,
  heap: PicoHeap,
  system: number,
  language: PicoLanguage,
  lingware: ReadonlyMap<string, Uint8Array>,
): number {
  const voiceName = heap.string(`kws-${language}`);
  const fail = (status: number, what: string): never => {
    throw new KwsError(
      'FILE_UNREADABLE',
      `SVOX Pico could not ${what}: ${statusMessage(module, heap, system, status)}`,
    );
  };
  let status = module._pico_createVoiceDefinition(system, voiceName);
  if (status !== 0) fail(status, `define the ${language} voice`);
  for (const name of Object.values(PICO_LINGWARE_FILES[language])) {
    const virtualPath = `/${name}`;
    module.FS.writeFile(virtualPath, lingware.get(name) as Uint8Array);
    const resourceSlot = heap.alloc(4);
    status = module._pico_loadResource(system, heap.string(virtualPath), resourceSlot);
    module.FS.unlink(virtualPath);
    if (status !== 0) fail(status, `load lingware ${name}`);
    const resourceName = heap.alloc(32);
    status = module._pico_getResourceName(system, heap.u32(resourceSlot), resourceName);
    if (status !== 0) fail(status, `name lingware ${name}`);
    status = module._pico_addResourceToVoiceDefinition(system, voiceName, resourceName);
    if (status !== 0) fail(status, `add lingware ${name} to the ${language} voice`);
  }
  return voiceName;
}

function statusMessage(module: SvoxPicoModule, heap: PicoHeap, system: number, status: number): string {
  const out = heap.alloc(200);
  module._pico_getSystemStatusMessage(system, status, out);
  const message = heap.cString(out);
  heap.free(out);
  return `${message === '' ? 'error' : message} (status ${status})`;
}

function concatenate(chunks: readonly Int16Array[], text: string): Int16Array {
  const length = chunks.reduce((sum, c) => sum + c.length, 0);
  if (length === 0) throw new KwsError('INVALID_ARGUMENT', `SVOX Pico produced no audio for "${text}"`);
  const samples = new Int16Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    samples.set(chunk, offset);
    offset += chunk.length;
  }
  return samples;
}

/**
 * Allocations in the module's memory. The heap views are re-read on every access, as the memory may
 * grow. Nothing is tracked: what {@link PicoSynthesizer} allocates for an utterance is undone by the
 * next memory restore, and the module is dropped whole on dispose.
 */
class PicoHeap {
  constructor(private readonly module: SvoxPicoModule) {}

  alloc(bytes: number): number {
    const pointer = this.module._malloc(bytes);
    if (pointer === 0)
      throw new KwsError('INTERNAL', `SVOX Pico's WebAssembly memory is exhausted (asked for ${bytes} bytes)`);
    this.module.HEAPU8.fill(0, pointer, pointer + bytes);
    return pointer;
  }

  free(pointer: number): void {
    this.module._free(pointer);
  }

  bytes(data: Uint8Array): number {
    const pointer = this.alloc(data.length);
    this.module.HEAPU8.set(data, pointer);
    return pointer;
  }

  string(text: string): number {
    return this.bytes(new TextEncoder().encode(`${text}\0`));
  }

  cString(pointer: number): string {
    const heap = this.module.HEAPU8;
    let end = pointer;
    while (end < heap.length && heap[end] !== 0) end++;
    return new TextDecoder().decode(heap.subarray(pointer, end));
  }

  u32(pointer: number): number {
    return this.module.HEAPU32[pointer >>> 2] as number;
  }

  i16(pointer: number): number {
    return this.module.HEAP16[pointer >>> 1] as number;
  }

  int16Copy(pointer: number, bytes: number): Int16Array {
    return this.module.HEAP16.slice(pointer >>> 1, (pointer >>> 1) + (bytes >>> 1));
  }
}
