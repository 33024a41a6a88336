import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeAudio } from '../../src/audio/index.js';
import { Rng } from '../../src/data/index.js';
import { buildWav, encodeWav, fixture, sine, splitWav } from '../helpers/signals.js';

const TIMEOUT = { timeout: 10_000 }; // a hang fails the test instead of stalling the suite

describe('decodeAudio on bad input', () => {
  const good = encodeWav([sine(1000, 16_000, 0.5)], 16_000, 'pcm16'); // 44-byte header + 16000 data bytes

  it('rejects an empty file with EMPTY', TIMEOUT, async () => {
    await assert.rejects(decodeAudio(new Uint8Array(0)), {
      name: 'AudioDecodeError',
      code: 'EMPTY',
      message: 'the file is empty (0 bytes)',
    });
  });

  it('rejects a WAV header with no data bytes with TRUNCATED, naming the sizes', TIMEOUT, async () => {
    await assert.rejects(decodeAudio(good.subarray(0, 44)), {
      code: 'TRUNCATED',
      message: 'WAV data chunk declares 16000 bytes but the file holds only 0 after its header',
    });
  });

  it('rejects a WAV cut in the middle of its data with TRUNCATED', TIMEOUT, async () => {
    await assert.rejects(decodeAudio(good.subarray(0, 44 + 8000)), {
      code: 'TRUNCATED',
      message: /declares 16000 bytes but the file holds only 8000/,
    });
  });

  it('rejects a WAV cut inside its RIFF or fmt header with TRUNCATED', TIMEOUT, async () => {
    await assert.rejects(decodeAudio(good.subarray(0, 8)), {
      code: 'TRUNCATED',
      message: /shorter than the 12-byte RIFF header/,
    });
    await assert.rejects(decodeAudio(good.subarray(0, 30)), { code: 'TRUNCATED', message: /fmt chunk is cut short/ });
    await assert.rejects(decodeAudio(good.subarray(0, 36)), { code: 'TRUNCATED', message: /without a data chunk/ });
  });

  it('rejects a WAV whose data chunk holds no sample frame with EMPTY', TIMEOUT, async () => {
    const { fmt } = splitWav(good);
    const list = {
      id: 'LIST',
      body: new Uint8Array(Buffer.from('INFOISFT\u0004\u0000\u0000\u0000sox\u0000', 'latin1')),
    };
    await assert.rejects(decodeAudio(buildWav({ fmt, data: new Uint8Array(0), dataSizeField: 0, after: [list] })), {
      code: 'EMPTY',
    });
    await assert.rejects(decodeAudio(encodeWav([new Float64Array([0.5])], 44_100, 'pcm16')), {
      code: 'EMPTY',
      message: /holds 1 samples at 44100 Hz, less than one at 16000 Hz/,
    });
    await assert.rejects(decodeAudio(buildWav({ fmt, data: new Uint8Array(1), dataSizeField: 1 })), { code: 'EMPTY' });
    await assert.rejects(decodeAudio(buildWav({ fmt, data: new Uint8Array(0), dataSizeField: 0 })), { code: 'EMPTY' });
  });

  it(
    'rejects bytes that are not audio with NOT_AUDIO: text, JSON, random bytes, a PNG, text that starts like an MP3 tag',
    TIMEOUT,
    async () => {
      const inputs = [
        Buffer.from('TAG: groceries, milk, eggs, bread and more text that is certainly not an MPEG frame'),
        Buffer.from([0xff, 0xfb, ...Buffer.from('xxxxxxxxxxxxxxxx')]),
        Buffer.from('hello, this is a text file, not a recording\n'),
        Buffer.from(JSON.stringify({ clip: 'yes.wav' })),
        randomBytes(4096).fill(0x41, 0, 4),
        Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
      ];
      for (const bytes of inputs) {
        await assert.rejects(decodeAudio(bytes), {
          name: 'AudioDecodeError',
          code: 'NOT_AUDIO',
          message: /not a recognised audio format/,
        });
      }
    },
  );

  it('rejects an unsupported WAV codec with UNSUPPORTED_FORMAT, naming its format tag', TIMEOUT, async () => {
    const { fmt, data } = splitWav(good);
    const mp3InWav = Buffer.from(fmt);
    mp3InWav.writeUInt16LE(0x0055, 0);
    await assert.rejects(decodeAudio(buildWav({ fmt: mp3InWav, data })), {
      code: 'UNSUPPORTED_FORMAT',
      message: /format tag 0x0055 is not supported/,
    });
    const pcm12 = Buffer.from(fmt);
    pcm12.writeUInt16LE(12, 14);
    await assert.rejects(decodeAudio(buildWav({ fmt: pcm12, data })), {
      code: 'UNSUPPORTED_FORMAT',
      message: /PCM at 12 bits per sample/,
    });
  });

  it(
    'rejects recognised but unsupported containers (AIFF, RF64, RIFX, Ogg Speex) with UNSUPPORTED_FORMAT',
    TIMEOUT,
    async () => {
      const aiff = Buffer.concat([Buffer.from('FORM'), Buffer.alloc(4), Buffer.from('AIFF'), Buffer.alloc(64)]);
      await assert.rejects(decodeAudio(aiff), { code: 'UNSUPPORTED_FORMAT', message: /AIFF audio is not supported/ });
      const rf64 = Buffer.from(good);
      rf64.write('RF64', 0, 'latin1');
      await assert.rejects(decodeAudio(rf64), {
        code: 'UNSUPPORTED_FORMAT',
        message: /RF64 \(64-bit WAV\) is not supported/,
      });
      const rifx = Buffer.from(good);
      rifx.write('RIFX', 0, 'latin1');
      await assert.rejects(decodeAudio(rifx), { code: 'UNSUPPORTED_FORMAT', message: /RIFX \(big-endian WAV\)/ });
      const ogg = Buffer.from(readFileSync(fixture('sine-1k-22050-mono.ogg')));
      const packet = 27 + ogg[26]!;
      ogg.write('Speex   ', packet, 'latin1');
      await assert.rejects(decodeAudio(ogg), {
        code: 'UNSUPPORTED_FORMAT',
        message: /speex audio in Ogg is not supported/,
      });
    },
  );

  it(
    'rejects sample rates outside 4-192 kHz and absurd channel counts, in WAV and in compressed headers',
    TIMEOUT,
    async () => {
      await assert.rejects(decodeAudio(encodeWav([sine(1000, 352_800, 0.1)], 352_800, 'pcm16')), {
        code: 'UNSUPPORTED_FORMAT',
        message: /352800 Hz; 4000 to 192000 Hz are supported/,
      });
      assert.equal((await decodeAudio(encodeWav([sine(1000, 192_000, 0.1)], 192_000, 'pcm16'))).samples.length, 1600);
      const ogg = Buffer.from(readFileSync(fixture('sine-1k-22050-mono.ogg')));
      const packet = 27 + ogg[26]!;
      for (const rate of [200_000, 3_000]) {
        ogg.writeUInt32LE(rate, packet + 12);
        await assert.rejects(decodeAudio(ogg), {
          code: 'UNSUPPORTED_FORMAT',
          message: new RegExp(`the Ogg header has a sample rate of ${rate} Hz`),
        });
      }
    },
  );

  it(
    'rejects ADPCM headers whose sample count cannot be trusted, before decoding, with MALFORMED',
    TIMEOUT,
    async () => {
      const ima = splitWav(encodeWav([sine(1000, 8000, 0.5)], 8000, 'ima-adpcm'));
      const short = Buffer.from(ima.fmt.subarray(0, 16)); // no cbSize / samples per block: the decoder would read past the chunk
      await assert.rejects(decodeAudio(buildWav({ fmt: short, data: ima.data })), {
        code: 'MALFORMED',
        message: /IMA ADPCM fmt chunk is 16 bytes; it must be at least 20/,
      });
      const tinyBlocks = Buffer.from(ima.fmt);
      tinyBlocks.writeUInt16LE(3, 12);
      await assert.rejects(decodeAudio(buildWav({ fmt: tinyBlocks, data: ima.data })), {
        code: 'MALFORMED',
        message: /block alignment is 3 bytes, no more than its 4-byte channel headers/,
      });
      const inflated = Buffer.from(ima.fmt);
      inflated.writeUInt16LE(60_000, 18);
      await assert.rejects(decodeAudio(buildWav({ fmt: inflated, data: ima.data })), {
        code: 'MALFORMED',
        message: /declares 60000 samples per block, but a 256-byte block holds at most 505/,
      });
    },
  );

  it('rejects inconsistent WAV headers with MALFORMED or UNSUPPORTED_FORMAT', TIMEOUT, async () => {
    const { fmt, data } = splitWav(good);
    await assert.rejects(decodeAudio(buildWav({ fmt: fmt.subarray(0, 14), data })), {
      code: 'MALFORMED',
      message: 'WAV fmt chunk declares 14 bytes; it needs at least 16',
    });
    const zeroAlign = Buffer.from(fmt);
    zeroAlign.writeUInt16LE(0, 12);
    await assert.rejects(decodeAudio(buildWav({ fmt: zeroAlign, data })), {
      code: 'MALFORMED',
      message: /block alignment of 0/,
    });
    const zeroChannels = Buffer.from(fmt);
    zeroChannels.writeUInt16LE(0, 2);
    await assert.rejects(decodeAudio(buildWav({ fmt: zeroChannels, data })), {
      code: 'UNSUPPORTED_FORMAT',
      message: /declares 0 channels/,
    });
    const absurdRate = Buffer.from(fmt);
    absurdRate.writeUInt32LE(3_000_000_000, 4);
    await assert.rejects(decodeAudio(buildWav({ fmt: absurdRate, data })), {
      code: 'UNSUPPORTED_FORMAT',
      message: /3000000000 Hz/,
    });
  });

  it('rejects NaN and infinite float samples with INVALID_SAMPLES, naming the sample', TIMEOUT, async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const signal = sine(1000, 16_000, 0.1);
      signal[100] = bad;
      await assert.rejects(decodeAudio(encodeWav([signal], 16_000, 'float32')), {
        code: 'INVALID_SAMPLES',
        message: new RegExp(`sample 100 \\(channel 0\\) is ${String(bad)}`),
      });
    }
  });

  it('rejects audio longer than the maximum (default 10 s) with TOO_LONG before decoding it', TIMEOUT, async () => {
    const long = encodeWav([new Float64Array(16_000 * 11)], 16_000, 'pcm16');
    await assert.rejects(decodeAudio(long), {
      code: 'TOO_LONG',
      message: 'the audio lasts 11000 ms, over the 10000 ms limit',
    });
    await assert.rejects(decodeAudio(good, { maxDurationMs: 400 }), {
      code: 'TOO_LONG',
      message: 'the audio lasts 500 ms, over the 400 ms limit',
    });
    await assert.rejects(decodeAudio(good, { maxDurationMs: 499.9 }), {
      code: 'TOO_LONG',
      message: 'the audio lasts 500 ms, over the 499.9 ms limit',
    });
    assert.equal((await decodeAudio(long, { maxDurationMs: 12_000 })).samples.length, 176_000);
  });

  it('rejects a WAV whose streaming-size header hides 2 hours of audio without allocating it', TIMEOUT, async () => {
    // 8-bit mono at 4 kHz is 28.8 MB for 2 h: the header check, not the decoder, must stop it.
    const { fmt } = splitWav(encodeWav([new Float64Array(10)], 16_000, 'pcm8'));
    const slow = Buffer.from(fmt);
    slow.writeUInt32LE(4_000, 4);
    slow.writeUInt32LE(4_000, 8);
    const bytes = buildWav({ fmt: slow, data: new Uint8Array(4_000 * 7_200), dataSizeField: 0xffffffff });
    await assert.rejects(decodeAudio(bytes), { code: 'TOO_LONG', message: /lasts 7200000 ms/ });
  });

  it('rejects input over the byte limit with TOO_LARGE', TIMEOUT, async () => {
    await assert.rejects(decodeAudio(good, { maxInputBytes: 1000 }), {
      code: 'TOO_LARGE',
      message: 'the file is 16044 bytes, over the 1000-byte limit',
    });
  });

  it(
    'stops a FLAC decompression bomb at the limit: by its header, or while decoding when the header gives no length',
    TIMEOUT,
    async () => {
      const bomb = Buffer.from(readFileSync(fixture('silence-600s-8ch.flac'))); // 23 KB, 10 minutes of 8-channel 48 kHz silence
      await assert.rejects(decodeAudio(bomb), {
        code: 'TOO_LONG',
        message: 'the audio lasts 600000 ms, over the 10000 ms limit',
      });
      bomb[8 + 13] = bomb[8 + 13]! & 0xf0; // STREAMINFO total samples (low 36 bits) = 0: unknown
      bomb.fill(0, 8 + 14, 8 + 18);
      await assert.rejects(decodeAudio(bomb), { code: 'TOO_LONG', message: /over the 10000 ms limit/ });
    },
  );

  it(
    'rejects a stream that changes sample rate midway (two MP3s joined) with UNSUPPORTED_FORMAT',
    TIMEOUT,
    async () => {
      const joined = Buffer.concat([
        readFileSync(fixture('sine-1k-16000-mono.mp3')),
        readFileSync(fixture('sine-1k-44100-stereo-id3.mp3')),
      ]);
      await assert.rejects(decodeAudio(joined), {
        code: 'UNSUPPORTED_FORMAT',
        message: /changes sample rate from 16000 Hz to 44100 Hz/,
      });
    },
  );

  it('rejects corrupt compressed streams with DECODE_FAILED, and never hangs', TIMEOUT, async () => {
    const flac = readFileSync(fixture('sine-1k-44100-mono.flac'));
    // Seeded garbage after the FLAC marker, the same every run: some random bytes parse as a
    // STREAMINFO that declares hours of audio, which is refused as TOO_LONG instead (a clean-clone run
    // drew such bytes once).
    const rng = new Rng(1);
    const garbled = Buffer.concat([
      flac.subarray(0, 4),
      Buffer.from(Array.from({ length: 2000 }, () => rng.int(0, 255))),
    ]);
    await assert.rejects(decodeAudio(garbled), { code: 'DECODE_FAILED' });
    const headerOnly = readFileSync(fixture('sine-1k-22050-mono.ogg')).subarray(0, 58);
    await assert.rejects(decodeAudio(headerOnly), {
      code: 'DECODE_FAILED',
      message: /no audio frames could be decoded|rejected the stream/,
    });
  });

  it('rejects options that are not positive numbers with INVALID_ARGUMENT', async () => {
    await assert.rejects(decodeAudio(good, { maxDurationMs: -1 }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: /maxDurationMs must be a positive number, got -1/,
    });
  });
});
