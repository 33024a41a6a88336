import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeAudio } from '../../src/audio/index.js';
import { fixture, rms } from '../helpers/signals.js';

const SINE_RMS = 0.5 / Math.SQRT2; // fixtures: 0.5 s of a 1 kHz sine at amplitude 0.5 (scripts/make-fixtures.sh)

const cases = [
  { file: 'sine-1k-44100-mono.flac', container: 'flac', codec: 'flac', rateHz: 44_100, channels: 1, tolerance: 0.005 },
  {
    file: 'sine-1k-44100-stereo-id3.mp3',
    container: 'mp3',
    codec: 'mp3',
    rateHz: 44_100,
    channels: 2,
    tolerance: 0.08,
  },
  { file: 'sine-1k-16000-mono.mp3', container: 'mp3', codec: 'mp3', rateHz: 16_000, channels: 1, tolerance: 0.08 },
  { file: 'sine-1k-44100-mono.mp2', container: 'mp3', codec: 'mp2', rateHz: 44_100, channels: 1, tolerance: 0.08 },
  { file: 'sine-1k-22050-mono.ogg', container: 'ogg', codec: 'vorbis', rateHz: 22_050, channels: 1, tolerance: 0.03 },
  { file: 'sine-1k-48000-mono.opus', container: 'ogg', codec: 'opus', rateHz: 48_000, channels: 1, tolerance: 0.03 },
  { file: 'sine-1k-48000-mono.webm', container: 'webm', codec: 'opus', rateHz: 48_000, channels: 1, tolerance: 0.03 },
  {
    file: 'sine-1k-48000-vorbis.webm',
    container: 'webm',
    codec: 'vorbis',
    rateHz: 48_000,
    channels: 1,
    tolerance: 0.03,
  },
] as const;

describe('decodeAudio on compressed formats', () => {
  for (const { file, container, codec, rateHz, channels, tolerance } of cases) {
    it(`decodes ${file} to 0.5 s at 16 kHz with the sine's RMS within ${tolerance * 100} %`, async () => {
      const decoded = await decodeAudio(readFileSync(fixture(file)));
      assert.equal(decoded.info.container, container);
      assert.equal(decoded.info.codec, codec);
      assert.equal(decoded.info.sourceSampleRateHz, rateHz);
      assert.equal(
        decoded.info.channels,
        channels,
        'channels as the stream declares them (an MP3 with L = R is still stereo)',
      );
      assert.ok(
        Math.abs(decoded.info.durationMs - 500) <= (container === 'mp3' ? 80 : 5),
        `duration ${decoded.info.durationMs} ms`,
      );
      const measured = rms(decoded.samples.subarray(1600, 6400));
      assert.ok(Math.abs(measured / SINE_RMS - 1) <= tolerance, `RMS ${measured} vs ${SINE_RMS}`);
    });
  }

  it('decodes a Buffer that is a view into a shared pool (audio-type reads from offset 0)', async () => {
    const bytes = readFileSync(fixture('sine-1k-48000-mono.opus'));
    const pooled = Buffer.concat([Buffer.from('garbage before the file'), bytes]).subarray(23);
    assert.notEqual(pooled.byteOffset, 0);
    const decoded = await decodeAudio(pooled);
    assert.equal(decoded.info.codec, 'opus');
  });

  it('decodes a FLAC behind a 300 KB ID3v2 tag (cover art) as FLAC, not MP3', async () => {
    const flac = readFileSync(fixture('sine-1k-44100-mono.flac'));
    const size = 300_000;
    const header = Buffer.from([
      0x49,
      0x44,
      0x33,
      3,
      0,
      0,
      (size >> 21) & 0x7f,
      (size >> 14) & 0x7f,
      (size >> 7) & 0x7f,
      size & 0x7f,
    ]);
    const decoded = await decodeAudio(Buffer.concat([header, Buffer.alloc(size), flac]));
    assert.equal(decoded.info.codec, 'flac');
    assert.equal(decoded.info.durationMs, 500);
  });

  it('decodes float WAVs read with readFile (a Buffer whose slice() is a view) at any byte offset', async () => {
    const { encodeWav, sine } = await import('../helpers/signals.js');
    for (const encoding of ['float32', 'float64', 'pcm32'] as const) {
      const wav = encodeWav([sine(1000, 16_000, 0.1), sine(500, 16_000, 0.1)], 16_000, encoding);
      const unaligned = Buffer.concat([Buffer.alloc(3), Buffer.from(wav)]).subarray(3);
      assert.equal((await decodeAudio(unaligned)).samples.length, 1600, encoding);
    }
  });

  it('clamps finite float samples beyond float32 range instead of calling them Infinity', async () => {
    const { encodeWav } = await import('../helpers/signals.js');
    const loud = new Float64Array(800).fill(3e38);
    const stereo = await decodeAudio(encodeWav([loud, loud], 16_000, 'float32'));
    assert.ok(
      stereo.samples.every((v) => v === 1),
      'a float32 stereo downmix of ±3e38 stays finite',
    );
    assert.equal(stereo.info.clampedSamples, 1600);
    const huge = await decodeAudio(encodeWav([new Float64Array(800).fill(-1e300)], 16_000, 'float64'));
    assert.ok(
      huge.samples.every((v) => v === -1),
      'a double of -1e300 is clamped, not rejected as -Infinity',
    );
  });

  it('stops a compressed stream that decodes past the maximum duration (a 20 s FLAC of 11 KB)', async () => {
    const bytes = readFileSync(fixture('silence-20s.flac'));
    await assert.rejects(decodeAudio(bytes), {
      name: 'AudioDecodeError',
      code: 'TOO_LONG',
      message: 'the audio lasts 20000 ms, over the 10000 ms limit',
    });
    const long = await decodeAudio(bytes, { maxDurationMs: 30_000 });
    assert.equal(long.samples.length, 320_000);
    assert.equal(long.info.rmsDbfs, -120);
  });
});
