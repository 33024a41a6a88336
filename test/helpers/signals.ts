// Test signal and WAV builders. WAV encodings come from the `wavefile` library; odd layouts
// (extra chunks, pad bytes, streaming sizes, WAVE_FORMAT_EXTENSIBLE) are assembled here by hand.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import wavefile from 'wavefile';

const { WaveFile } = wavefile;

/** A sine of `amplitude` (peak, full scale 1) at `frequencyHz`, `[seconds · sampleRateHz]`. */
export function sine(frequencyHz: number, sampleRateHz: number, seconds: number, amplitude = 0.5): Float64Array {
  const length = Math.round(seconds * sampleRateHz);
  return Float64Array.from({ length }, (_, n) => amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / sampleRateHz));
}

/** Root mean square of a signal. */
export function rms(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / samples.length);
}

/** WAV encodings the tests write. */
export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64' | 'alaw' | 'mulaw' | 'ima-adpcm';

/**
 * Encodes float samples in [-1, 1] as a standard 44/46-byte-header WAV with `wavefile`.
 * Multi-channel input is `channels` arrays. IMA ADPCM needs mono 8 kHz (a wavefile restriction).
 */
export function encodeWav(channels: Float64Array[], sampleRateHz: number, encoding: WavEncoding): Uint8Array {
  const wav = new WaveFile();
  const toInt16 = (x: Float64Array): Int16Array =>
    Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  switch (encoding) {
    case 'float32':
    case 'float64':
      wav.fromScratch(
        channels.length,
        sampleRateHz,
        encoding === 'float32' ? '32f' : '64',
        channels.length === 1 ? channels[0]! : channels,
      );
      break;
    case 'pcm24':
    case 'pcm32': {
      const bits = encoding === 'pcm24' ? 24 : 32;
      const scale = 2 ** (bits - 1) - 1;
      const ints = channels.map((x) => Array.from(x, (v) => Math.round(v * scale)));
      wav.fromScratch(channels.length, sampleRateHz, String(bits), channels.length === 1 ? ints[0]! : ints);
      break;
    }
    default: {
      const ints = channels.map(toInt16);
      wav.fromScratch(channels.length, sampleRateHz, '16', channels.length === 1 ? ints[0]! : ints);
      if (encoding === 'pcm8') wav.toBitDepth('8');
      if (encoding === 'alaw') wav.toALaw();
      if (encoding === 'mulaw') wav.toMuLaw();
      if (encoding === 'ima-adpcm') wav.toIMAADPCM();
    }
  }
  return wav.toBuffer();
}

/** A RIFF chunk: 4-character id and body (a pad byte is added when the body is odd-sized). */
export interface Chunk {
  readonly id: string;
  readonly body: Uint8Array;
}

/** Splits a standard WAV (as `encodeWav` writes) into its fmt body and data body. */
export function splitWav(bytes: Uint8Array): { fmt: Uint8Array; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let fmt: Uint8Array | undefined;
  while (offset + 8 <= bytes.length) {
    const id = Buffer.from(bytes.subarray(offset, offset + 4)).toString('latin1');
    const size = view.getUint32(offset + 4, true);
    const body = bytes.subarray(offset + 8, offset + 8 + size);
    if (id === 'fmt ') fmt = body;
    if (id === 'data' && fmt !== undefined) return { fmt, data: body };
    offset += 8 + size + (size % 2);
  }
  throw new Error('not a WAV with fmt and data');
}

/** Options for {@link buildWav}. */
export interface BuildWavOptions {
  readonly fmt: Uint8Array;
  readonly data: Uint8Array;
  readonly before?: readonly Chunk[];
  readonly after?: readonly Chunk[];
  /** Value written as the data chunk's size instead of its real size (e.g. 0 or 0xFFFFFFFF). */
  readonly dataSizeField?: number;
}

/** Assembles `RIFF/WAVE` + chunks before + fmt + data + chunks after. */
export function buildWav(options: BuildWavOptions): Uint8Array {
  const chunk = (id: string, body: Uint8Array, sizeField = body.length): Buffer => {
    const header = Buffer.alloc(8);
    header.write(id, 0, 'latin1');
    header.writeUInt32LE(sizeField, 4);
    return Buffer.concat([header, Buffer.from(body), Buffer.alloc(body.length % 2)]);
  };
  const parts = [
    ...(options.before ?? []).map((c) => chunk(c.id, c.body)),
    chunk('fmt ', options.fmt),
    chunk('data', options.data, options.dataSizeField),
    ...(options.after ?? []).map((c) => chunk(c.id, c.body)),
  ];
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(4 + body.length, 4);
  header.write('WAVE', 8, 'latin1');
  return new Uint8Array(Buffer.concat([header, body]));
}

/** A 40-byte WAVE_FORMAT_EXTENSIBLE fmt body wrapping the standard fmt body `fmt` (tag 1 or 3). */
export function extensibleFmt(fmt: Uint8Array): Uint8Array {
  const out = Buffer.alloc(40);
  Buffer.from(fmt.subarray(0, 16)).copy(out, 0);
  const tag = out.readUInt16LE(0);
  out.writeUInt16LE(0xfffe, 0);
  out.writeUInt16LE(22, 16); // cbSize
  out.writeUInt16LE(out.readUInt16LE(14), 18); // wValidBitsPerSample
  out.writeUInt32LE(out.readUInt16LE(2) === 1 ? 0x4 : 0x3, 20); // channel mask: FC, or FL|FR
  // SubFormat GUID: {0000xxxx-0000-0010-8000-00aa00389b71} with xxxx the format tag.
  Buffer.from([tag & 0xff, tag >> 8, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(out, 24);
  return out;
}

/** Folder of the real Speech Commands recordings (`../shared/data/real`, or `KWS_REAL_DATA_DIR`). */
export function realDataDir(): string {
  const dir = process.env['KWS_REAL_DATA_DIR'] ?? resolve(import.meta.dirname, '../../../shared/data/real');
  if (!existsSync(dir)) throw new Error(`real recordings not found at ${dir}; set KWS_REAL_DATA_DIR`);
  return dir;
}

/** Path of a file in test/fixtures. */
export function fixture(name: string): string {
  return resolve(import.meta.dirname, '../fixtures', name);
}

const madeDirs: string[] = [];
process.on('exit', () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the OS temp folder, removed when the test process exits (pass or fail). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}
