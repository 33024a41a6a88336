import { AudioDecodeError } from '../errors/index.js';

/** WAVE format tags we decode (Microsoft RIFF spec, mmreg.h). 0xFFFE resolves to its SubFormat. */
const FORMAT_TAG_PCM = 0x0001;
const FORMAT_TAG_MS_ADPCM = 0x0002;
const FORMAT_TAG_FLOAT = 0x0003;
const FORMAT_TAG_ALAW = 0x0006;
const FORMAT_TAG_MULAW = 0x0007;
const FORMAT_TAG_IMA_ADPCM = 0x0011;
const FORMAT_TAG_EXTENSIBLE = 0xfffe;

/** Placeholder data sizes written by streaming recorders that never seek back: read to end of file. */
const STREAMING_SIZES = new Set([0, 0xffffffff]);

/** Highest sample rate accepted, Hz (192 kHz, the highest the libsamplerate build used here converts from). */
export const MAX_SOURCE_SAMPLE_RATE_HZ = 192_000;
/** Lowest sample rate accepted, Hz (telephony-grade 8 kHz, with margin). */
export const MIN_SOURCE_SAMPLE_RATE_HZ = 4_000;
/** Most channels accepted (7.1.4 layouts have 12; beyond this is not a recording). */
export const MAX_CHANNELS = 32;

/** What the RIFF/WAVE header of a file declares, after validation. */
export interface WavLayout {
  /** Codec name in ffmpeg's vocabulary, e.g. `pcm_s16le`, `pcm_f32le`, `pcm_alaw`, `adpcm_ima_wav`. */
  readonly codec: string;
  /** Effective format tag (the SubFormat's for WAVE_FORMAT_EXTENSIBLE). */
  readonly formatTag: number;
  /** True when the fmt chunk was WAVE_FORMAT_EXTENSIBLE. */
  readonly extensible: boolean;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly bitsPerSample: number;
  /** Bytes per sample frame (all channels), or per ADPCM block. */
  readonly blockAlign: number;
  /** Sample frames the data chunk holds, per channel. */
  readonly frames: number;
  /** Byte offset of the fmt chunk's header (`fmt ` tag). */
  readonly fmtOffset: number;
  /** Size of the fmt chunk's body, bytes. */
  readonly fmtSize: number;
  /** Byte offset of the first audio byte. */
  readonly dataOffset: number;
  /** Audio bytes to decode (a streaming size placeholder is resolved to the bytes present). */
  readonly dataBytes: number;
  /** True when the layout is one the codec library walks correctly on its own (no odd chunk before `data`). */
  readonly libraryWalkable: boolean;
}

const latin1 = new TextDecoder('latin1');

function fourcc(bytes: Uint8Array, offset: number): string {
  return latin1.decode(bytes.subarray(offset, offset + 4));
}

/**
 * Walks the RIFF chunks of a WAVE file and validates its `fmt ` and `data` chunks, following the
 * Microsoft RIFF/WAVE specification: every chunk is `[4-byte id][u32le size][body]` plus one pad
 * byte when `size` is odd; unknown chunks (LIST, fact, JUNK, bext, id3 ...) are skipped wherever they
 * sit; a data size of 0 or 0xFFFFFFFF (streaming writers) means "to the end of the file".
 *
 * @param bytes The whole file.
 * @returns The declared layout; the audio itself is not decoded.
 * @throws AudioDecodeError `TRUNCATED` when the file ends inside a header or before the declared data
 *   ends, `UNSUPPORTED_FORMAT` for an unknown codec, bit depth, channel count or sample rate,
 *   `MALFORMED` for inconsistent fields, `EMPTY` when the data chunk holds no sample frame.
 */
export function inspectWav(bytes: Uint8Array): WavLayout {
  if (bytes.length < 12) {
    throw new AudioDecodeError('TRUNCATED', `WAV file is ${bytes.length} bytes, shorter than the 12-byte RIFF header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmtOffset = -1;
  let fmtSize = 0;
  let oddChunkBeforeData = false;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = fourcc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      fmtOffset = offset;
      fmtSize = size;
      if (size < 16)
        throw new AudioDecodeError('MALFORMED', `WAV fmt chunk declares ${size} bytes; it needs at least 16`);
      if (offset + 8 + Math.min(size, 40) > bytes.length) {
        throw new AudioDecodeError(
          'TRUNCATED',
          `WAV fmt chunk is cut short: it declares ${size} bytes and ${bytes.length - offset - 8} are present`,
        );
      }
    } else if (id === 'data') {
      if (fmtOffset < 0) {
        throw new AudioDecodeError('MALFORMED', 'WAV data chunk comes before any fmt chunk, so its format is unknown');
      }
      return describe(bytes, view, fmtOffset, fmtSize, offset + 8, size, !oddChunkBeforeData);
    }
    if (size % 2 === 1) oddChunkBeforeData = true;
    offset += 8 + size + (size % 2);
  }
  if (fmtOffset < 0) {
    throw new AudioDecodeError('TRUNCATED', `WAV file ends after ${bytes.length} bytes without a fmt chunk`);
  }
  throw new AudioDecodeError('TRUNCATED', `WAV file ends after ${bytes.length} bytes without a data chunk`);
}

function describe(
  bytes: Uint8Array,
  view: DataView,
  fmtOffset: number,
  fmtSize: number,
  dataOffset: number,
  declaredDataBytes: number,
  libraryWalkable: boolean,
): WavLayout {
  const body = fmtOffset + 8;
  let formatTag = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRateHz = view.getUint32(body + 4, true);
  const blockAlign = view.getUint16(body + 12, true);
  const bitsPerSample = view.getUint16(body + 14, true);
  const extensible = formatTag === FORMAT_TAG_EXTENSIBLE;
  if (extensible) {
    if (fmtSize < 40) {
      throw new AudioDecodeError(
        'MALFORMED',
        `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${fmtSize} bytes; it must be 40 to hold the SubFormat GUID`,
      );
    }
    formatTag = view.getUint16(body + 24, true);
  }
  if (channels < 1 || channels > MAX_CHANNELS) {
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `WAV declares ${channels} channels; 1 to ${MAX_CHANNELS} are supported`,
    );
  }
  if (sampleRateHz < MIN_SOURCE_SAMPLE_RATE_HZ || sampleRateHz > MAX_SOURCE_SAMPLE_RATE_HZ) {
    throw new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `WAV declares a sample rate of ${sampleRateHz} Hz; ${MIN_SOURCE_SAMPLE_RATE_HZ} to ${MAX_SOURCE_SAMPLE_RATE_HZ} Hz are supported`,
    );
  }
  if (blockAlign === 0) {
    throw new AudioDecodeError('MALFORMED', 'WAV fmt chunk declares a block alignment of 0 bytes');
  }
  const codec = codecName(formatTag, bitsPerSample);
  const available = bytes.length - dataOffset;
  let dataBytes = declaredDataBytes;
  if (declaredDataBytes === 0 && onlyChunksFollow(bytes, dataOffset)) {
    dataBytes = 0; // a genuinely empty data chunk followed by LIST/id3 chunks, not a streaming header
  } else if (STREAMING_SIZES.has(declaredDataBytes)) {
    dataBytes = available;
  } else if (declaredDataBytes > available) {
    throw new AudioDecodeError(
      'TRUNCATED',
      `WAV data chunk declares ${declaredDataBytes} bytes but the file holds only ${available} after its header`,
    );
  }
  if (formatTag === FORMAT_TAG_IMA_ADPCM || formatTag === FORMAT_TAG_MS_ADPCM)
    checkAdpcm(formatTag, channels, blockAlign, view, body, fmtSize);
  const frames = countFrames(formatTag, dataBytes, blockAlign, view, body);
  if (frames === 0) {
    throw new AudioDecodeError('EMPTY', `WAV data chunk holds ${dataBytes} bytes: not one complete sample frame`);
  }
  if (isPcmLike(formatTag) && blockAlign !== (channels * bitsPerSample) / 8) {
    throw new AudioDecodeError(
      'MALFORMED',
      `WAV block alignment is ${blockAlign} bytes, but ${channels} channels of ${bitsPerSample} bits need ${(channels * bitsPerSample) / 8}`,
    );
  }
  return {
    codec,
    formatTag,
    extensible,
    channels,
    sampleRateHz,
    bitsPerSample,
    blockAlign,
    frames,
    fmtOffset,
    fmtSize,
    dataOffset,
    dataBytes,
    libraryWalkable,
  };
}

function isPcmLike(formatTag: number): boolean {
  return (
    formatTag === FORMAT_TAG_PCM ||
    formatTag === FORMAT_TAG_FLOAT ||
    formatTag === FORMAT_TAG_ALAW ||
    formatTag === FORMAT_TAG_MULAW
  );
}

function codecName(formatTag: number, bits: number): string {
  const unsupported = (what: string): AudioDecodeError =>
    new AudioDecodeError(
      'UNSUPPORTED_FORMAT',
      `WAV ${what} is not supported; supported: PCM 8/16/24/32-bit, float 32/64-bit, A-law, mu-law, IMA and MS ADPCM`,
    );
  switch (formatTag) {
    case FORMAT_TAG_PCM:
      if (bits === 8) return 'pcm_u8';
      if (bits === 16 || bits === 24 || bits === 32) return `pcm_s${bits}le`;
      throw unsupported(`PCM at ${bits} bits per sample`);
    case FORMAT_TAG_FLOAT:
      if (bits === 32 || bits === 64) return `pcm_f${bits}le`;
      throw unsupported(`IEEE float at ${bits} bits per sample`);
    case FORMAT_TAG_ALAW:
      if (bits === 8) return 'pcm_alaw';
      throw unsupported(`A-law at ${bits} bits per sample`);
    case FORMAT_TAG_MULAW:
      if (bits === 8) return 'pcm_mulaw';
      throw unsupported(`mu-law at ${bits} bits per sample`);
    case FORMAT_TAG_IMA_ADPCM:
      if (bits === 4) return 'adpcm_ima_wav';
      throw unsupported(`IMA ADPCM at ${bits} bits per sample`);
    case FORMAT_TAG_MS_ADPCM:
      if (bits === 4) return 'adpcm_ms';
      throw unsupported(`MS ADPCM at ${bits} bits per sample`);
    default:
      throw unsupported(`format tag 0x${formatTag.toString(16).padStart(4, '0')}`);
  }
}

/** Samples per channel in one ADPCM block of `blockAlign` bytes (IMA: 4-byte header per channel holding one sample; MS: 7-byte header holding two). */
function adpcmSamplesPerBlock(formatTag: number, channels: number, blockAlign: number): number {
  return formatTag === FORMAT_TAG_IMA_ADPCM
    ? ((blockAlign - 4 * channels) * 2) / channels + 1
    : ((blockAlign - 7 * channels) * 2) / channels + 2;
}

/**
 * Checks an ADPCM fmt chunk: it must hold cbSize and wSamplesPerBlock (20 bytes), the block must be
 * larger than its per-channel headers, and the declared samples per block must fit in the block, so
 * that the sample count (and so the duration limit) is known before decoding.
 */
function checkAdpcm(
  formatTag: number,
  channels: number,
  blockAlign: number,
  view: DataView,
  fmtBody: number,
  fmtSize: number,
): void {
  const name = formatTag === FORMAT_TAG_IMA_ADPCM ? 'IMA ADPCM' : 'MS ADPCM';
  if (fmtSize < 20)
    throw new AudioDecodeError(
      'MALFORMED',
      `${name} fmt chunk is ${fmtSize} bytes; it must be at least 20 to hold samples per block`,
    );
  const header = (formatTag === FORMAT_TAG_IMA_ADPCM ? 4 : 7) * channels;
  if (blockAlign <= header)
    throw new AudioDecodeError(
      'MALFORMED',
      `${name} block alignment is ${blockAlign} bytes, no more than its ${header}-byte channel headers`,
    );
  if (formatTag === FORMAT_TAG_MS_ADPCM) {
    const coefficients = fmtSize >= 22 ? view.getUint16(fmtBody + 20, true) : 0;
    if (fmtSize < 22 + 4 * coefficients) {
      throw new AudioDecodeError(
        'MALFORMED',
        `MS ADPCM fmt chunk declares ${coefficients} coefficient pairs, which need ${22 + 4 * coefficients} bytes, but it is ${fmtSize}`,
      );
    }
  }
  const declared = view.getUint16(fmtBody + 18, true);
  const capacity = Math.floor(adpcmSamplesPerBlock(formatTag, channels, blockAlign));
  if (declared === 0 || declared > capacity) {
    throw new AudioDecodeError(
      'MALFORMED',
      `${name} declares ${declared} samples per block, but a ${blockAlign}-byte block holds at most ${capacity}`,
    );
  }
}

function countFrames(
  formatTag: number,
  dataBytes: number,
  blockAlign: number,
  view: DataView,
  fmtBody: number,
): number {
  const blocks = Math.floor(dataBytes / blockAlign);
  if (formatTag !== FORMAT_TAG_IMA_ADPCM && formatTag !== FORMAT_TAG_MS_ADPCM) return blocks;
  return blocks * view.getUint16(fmtBody + 18, true);
}

/** True when the bytes from `offset` to the end parse exactly as RIFF chunks (printable ids, sizes that fit). */
function onlyChunksFollow(bytes: Uint8Array, offset: number): boolean {
  if (offset >= bytes.length) return true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = offset;
  while (at + 8 <= bytes.length) {
    for (let i = 0; i < 4; i++) {
      const c = bytes[at + i] as number;
      if (c < 0x20 || c > 0x7e) return false;
    }
    const size = view.getUint32(at + 4, true);
    at += 8 + size + (size % 2);
  }
  // The last chunk may end the file without its pad byte.
  return at === bytes.length || at === bytes.length + 1;
}
