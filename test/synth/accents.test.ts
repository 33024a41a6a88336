import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/data/index.js';
import {
  drawSpeakers,
  ESPEAK_ACCENT_VOICES,
  ESPEAK_ENGLISH_VOICES,
  EspeakSynthesizer,
  speakerId,
  withAccents,
} from '../../src/synth/index.js';

describe('accented eSpeak voices (kws synth --accented-voices)', () => {
  const speakers = drawSpeakers(200, new Rng(7));

  it('leaves the speakers as they are at share 0, and gives every one another language at share 1', () => {
    assert.deepEqual(withAccents(speakers, 0, new Rng(1)), speakers);
    const accented = withAccents(speakers, 1, new Rng(1));
    assert.ok(accented.every((s) => (ESPEAK_ACCENT_VOICES as readonly string[]).includes(s.voice)));
    accented.forEach((s, i) => {
      const before = speakers[i]!;
      assert.deepEqual(
        [s.variant, s.pitch, s.range, s.rateWpm],
        [before.variant, before.pitch, before.range, before.rateWpm],
      );
      assert.equal(s.id, speakerId('espeak-ng', s));
      assert.notEqual(s.id, before.id);
    });
  });

  it('accents about the share asked for, and refuses a share outside [0, 1]', () => {
    const half = withAccents(speakers, 0.5, new Rng(2));
    const count = half.filter((s) => !(ESPEAK_ENGLISH_VOICES as readonly string[]).includes(s.voice)).length;
    assert.ok(count > 70 && count < 130, `${count} of 200`);
    for (const share of [-0.1, 1.5, Number.NaN])
      assert.throws(() => withAccents(speakers, share, new Rng(1)), { code: 'INVALID_ARGUMENT' });
  });

  it('speaks English words with each accent voice', async () => {
    const synthesizer = await EspeakSynthesizer.create();
    for (const voice of ESPEAK_ACCENT_VOICES) {
      const utterance = synthesizer.synthesize('right', { voice, variant: 'm3', pitch: 50, range: 50, rateWpm: 175 });
      assert.ok(utterance.samples.length > 1000, voice);
    }
  });
});
