import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Rng } from '../../src/data/index.js';
import {
  DEFAULT_PICO_LINGWARE_DIR,
  drawHeldOutEspeakSpeakers,
  drawPicoSpeakers,
  ESPEAK_HUMAN_VARIANTS,
  HELD_OUT_ESPEAK_VARIANTS,
  PicoSynthesizer,
} from '../../src/synth/index.js';
import { tempDir } from '../helpers/signals.js';

/**
 * SVOX Pico's lingware: `KWS_PICO_LINGWARE_DIR`, else where Debian's libttspico-data puts it. The npm
 * package ships none, so the tests that speak run only where it is installed.
 */
const LINGWARE_DIR = process.env['KWS_PICO_LINGWARE_DIR'] ?? DEFAULT_PICO_LINGWARE_DIR;
const NO_LINGWARE = existsSync(join(LINGWARE_DIR, 'en-US_ta.bin'))
  ? false
  : `no SVOX Pico lingware in ${LINGWARE_DIR} (install Debian's libttspico-data or set KWS_PICO_LINGWARE_DIR)`;

const US = { language: 'en-US', pitchPercent: 100, speedPercent: 100 } as const;

describe('SVOX Pico', () => {
  it('refuses a lingware folder without the lingware, naming the missing file', async () => {
    const dir = tempDir('kws-pico-empty-');
    await assert.rejects(PicoSynthesizer.create({ lingwareDir: dir }), {
      name: 'KwsError',
      code: 'FILE_NOT_FOUND',
      message: `SVOX Pico lingware ${join(dir, 'en-US_ta.bin')} does not exist: @echogarden/svoxpico-wasm ships no lingware; install Debian's libttspico-data (non-free) or point at a folder holding en-US_ta.bin, en-US_lh0_sg.bin, en-GB_ta.bin, en-GB_kh0_sg.bin`,
    });
  });

  describe('speaking', { skip: NO_LINGWARE }, () => {
    let pico: PicoSynthesizer;
    before(async () => {
      pico = await PicoSynthesizer.create({ lingwareDir: LINGWARE_DIR });
    });
    after(() => pico.dispose());

    it('says a word in each language as 16 kHz 16-bit audio of 0.3 to 1 s', () => {
      for (const language of ['en-US', 'en-GB'] as const) {
        const utterance = pico.synthesize('yes', { ...US, language });
        assert.equal(utterance.sampleRateHz, 16_000);
        assert.ok(
          utterance.samples.length > 4800 && utterance.samples.length < 16_000,
          `${language}: ${utterance.samples.length} samples`,
        );
        assert.ok(
          utterance.samples.some((v) => Math.abs(v) > 3000),
          language,
        );
      }
    });

    it('gives the same samples for a text and voice whatever was said before', () => {
      const first = pico.synthesize('stop', US).samples;
      pico.synthesize('down', { language: 'en-GB', pitchPercent: 120, speedPercent: 90 });
      pico.synthesize('stop', US);
      assert.deepEqual(pico.synthesize('stop', US).samples, first);
    });

    it('says a word faster at a higher speed', () => {
      const slow = pico.synthesize('seven', { ...US, speedPercent: 80 }).samples.length;
      const fast = pico.synthesize('seven', { ...US, speedPercent: 125 }).samples.length;
      assert.ok(fast < slow, `${fast} samples at 125 %, ${slow} at 80 %`);
    });

    it('refuses markup in the text, an unknown language, an out-of-range pitch, and use after dispose', async () => {
      assert.throws(() => pico.synthesize('<speed level="500">yes', US), {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'SVOX Pico text must be 1-1000 characters without <, > or &, got "<speed level=\\"500\\">yes"',
      });
      assert.throws(() => pico.synthesize('yes', { ...US, language: 'de-DE' as 'en-US' }), {
        code: 'INVALID_ARGUMENT',
        message: 'SVOX Pico has no language "de-DE"; expected one of en-US, en-GB',
      });
      assert.throws(() => pico.synthesize('yes', { ...US, pitchPercent: 300 }), {
        code: 'INVALID_ARGUMENT',
        message: 'pitchPercent must be from 50 to 200, got 300',
      });
      const other = await PicoSynthesizer.create({ lingwareDir: LINGWARE_DIR });
      other.dispose();
      assert.throws(() => other.synthesize('yes', US), {
        code: 'INVALID_ARGUMENT',
        message: 'the SVOX Pico synthesizer was disposed',
      });
    });
  });
});

describe('held-out voices', () => {
  it('holds out ten distinct eSpeak NG variants of the 84 human-sounding ones', () => {
    assert.equal(HELD_OUT_ESPEAK_VARIANTS.length, 10);
    assert.equal(new Set(HELD_OUT_ESPEAK_VARIANTS).size, 10);
    for (const variant of HELD_OUT_ESPEAK_VARIANTS)
      assert.ok((ESPEAK_HUMAN_VARIANTS as readonly string[]).includes(variant), variant);
  });

  it('draws eSpeak NG speakers with the held-out variants in turn, with distinct ids', () => {
    const speakers = drawHeldOutEspeakSpeakers(20, new Rng(1));
    assert.deepEqual(
      speakers.map((s) => s.variant),
      [...HELD_OUT_ESPEAK_VARIANTS, ...HELD_OUT_ESPEAK_VARIANTS],
    );
    assert.equal(new Set(speakers.map((s) => s.id)).size, 20);
    assert.ok(
      speakers.every(
        (s) =>
          s.engine === 'espeak-ng' &&
          /^[0-9a-f]{8}$/.test(s.id) &&
          s.pitch >= 20 &&
          s.pitch <= 80 &&
          s.rateWpm >= 130 &&
          s.rateWpm <= 230,
      ),
    );
    assert.deepEqual(drawHeldOutEspeakSpeakers(20, new Rng(1)), speakers);
  });

  it('draws Pico speakers alternating en-US and en-GB, pitch and speed 80-125 %', () => {
    const speakers = drawPicoSpeakers(6, new Rng(2));
    assert.deepEqual(
      speakers.map((s) => s.language),
      ['en-US', 'en-GB', 'en-US', 'en-GB', 'en-US', 'en-GB'],
    );
    assert.equal(new Set(speakers.map((s) => s.id)).size, 6);
    assert.ok(
      speakers.every(
        (s) =>
          s.engine === 'svox-pico' &&
          Number.isInteger(s.pitchPercent) &&
          s.pitchPercent >= 80 &&
          s.pitchPercent <= 125 &&
          s.speedPercent >= 80 &&
          s.speedPercent <= 125,
      ),
    );
  });
});
