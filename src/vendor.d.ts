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

declare module '@echogarden/pffft-wasm/simd' {
  /** PFFFT (Julien Pommier, bitbucket.org/jpommier/pffft) compiled to WebAssembly with SIMD: the Emscripten module. */
  export interface PffftModule {
    /** The module's memory as float32 (replaced when the memory grows: read it on every use). */
    readonly HEAPF32: Float32Array;
    /** `pffft_new_setup(N, transform)`: transform 0 = real, 1 = complex; N a multiple of 32 for real. Returns 0 on failure. */
    _pffft_new_setup(size: number, transform: number): number;
    _pffft_destroy_setup(setup: number): void;
    /** 16-byte aligned allocation of `bytes`, a pointer into the memory. */
    _pffft_aligned_malloc(bytes: number): number;
    _pffft_aligned_free(pointer: number): void;
    /** Ordered transform: real forward output is [X0, X(N/2), re X1, im X1, ..., re X(N/2-1), im X(N/2-1)]; direction 0 = forward. */
    _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  }
  export default function PffftModuleFactory(options?: object): Promise<PffftModule>;
}
