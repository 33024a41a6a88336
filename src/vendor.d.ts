// Type declarations for dependencies that ship none.

declare module 'audio-type' {
  /** Detects an audio container from its first bytes (magic numbers); `undefined` when unknown. */
  export default function audioType(bytes: Uint8Array | ArrayBuffer): string | undefined;
  /** Byte offset just after a leading ID3v2 tag (header, body and footer), or 0 when there is none. */
  export function skipId3(bytes: Uint8Array): number;
}

declare module 'fft.js' {
  /** Radix-4 FFT of a power-of-two size (github.com/indutny/fft.js). Complex arrays are interleaved re/im. */
  export default class FFT {
    constructor(size: number);
    readonly size: number;
    /** A zeroed interleaved complex array of `2 * size` numbers. */
    createComplexArray(): number[];
    /** Forward transform of real `input` into interleaved `output`; only bins 0..size/2 are filled. */
    realTransform(output: ArrayLike<number> & { [index: number]: number }, input: ArrayLike<number>): void;
    /** Fills the upper half of a spectrum produced by `realTransform` by conjugate symmetry. */
    completeSpectrum(spectrum: ArrayLike<number> & { [index: number]: number }): void;
    transform(output: ArrayLike<number> & { [index: number]: number }, input: ArrayLike<number>): void;
  }
}

declare module '@echogarden/espeak-ng-emscripten' {
  /** Emscripten factory of the eSpeak NG module; see src/data/synth/espeak.ts for the binding used. */
  export default function EspeakModule(options?: object): Promise<{
    eSpeakNGWorker: new () => {
      get_samplerate(): number;
      set_voice(name: string): number;
      set_rate(wpm: number): number;
      set_pitch(pitch: number): number;
      set_range(range: number): number;
      synthesize(text: string, callback: (samples: Int16Array | null | undefined, events: unknown[]) => number): void;
    };
  }>;
}
