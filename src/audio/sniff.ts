import audioType, { skipId3 } from 'audio-type';

/** What the first bytes of a compressed file say about it, before any decoding. */
export interface ContainerSniff {
  /** `audio-type`'s name: `flac`, `mp3`, `oga`, `opus`, `webm`, `aiff`, ..., or `undefined`. */
  readonly type: string | undefined;
  /** Codec named by the container header, when it names one (`vorbis`, `opus`, `speex`, `mp2`, ...). */
  readonly codec?: string;
  /** Sample rate declared by the header, Hz. */
  readonly sampleRateHz?: number;
  /** Channels declared by the header. */
  readonly channels?: number;
  /** Total frames per channel declared by the header (FLAC STREAMINFO), when known. */
  readonly totalFrames?: number;
  /** False when the header is malformed or, for MP3, no MPEG frame sync is found. */
  readonly valid: boolean;
}

/** Bytes after an ID3v2 tag searched for the first MPEG frame. */
const MPEG_SEARCH_BYTES = 64 * 1024;
const latin1 = new TextDecoder('latin1');

/**
 * Identifies a compressed container from its head. `audio-type` does the magic-number match; then the
 * container's own header is read: FLAC STREAMINFO (rate, channels, total samples; FLAC format spec,
 * "METADATA_BLOCK_STREAMINFO"), the first Ogg packet's codec id (RFC 3533, RFC 7845, Vorbis I spec),
 * the WebM CodecID (`A_OPUS` / `A_VORBIS`), and the first MPEG audio frame header (ISO/IEC 11172-3:
 * layer and channel mode).
 *
 * @param bytes The whole file (only its head is read).
 */
export function sniffContainer(bytes: Uint8Array): ContainerSniff {
  // audio-type reads `bytes.buffer` from offset 0, so it gets a head that owns its buffer; the head
  // covers any ID3v2 tag (which can hold cover art) plus 64 KiB.
  const id3 = skipId3(bytes.subarray(0, 10));
  const head = new Uint8Array(bytes.subarray(0, id3 + MPEG_SEARCH_BYTES));
  const type = audioType(head);
  switch (type) {
    case 'flac':
      return sniffFlac(bytes, id3);
    case 'mp3':
      return sniffMpeg(bytes, id3);
    case 'oga':
    case 'opus':
      return sniffOgg(bytes, type);
    case 'webm': {
      const text = latin1.decode(head.subarray(0, 4096));
      return {
        type,
        codec: text.includes('A_VORBIS') ? 'vorbis' : text.includes('A_OPUS') ? 'opus' : 'unknown',
        valid: true,
      };
    }
    default:
      return { type, valid: type !== undefined };
  }
}

function sniffFlac(bytes: Uint8Array, offset: number): ContainerSniff {
  // "fLaC", a 4-byte metadata block header (type 0 = STREAMINFO, length 34), then STREAMINFO.
  // Ogg FLAC (also reported as `flac`) has no bare STREAMINFO here: decode it without header figures.
  if (latin1.decode(bytes.subarray(offset, offset + 4)) !== 'fLaC') return { type: 'flac', codec: 'flac', valid: true };
  const at = offset + 8;
  if (bytes.length < at + 18 || ((bytes[offset + 4] as number) & 0x7f) !== 0)
    return { type: 'flac', codec: 'flac', valid: false };
  const b = (i: number): number => bytes[at + i] as number;
  const sampleRateHz = (b(10) << 12) | (b(11) << 4) | (b(12) >> 4);
  const channels = ((b(12) >> 1) & 0x07) + 1;
  const totalFrames = (b(13) & 0x0f) * 2 ** 32 + ((b(14) << 24) >>> 0) + (b(15) << 16) + (b(16) << 8) + b(17);
  return { type: 'flac', codec: 'flac', sampleRateHz, channels, totalFrames, valid: sampleRateHz > 0 };
}

const MPEG_SAMPLE_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44_100, 48_000, 32_000], // MPEG-1
  2: [22_050, 24_000, 16_000], // MPEG-2
  0: [11_025, 12_000, 8_000], // MPEG-2.5
};

function sniffMpeg(bytes: Uint8Array, id3: number): ContainerSniff {
  const end = Math.min(bytes.length - 4, id3 + MPEG_SEARCH_BYTES);
  for (let i = id3; i < end; i++) {
    if (bytes[i] !== 0xff || ((bytes[i + 1] as number) & 0xe0) !== 0xe0) continue;
    const b1 = bytes[i + 1] as number;
    const b2 = bytes[i + 2] as number;
    const b3 = bytes[i + 3] as number;
    const version = (b1 >> 3) & 0x03;
    const layer = (b1 >> 1) & 0x03;
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 0x03;
    const rates = MPEG_SAMPLE_RATES[version];
    if (rates === undefined || layer === 0 || bitrateIndex === 0x0f || bitrateIndex === 0 || rateIndex === 3) continue;
    return {
      type: 'mp3',
      codec: layer === 1 ? 'mp3' : layer === 2 ? 'mp2' : 'mp1',
      sampleRateHz: rates[rateIndex],
      channels: b3 >> 6 === 3 ? 1 : 2,
      valid: true,
    };
  }
  return { type: 'mp3', valid: false };
}

function sniffOgg(bytes: Uint8Array, type: string): ContainerSniff {
  // Page header is 27 bytes plus a segment table of bytes[26] entries; the first packet follows.
  const start = 27 + (bytes[26] ?? 0);
  const packet = latin1.decode(bytes.subarray(start, start + 8));
  if (packet.startsWith('OpusHead')) return { type: 'opus', codec: 'opus', channels: bytes[start + 9], valid: true };
  if (packet.startsWith('\x01vorbis')) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ok = bytes.length >= start + 16;
    return {
      type: 'oga',
      codec: 'vorbis',
      channels: ok ? bytes[start + 11] : undefined,
      sampleRateHz: ok ? view.getUint32(start + 12, true) : undefined,
      valid: ok,
    };
  }
  if (packet.startsWith('\x7fFLAC')) return { type: 'flac', codec: 'flac', valid: true };
  const name = packet.startsWith('Speex') ? 'speex' : packet.replace(/[^\x20-\x7e]/g, '').trim() || 'unknown';
  return { type, codec: name, valid: true };
}
