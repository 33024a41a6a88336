import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeAudio } from '../../src/audio/index.js';
import { fixture, rms } from '../helpers/signals.js';

const SINE_RMS = 0.5 / Math.SQRT2; // fixtures: 0.5 s of a 1 kHz sine at amplitude 0.5 (scripts/make-fixtures.sh)

const cases = [
  { file: 'sine-1k-44100-mono.flac', container: 'flac', codec: 'flac', rateHz: 44_100, tolerance: 0.005 },
  { file: 'sine-1k-44100-stereo-id3.mp3', container: 'mp3', codec: 'mp3', rateHz: 44_100, tolerance: 0.08 },
  { file: 'sine-1k-22050-mono.ogg', container: 'ogg', codec: 'vorbis', rateHz: 22_050, tolerance: 0.03 },
  { file: 'sine-1k-48000-mono.opus', container: 'ogg', codec: 'opus', rateHz: 48_000, tolerance: 0.03 },
  { file: 'sine-1k-48000-mono.webm', container: 'webm', codec: 'opus', rateHz: 48_000, tolerance: 0.03 },
] as const;

describe('decodeAudio on compressed formats', () => {
  for (const { file, container, codec, rateHz, tolerance } of cases) {
    it(`decodes ${file} to 0.5 s at 16 kHz with the sine's RMS within ${tolerance * 100} %`, async () => {
      const decoded = await decodeAudio(readFileSync(fixture(file)));
      assert.equal(decoded.info.container, container);
      assert.equal(decoded.info.codec, codec);
      assert.equal(decoded.info.sourceSampleRateHz, rateHz);
      assert.ok(Math.abs(decoded.info.durationMs - 500) <= 2, `duration ${decoded.info.durationMs} ms`);
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

  it('stops a compressed stream that decodes past the maximum duration (a 20 s FLAC of 11 KB)', async () => {
    const bytes = readFileSync(fixture('silence-20s.flac'));
    await assert.rejects(decodeAudio(bytes), { name: 'AudioDecodeError', code: 'TOO_LONG', message: /20\.00 s|over the 10\.00 s limit/ });
    const long = await decodeAudio(bytes, { maxDurationMs: 30_000 });
    assert.equal(long.samples.length, 320_000);
    assert.equal(long.info.rmsDbfs, -120);
  });
});
