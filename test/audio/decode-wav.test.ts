import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAudio } from '../../src/audio/index.js';
import { buildWav, encodeWav, extensibleFmt, rms, sine, splitWav } from '../helpers/signals.js';
import type { WavEncoding } from '../helpers/signals.js';

const SINE_RMS = 0.5 / Math.SQRT2; // 1 kHz sine at amplitude 0.5

const encodings: ReadonlyArray<{ encoding: WavEncoding; rateHz: number; codec: string; tolerance: number }> = [
  { encoding: 'pcm8', rateHz: 16_000, codec: 'pcm_u8', tolerance: 0.02 },
  { encoding: 'pcm16', rateHz: 16_000, codec: 'pcm_s16le', tolerance: 0.001 },
  { encoding: 'pcm24', rateHz: 16_000, codec: 'pcm_s24le', tolerance: 0.001 },
  { encoding: 'pcm32', rateHz: 16_000, codec: 'pcm_s32le', tolerance: 0.001 },
  { encoding: 'float32', rateHz: 16_000, codec: 'pcm_f32le', tolerance: 0.001 },
  { encoding: 'float64', rateHz: 16_000, codec: 'pcm_f64le', tolerance: 0.001 },
  { encoding: 'alaw', rateHz: 16_000, codec: 'pcm_alaw', tolerance: 0.01 },
  { encoding: 'mulaw', rateHz: 16_000, codec: 'pcm_mulaw', tolerance: 0.01 },
  { encoding: 'ima-adpcm', rateHz: 8_000, codec: 'adpcm_ima_wav', tolerance: 0.06 },
];

describe('decodeAudio on WAV encodings', () => {
  for (const { encoding, rateHz, codec, tolerance } of encodings) {
    it(`decodes a 1 kHz sine in ${encoding} to RMS ${SINE_RMS.toFixed(4)} within ${tolerance * 100} %`, async () => {
      const decoded = await decodeAudio(encodeWav([sine(1000, rateHz, 0.5)], rateHz, encoding));
      assert.equal(decoded.info.container, 'wav');
      assert.equal(decoded.info.codec, codec);
      assert.equal(decoded.info.sourceSampleRateHz, rateHz);
      assert.equal(decoded.info.channels, 1);
      assert.equal(decoded.sampleRateHz, 16_000);
      // IMA ADPCM holds whole blocks of 505 samples, so the encoder pads the last one with silence.
      assert.equal(decoded.samples.length, encoding === 'ima-adpcm' ? 9 * 505 * 2 : 8000);
      const measured = rms(decoded.samples.subarray(200, 7800));
      assert.ok(Math.abs(measured / SINE_RMS - 1) <= tolerance, `RMS ${measured} vs ${SINE_RMS}`);
    });
  }

  it('reports the RMS level in dBFS: a sine at amplitude 0.5 is -9.03 dBFS', async () => {
    const decoded = await decodeAudio(encodeWav([sine(1000, 16_000, 1)], 16_000, 'float32'));
    assert.ok(Math.abs(decoded.info.rmsDbfs - 20 * Math.log10(SINE_RMS)) < 0.01, String(decoded.info.rmsDbfs));
    assert.equal(decoded.info.durationMs, 1000);
  });

  it('averages channels to mono: a sine on the left and silence on the right halves the amplitude', async () => {
    const left = sine(1000, 16_000, 0.5);
    const decoded = await decodeAudio(encodeWav([left, new Float64Array(left.length)], 16_000, 'pcm16'));
    assert.equal(decoded.info.channels, 2);
    assert.ok(Math.abs(rms(decoded.samples) / (SINE_RMS / 2) - 1) < 0.002);
  });

  it('clamps float samples above full scale to ±1 and counts them', async () => {
    const loud = sine(1000, 16_000, 0.1, 1.5);
    const decoded = await decodeAudio(encodeWav([loud], 16_000, 'float32'));
    assert.equal(Math.max(...decoded.samples), 1);
    assert.equal(Math.min(...decoded.samples), -1);
    assert.equal(decoded.info.clampedSamples, loud.filter((v) => Math.abs(v) > 1).length);
  });
});

describe('decodeAudio on WAV layouts', () => {
  const plain = encodeWav([sine(1000, 16_000, 0.25)], 16_000, 'pcm16');
  const { fmt, data } = splitWav(plain);
  const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

  async function samplesOf(bytes: Uint8Array): Promise<Float32Array> {
    return (await decodeAudio(bytes)).samples;
  }

  it('skips LIST, fact, JUNK and bext chunks before data', async () => {
    const bytes = buildWav({
      fmt,
      data,
      before: [
        { id: 'JUNK', body: new Uint8Array(28) },
        { id: 'bext', body: new Uint8Array(602) },
        { id: 'fact', body: new Uint8Array([0x40, 0x0f, 0, 0]) },
        { id: 'LIST', body: text('INFOISFT\x06\x00\x00\x00Lavf\x00\x00') },
      ],
    });
    assert.deepEqual(await samplesOf(bytes), await samplesOf(plain));
  });

  it('honours the pad byte after an odd-sized chunk before data', async () => {
    const bytes = buildWav({ fmt, data, before: [{ id: 'LIST', body: text('INFOabc') }] });
    assert.equal(bytes.length, plain.length + 8 + 7 + 1);
    assert.deepEqual(await samplesOf(bytes), await samplesOf(plain));
  });

  it('ignores LIST and id3 chunks after data, as in the real background-noise files', async () => {
    const bytes = buildWav({
      fmt,
      data,
      after: [
        { id: 'LIST', body: text('INFOISFT') },
        { id: 'id3 ', body: new Uint8Array(33) },
      ],
    });
    assert.deepEqual(await samplesOf(bytes), await samplesOf(plain));
  });

  for (const size of [0, 0xffffffff]) {
    it(`reads to the end of the file when the data size is the streaming placeholder 0x${size.toString(16)}`, async () => {
      const bytes = buildWav({ fmt, data, dataSizeField: size });
      assert.deepEqual(await samplesOf(bytes), await samplesOf(plain));
    });
  }

  it('decodes WAVE_FORMAT_EXTENSIBLE PCM and float', async () => {
    const float = encodeWav([sine(1000, 16_000, 0.25)], 16_000, 'float32');
    for (const source of [plain, float]) {
      const parts = splitWav(source);
      const decoded = await decodeAudio(buildWav({ fmt: extensibleFmt(parts.fmt), data: parts.data }));
      assert.deepEqual(decoded.samples, await samplesOf(source));
      assert.equal(decoded.info.codec, source === plain ? 'pcm_s16le' : 'pcm_f32le');
    }
  });
});
