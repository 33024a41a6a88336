import decodeWavBytes from '@audio/decode-wav';
import audioDecode from '@audio/decode';
import { AudioDecodeError, KwsError } from '../errors/index.js';
import { downmixToMono, validateAndClamp } from './channels.js';
import { rmsDbfs } from './level.js';
import { resampleMono } from './resample.js';
import { sniffContainer } from './sniff.js';
import { inspectWav, MAX_CHANNELS, MAX_SOURCE_SAMPLE_RATE_HZ, MIN_SOURCE_SAMPLE_RATE_HZ } from './wav-header.js';
import type { WavLayout } from './wav-header.js';

/** Sample rate every model sees, Hz (Speech Commands is recorded at 16 kHz). */
export const MODEL_SAMPLE_RATE_HZ = 16_000;

/** Containers {@link decodeAudio} accepts. */
export type AudioContainer = 'wav' | 'flac' | 'mp3' | 'ogg' | 'webm';

/** Options for {@link decodeAudio}. */
export interface DecodeOptions {
  /** Longest audio accepted, ms of source audio. Default 10000 (10 s). */
  readonly maxDurationMs?: number;
  /** Largest input accepted, bytes. Default 50 MiB. */
  readonly maxInputBytes?: number;
  /** Output sample rate, Hz. Default {@link MODEL_SAMPLE_RATE_HZ}. */
  readonly targetSampleRateHz?: number;
}

/** What {@link decodeAudio} found in the input. */
export interface AudioInfo {
  readonly container: AudioContainer;
  /** Codec in ffmpeg's vocabulary: `pcm_s16le`, `pcm_alaw`, `adpcm_ima_wav`, `flac`, `mp3`, `vorbis`, `opus`. */
  readonly codec: string;
  /** Sample rate of the source, Hz. */
  readonly sourceSampleRateHz: number;
  /** Channels in the source (before the downmix to mono). */
  readonly channels: number;
  /** Duration of the decoded mono signal at the target rate, ms (before any padding or cropping). */
  readonly durationMs: number;
  /** RMS level of the decoded mono signal, dBFS (see `rmsDbfs`). */
  readonly rmsDbfs: number;
  /** Samples clamped to ±1 (float sources above full scale, resampler overshoot). */
  readonly clampedSamples: number;
}

/** The decoded signal and what was found. */
export interface DecodedAudio {
  /** Mono samples in [-1, 1] at {@link DecodedAudio.sampleRateHz}, `[frames]`. */
  readonly samples: Float32Array;
  readonly sampleRateHz: number;
  readonly info: AudioInfo;
}

/** Largest file `decodeAudio` accepts by default, bytes (50 MiB). */
export const DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024;

const DEFAULTS = {
  maxDurationMs: 10_000,
  maxInputBytes: DEFAULT_MAX_INPUT_BYTES,
  targetSampleRateHz: MODEL_SAMPLE_RATE_HZ,
} as const;

/**
 * Encoded bytes fed to a streaming codec per call. Small, so that a decompression bomb (a FLAC of
 * silence in 64k-sample frames packs minutes of audio into a few KiB) stops at the duration limit
 * after at most a few seconds' worth of excess.
 */
const CHUNK_BYTES = 2 * 1024;

/** `audio-type` names of the compressed formats we decode, with our container name and decoder. */
const COMPRESSED: Readonly<
  Record<
    string,
    { container: AudioContainer; decoder: 'flac' | 'mp3' | 'oga' | 'opus' | 'webm'; codecs: readonly string[] }
  >
> = {
  flac: { container: 'flac', decoder: 'flac', codecs: ['flac'] },
  mp3: { container: 'mp3', decoder: 'mp3', codecs: ['mp3', 'mp2', 'mp1'] },
  oga: { container: 'ogg', decoder: 'oga', codecs: ['vorbis'] },
  opus: { container: 'ogg', decoder: 'opus', codecs: ['opus'] },
  webm: { container: 'webm', decoder: 'webm', codecs: ['opus', 'vorbis'] },
};

/** Writes of the WebAssembly MPEG decoder to the console on corrupt frames ("mpg123-decoder: -1 MPG123_ERR"). */
const CODEC_CHATTER = /^mpg123-decoder:/;
let consoleFiltered = false;

/**
 * Drops the codec libraries' own console chatter about corrupt frames (the error reaches the caller
 * as an AudioDecodeError instead); every other console line passes through unchanged.
 */
function filterCodecChatter(): void {
  if (consoleFiltered) return;
  consoleFiltered = true;
  for (const method of ['error', 'warn', 'log'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && CODEC_CHATTER.test(args[0])) return;
      original(...args);
    };
  }
}

function resolveOptions(options: DecodeOptions): Required<DecodeOptions> {
  const merged = { ...DEFAULTS, ...options };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new KwsError(
        'INVALID_ARGUMENT',
        `decodeAudio option ${name} must be a positive number, got ${String(value)}`,
      );
    }
  }
  return merged;
}

/**
 * Decodes an uploaded audio file into the mono signal the models consume.
 *
 * WAV (PCM 8/16/24/32-bit, float 32/64-bit, A-law, mu-law, IMA/MS ADPCM, WAVE_FORMAT_EXTENSIBLE, any
 * extra chunks, streaming sizes) is parsed by `inspectWav` and decoded by `@audio/decode-wav`;
 * FLAC, MP3, Ogg Vorbis, Ogg Opus and WebM Opus by the `@audio/decode` codec libraries, fed in 64 KiB
 * pieces so that decoding stops as soon as the maximum duration is passed. Channels are averaged to
 * mono and resampled with libsamplerate (`resampleMono`).
 *
 * @param bytes The whole file.
 * @param options Limits and target rate; see {@link DecodeOptions}.
 * @returns Mono `[frames]` in [-1, 1] at `targetSampleRateHz` and an {@link AudioInfo}.
 * @throws AudioDecodeError with code `EMPTY`, `TRUNCATED`, `NOT_AUDIO`, `UNSUPPORTED_FORMAT`,
 *   `MALFORMED`, `DECODE_FAILED`, `INVALID_SAMPLES`, `TOO_LONG` or `TOO_LARGE`.
 * @throws KwsError `INVALID_ARGUMENT` for an option that is not a positive number.
 */
export async function decodeAudio(input: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const opts = resolveOptions(options);
  // A Node Buffer's slice() is a view, not a copy; the codec libraries rely on copying slices.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length === 0) throw new AudioDecodeError('EMPTY', 'the file is empty (0 bytes)');
  if (bytes.length > opts.maxInputBytes) {
    throw new AudioDecodeError(
      'TOO_LARGE',
      `the file is ${bytes.length} bytes, over the ${opts.maxInputBytes}-byte limit`,
    );
  }
  rejectWavVariants(bytes);
  const decoded = isRiffWave(bytes)
    ? decodeWav(bytes, opts.maxDurationMs)
    : await decodeCompressed(bytes, opts.maxDurationMs);
  const clampedSource = decoded.clamped;
  let samples: Float32Array;
  try {
    samples = await resampleMono(decoded.mono, decoded.sourceSampleRateHz, opts.targetSampleRateHz);
  } catch (error) {
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `cannot resample from ${decoded.sourceSampleRateHz} Hz: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (samples.length === 0) {
    throw new AudioDecodeError(
      'EMPTY',
      `the audio holds ${decoded.mono.length} samples at ${decoded.sourceSampleRateHz} Hz, less than one at ${opts.targetSampleRateHz} Hz`,
    );
  }
  // Resampling can overshoot full scale slightly; an untouched signal was checked above.
  const clampedSamples = clampedSource + (samples === decoded.mono ? 0 : validateAndClamp(samples));
  return {
    samples,
    sampleRateHz: opts.targetSampleRateHz,
    info: {
      container: decoded.container,
      codec: decoded.codec,
      sourceSampleRateHz: decoded.sourceSampleRateHz,
      channels: decoded.channels,
      durationMs: (samples.length * 1000) / opts.targetSampleRateHz,
      rmsDbfs: rmsDbfs(samples),
      clampedSamples,
    },
  };
}

interface SourceSignal {
  /** Mono signal, validated and clamped to [-1, 1]. */
  readonly mono: Float32Array;
  /** Samples clamped to ±1 before or during the downmix. */
  readonly clamped: number;
  readonly container: AudioContainer;
  readonly codec: string;
  readonly sourceSampleRateHz: number;
  readonly channels: number;
}

function isRiffWave(bytes: Uint8Array): boolean {
  // "RIFF" at 0. A file that starts RIFF but is cut before "WAVE" is still treated as WAV (and so TRUNCATED).
  if (bytes.length < 4 || bytes[0] !== 0x52 || bytes[1] !== 0x49 || bytes[2] !== 0x46 || bytes[3] !== 0x46)
    return false;
  return bytes.length < 12 || (bytes[8] === 0x57 && bytes[9] === 0x41 && bytes[10] === 0x56 && bytes[11] === 0x45);
}

/** A duration in ms for messages: whole ms when large, else up to 4 significant digits. */
function formatMs(ms: number): string {
  return `${ms >= 1000 ? Math.round(ms) : Number(ms.toPrecision(4))} ms`;
}

function checkDuration(frames: number, sampleRateHz: number, maxDurationMs: number): void {
  const durationMs = (frames * 1000) / sampleRateHz;
  if (durationMs > maxDurationMs) {
    throw new AudioDecodeError(
      'TOO_LONG',
      `the audio lasts ${formatMs(durationMs)}, over the ${formatMs(maxDurationMs)} limit`,
    );
  }
}

function rejectWavVariants(bytes: Uint8Array): void {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  const form = String.fromCharCode(...bytes.subarray(8, 12));
  if (magic === 'RF64' || magic === 'BW64')
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `${magic} (64-bit WAV) is not supported; send a RIFF WAV under 4 GiB`,
    );
  if (magic === 'RIFX' && form === 'WAVE')
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      'RIFX (big-endian WAV) is not supported; send a little-endian RIFF WAV',
    );
}

/** Clamps each channel, then averages them: clamping first keeps a loud float downmix finite. */
function toMono(channels: readonly Float32Array[]): { mono: Float32Array; clamped: number } {
  let clamped = 0;
  if (channels.length > 1) for (const channel of channels) clamped += validateAndClamp(channel);
  const mono = downmixToMono(channels);
  if (channels.length === 1) clamped += validateAndClamp(mono);
  return { mono, clamped };
}

/**
 * For float WAVs: rejects NaN and infinite values in the raw data, so that an infinity after the
 * decoder's conversion to float32 can only be an overflow of a finite double (clamped later).
 */
function checkFloatData(bytes: Uint8Array, layout: WavLayout): void {
  if (layout.codec !== 'pcm_f32le' && layout.codec !== 'pcm_f64le') return;
  const view = new DataView(bytes.buffer, bytes.byteOffset + layout.dataOffset, layout.dataBytes);
  const width = layout.codec === 'pcm_f64le' ? 8 : 4;
  for (let at = 0, i = 0; at + width <= layout.dataBytes; at += width, i++) {
    const value = width === 8 ? view.getFloat64(at, true) : view.getFloat32(at, true);
    if (!Number.isFinite(value)) {
      throw new AudioDecodeError(
        'INVALID_SAMPLES',
        `sample ${Math.floor(i / layout.channels)} (channel ${i % layout.channels}) is ${value}; audio must hold finite values`,
      );
    }
  }
}

/** Replaces ±Infinity (float32 overflow of a finite double) with ±1 in place. */
function clampOverflow(channels: readonly Float32Array[]): void {
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) {
      const v = channel[i] as number;
      if (v === Infinity) channel[i] = 1;
      else if (v === -Infinity) channel[i] = -1;
    }
  }
}

function decodeWav(bytes: Uint8Array, maxDurationMs: number): SourceSignal {
  const layout = inspectWav(bytes);
  checkDuration(layout.frames, layout.sampleRateHz, maxDurationMs);
  checkFloatData(bytes, layout);
  let result;
  try {
    result = decodeWavBytes(layout.libraryWalkable ? bytes : canonicalWav(bytes, layout));
  } catch (error) {
    throw new AudioDecodeError(
      'DECODE_FAILED',
      `the WAV decoder rejected the ${layout.codec} data: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (layout.codec === 'pcm_f64le') clampOverflow(result.channelData);
  const { mono, clamped } = toMono(result.channelData);
  if (mono.length === 0) throw new AudioDecodeError('EMPTY', `the WAV ${layout.codec} data decoded to no samples`);
  return {
    mono,
    clamped,
    container: 'wav',
    codec: layout.codec,
    sourceSampleRateHz: layout.sampleRateHz,
    channels: layout.channels,
  };
}

/**
 * Rebuilds a WAV as `RIFF/WAVE + fmt + data` for the decoder library, which does not skip the pad
 * byte after an odd-sized chunk. Copies the data once; only used for such files.
 */
function canonicalWav(bytes: Uint8Array, layout: WavLayout): Uint8Array {
  const fmtChunk = bytes.subarray(layout.fmtOffset, layout.fmtOffset + 8 + layout.fmtSize);
  const fmtPadded = fmtChunk.length + (layout.fmtSize % 2);
  const out = new Uint8Array(12 + fmtPadded + 8 + layout.dataBytes);
  const view = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x46, 0x46], 0);
  view.setUint32(4, out.length - 8, true);
  out.set([0x57, 0x41, 0x56, 0x45], 8);
  out.set(fmtChunk, 12);
  const dataHeader = 12 + fmtPadded;
  out.set([0x64, 0x61, 0x74, 0x61], dataHeader);
  view.setUint32(dataHeader + 4, layout.dataBytes, true);
  out.set(bytes.subarray(layout.dataOffset, layout.dataOffset + layout.dataBytes), dataHeader + 8);
  return out;
}

function checkRateAndChannels(what: string, sampleRateHz: number | undefined, channels: number | undefined): void {
  if (
    sampleRateHz !== undefined &&
    (sampleRateHz < MIN_SOURCE_SAMPLE_RATE_HZ || sampleRateHz > MAX_SOURCE_SAMPLE_RATE_HZ)
  ) {
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `${what} has a sample rate of ${sampleRateHz} Hz; ${MIN_SOURCE_SAMPLE_RATE_HZ} to ${MAX_SOURCE_SAMPLE_RATE_HZ} Hz are supported`,
    );
  }
  if (channels !== undefined && (channels < 1 || channels > MAX_CHANNELS)) {
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `${what} has ${channels} channels; 1 to ${MAX_CHANNELS} are supported`,
    );
  }
}

async function decodeCompressed(bytes: Uint8Array, maxDurationMs: number): Promise<SourceSignal> {
  const sniff = sniffContainer(bytes);
  if (sniff.type === undefined) {
    throw new AudioDecodeError(
      'NOT_AUDIO',
      'the bytes are not a recognised audio format (expected WAV, FLAC, MP3, Ogg Vorbis/Opus or WebM Opus)',
    );
  }
  if (sniff.type === 'mp3' && !sniff.valid) {
    throw new AudioDecodeError(
      'NOT_AUDIO',
      'the bytes are not a recognised audio format: no MPEG audio frame found after the MP3 signature',
    );
  }
  const format = COMPRESSED[sniff.type];
  const name = sniff.type === 'oga' ? 'Ogg' : sniff.type.toUpperCase();
  if (format === undefined || (sniff.codec !== undefined && !format.codecs.includes(sniff.codec))) {
    const what =
      sniff.codec !== undefined && format !== undefined ? `${sniff.codec} audio in ${name}` : `${name} audio`;
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `${what} is not supported; send WAV, FLAC, MP3, Ogg Vorbis/Opus or WebM Opus`,
    );
  }
  if (!sniff.valid) throw new AudioDecodeError('DECODE_FAILED', `the ${name} header is malformed`);
  checkRateAndChannels(`the ${name} header`, sniff.sampleRateHz, sniff.channels);
  if (sniff.totalFrames !== undefined && sniff.totalFrames > 0 && sniff.sampleRateHz !== undefined)
    checkDuration(sniff.totalFrames, sniff.sampleRateHz, maxDurationMs);
  const codec = sniff.codec ?? format.codecs[0] ?? sniff.type;
  filterCodecChatter();
  // A FLAC whose STREAMINFO gives its length was checked above and decodes in one piece (the
  // streaming path can drop part of the last frame); anything else goes in small pieces.
  const pieceBytes = sniff.totalFrames !== undefined && sniff.totalFrames > 0 ? bytes.length : CHUNK_BYTES;
  const { parts, frames, sampleRateHz } = await decodeInPieces(bytes, format.decoder, codec, maxDurationMs, pieceBytes);
  if (frames === 0 || sampleRateHz === 0) {
    // An MPEG frame sync is only two bytes, so an "MP3" that yields nothing was most likely never audio.
    if (sniff.type === 'mp3')
      throw new AudioDecodeError(
        'NOT_AUDIO',
        'the bytes are not a recognised audio format: no MPEG audio frame could be decoded',
      );
    throw new AudioDecodeError(
      'DECODE_FAILED',
      `no audio frames could be decoded from the ${name} stream (corrupt or truncated)`,
    );
  }
  const channels = Math.max(...parts.map((p) => p.length));
  const { mono, clamped } = toMono(concatChannels(parts, channels, frames));
  // MP3 decoders collapse identical stereo channels; the frame header's channel mode is the truth.
  return {
    mono,
    clamped,
    container: format.container,
    codec,
    sourceSampleRateHz: sampleRateHz,
    channels: sniff.channels ?? channels,
  };
}

/** Feeds the stream to the codec in small pieces, checking the decoded rate, channels and duration as it goes. */
async function decodeInPieces(
  bytes: Uint8Array,
  decoderName: 'flac' | 'mp3' | 'oga' | 'opus' | 'webm',
  codec: string,
  maxDurationMs: number,
  pieceBytes: number,
): Promise<{ parts: Float32Array[][]; frames: number; sampleRateHz: number }> {
  const decoder = await audioDecode[decoderName]();
  const parts: Float32Array[][] = [];
  let frames = 0;
  let sampleRateHz = 0;
  try {
    for (let offset = 0; offset <= bytes.length; offset += pieceBytes) {
      const last = offset + pieceBytes >= bytes.length;
      const piece = await decoder(bytes.subarray(offset, Math.min(bytes.length, offset + pieceBytes)));
      const pieces = last ? [piece, await decoder()] : [piece];
      for (const { channelData, sampleRate } of pieces) {
        const length = channelData[0]?.length ?? 0;
        if (length === 0) continue;
        checkRateAndChannels(`the ${codec} stream`, sampleRate, channelData.length);
        if (sampleRateHz !== 0 && sampleRate !== sampleRateHz) {
          throw new AudioDecodeError(
            'UNSUPPORTED_FORMAT',
            `the ${codec} stream changes sample rate from ${sampleRateHz} Hz to ${sampleRate} Hz; send one rate per file`,
          );
        }
        sampleRateHz = sampleRate;
        frames += length;
        parts.push(channelData.map((c) => c.slice()));
        checkDuration(frames, sampleRateHz, maxDurationMs);
      }
      if (last) break;
    }
  } catch (error) {
    decoder.free();
    if (error instanceof AudioDecodeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/does not support this codec/i.test(message))
      throw new AudioDecodeError('UNSUPPORTED_FORMAT', `the ${codec} decoder cannot read this stream: ${message}`, {
        cause: error,
      });
    throw new AudioDecodeError('DECODE_FAILED', `the ${codec} decoder rejected the stream: ${message}`, {
      cause: error,
    });
  }
  return { parts, frames, sampleRateHz };
}

function concatChannels(parts: readonly Float32Array[][], channels: number, frames: number): Float32Array[] {
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  let offset = 0;
  for (const part of parts) {
    const length = part[0]?.length ?? 0;
    for (let c = 0; c < channels; c++) {
      const source = part[c % part.length];
      if (source !== undefined) (out[c] as Float32Array).set(source, offset);
    }
    offset += length;
  }
  return out;
}
