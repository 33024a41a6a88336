import decodeWavBytes from '@audio/decode-wav';
import audioDecode from '@audio/decode';
import audioType from 'audio-type';
import { AudioDecodeError, KwsError } from '../errors/index.js';
import { downmixToMono, validateAndClamp } from './channels.js';
import { rmsDbfs } from './level.js';
import { resampleMono } from './resample.js';
import { inspectWav } from './wav-header.js';
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

const DEFAULTS = { maxDurationMs: 10_000, maxInputBytes: 50 * 1024 * 1024, targetSampleRateHz: MODEL_SAMPLE_RATE_HZ } as const;

/** Bytes from the start of the file given to the container sniffer. */
const SNIFF_BYTES = 256 * 1024;

/** Encoded bytes fed to a streaming codec per call, so that a decompression bomb stops early. */
const CHUNK_BYTES = 64 * 1024;

/** `audio-type` names of the compressed formats we decode, with our container and codec names. */
const COMPRESSED: Readonly<Record<string, { container: AudioContainer; codec: string; decoder: 'flac' | 'mp3' | 'oga' | 'opus' | 'webm' }>> = {
  flac: { container: 'flac', codec: 'flac', decoder: 'flac' },
  mp3: { container: 'mp3', codec: 'mp3', decoder: 'mp3' },
  oga: { container: 'ogg', codec: 'vorbis', decoder: 'oga' },
  opus: { container: 'ogg', codec: 'opus', decoder: 'opus' },
  webm: { container: 'webm', codec: 'opus', decoder: 'webm' },
};

function resolveOptions(options: DecodeOptions): Required<DecodeOptions> {
  const merged = { ...DEFAULTS, ...options };
  for (const [name, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new KwsError('INVALID_ARGUMENT', `decodeAudio option ${name} must be a positive number, got ${String(value)}`);
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
export async function decodeAudio(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const opts = resolveOptions(options);
  if (bytes.length === 0) throw new AudioDecodeError('EMPTY', 'the file is empty (0 bytes)');
  if (bytes.length > opts.maxInputBytes) {
    throw new AudioDecodeError('TOO_LARGE', `the file is ${bytes.length} bytes, over the ${opts.maxInputBytes}-byte limit`);
  }
  const decoded = isRiffWave(bytes) ? decodeWav(bytes, opts.maxDurationMs) : await decodeCompressed(bytes, opts.maxDurationMs);
  const clampedSource = validateAndClamp(decoded.mono);
  const samples = await resampleMono(decoded.mono, decoded.sourceSampleRateHz, opts.targetSampleRateHz);
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
  readonly mono: Float32Array;
  readonly container: AudioContainer;
  readonly codec: string;
  readonly sourceSampleRateHz: number;
  readonly channels: number;
}

function isRiffWave(bytes: Uint8Array): boolean {
  // "RIFF" at 0. A file that starts RIFF but is cut before "WAVE" is still treated as WAV (and so TRUNCATED).
  if (bytes.length < 4 || bytes[0] !== 0x52 || bytes[1] !== 0x49 || bytes[2] !== 0x46 || bytes[3] !== 0x46) return false;
  return bytes.length < 12 || (bytes[8] === 0x57 && bytes[9] === 0x41 && bytes[10] === 0x56 && bytes[11] === 0x45);
}

function checkDuration(frames: number, sampleRateHz: number, maxDurationMs: number): void {
  const durationMs = (frames * 1000) / sampleRateHz;
  if (durationMs > maxDurationMs) {
    throw new AudioDecodeError('TOO_LONG', `the audio lasts ${(durationMs / 1000).toFixed(2)} s, over the ${(maxDurationMs / 1000).toFixed(2)} s limit`);
  }
}

function decodeWav(bytes: Uint8Array, maxDurationMs: number): SourceSignal {
  const layout = inspectWav(bytes);
  checkDuration(layout.frames, layout.sampleRateHz, maxDurationMs);
  let result;
  try {
    result = decodeWavBytes(layout.libraryWalkable ? bytes : canonicalWav(bytes, layout));
  } catch (error) {
    throw new AudioDecodeError('DECODE_FAILED', `the WAV decoder rejected the ${layout.codec} data: ${(error as Error).message}`, { cause: error });
  }
  const mono = downmixToMono(result.channelData);
  if (mono.length === 0) throw new AudioDecodeError('EMPTY', `the WAV ${layout.codec} data decoded to no samples`);
  return { mono, container: 'wav', codec: layout.codec, sourceSampleRateHz: layout.sampleRateHz, channels: layout.channels };
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

async function decodeCompressed(bytes: Uint8Array, maxDurationMs: number): Promise<SourceSignal> {
  // audio-type reads `bytes.buffer` from offset 0, so hand it a head that owns its own buffer
  // (a Node Buffer is often a view into a shared pool). 256 KiB covers large ID3v2 tags.
  const type = audioType(new Uint8Array(bytes.subarray(0, SNIFF_BYTES)));
  if (type === undefined) {
    throw new AudioDecodeError('NOT_AUDIO', 'the bytes are not a recognised audio format (expected WAV, FLAC, MP3, Ogg Vorbis/Opus or WebM Opus)');
  }
  const format = COMPRESSED[type];
  if (format === undefined) {
    throw new AudioDecodeError('UNSUPPORTED_FORMAT', `${type.toUpperCase()} audio is not supported; send WAV, FLAC, MP3, Ogg Vorbis/Opus or WebM Opus`);
  }
  const decoder = await audioDecode[format.decoder]();
  const parts: Float32Array[][] = [];
  let frames = 0;
  let sampleRateHz = 0;
  try {
    for (let offset = 0; offset <= bytes.length; offset += CHUNK_BYTES) {
      const last = offset + CHUNK_BYTES >= bytes.length;
      const piece = await decoder(bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_BYTES)));
      const pieces = last ? [piece, await decoder()] : [piece];
      for (const { channelData, sampleRate } of pieces) {
        if (channelData.length === 0 || (channelData[0]?.length ?? 0) === 0) continue;
        sampleRateHz = sampleRate;
        frames += channelData[0]?.length ?? 0;
        parts.push(channelData.map((c) => c.slice()));
        checkDuration(frames, sampleRateHz, maxDurationMs);
      }
      if (last) break;
    }
  } catch (error) {
    decoder.free();
    if (error instanceof AudioDecodeError) throw error;
    throw new AudioDecodeError('DECODE_FAILED', `the ${format.codec} decoder rejected the stream: ${(error as Error).message}`, { cause: error });
  }
  if (frames === 0 || sampleRateHz === 0) {
    throw new AudioDecodeError('DECODE_FAILED', `no audio frames could be decoded from the ${type.toUpperCase()} stream (corrupt or truncated)`);
  }
  const channels = Math.max(...parts.map((p) => p.length));
  const mono = downmixToMono(concatChannels(parts, channels, frames));
  return { mono, container: format.container, codec: format.codec, sourceSampleRateHz: sampleRateHz, channels };
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
