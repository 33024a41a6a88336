import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/data/index.js';
import {
  DTMF_KEYS,
  drawNonSpeech,
  NON_SPEECH_KINDS,
  NON_SPEECH_PEAK_DBFS,
  nonSpeechClip,
  nonSpeechSplitOf,
  renderNonSpeech,
} from '../../src/synth/index.js';
import type { NonSpeechParams } from '../../src/synth/index.js';

/** Magnitude of the DFT of `x[start, end)` at `frequencyHz` (Goertzel), 16 kHz. */
function magnitudeAt(x: Float32Array, frequencyHz: number, start = 0, end = x.length): number {
  const w = (2 * Math.PI * frequencyHz) / 16_000;
  let re = 0;
  let im = 0;
  for (let i = start; i < end; i++) {
    re += (x[i] as number) * Math.cos(w * (i - start));
    im -= (x[i] as number) * Math.sin(w * (i - start));
  }
  return Math.hypot(re, im);
}

/** The frequency of the largest DFT magnitude among `candidatesHz`. */
function dominant(x: Float32Array, candidatesHz: readonly number[], start?: number, end?: number): number {
  let best = candidatesHz[0] as number;
  let bestMagnitude = -1;
  for (const f of candidatesHz) {
    const m = magnitudeAt(x, f, start, end);
    if (m > bestMagnitude) [best, bestMagnitude] = [f, m];
  }
  return best;
}

function peak(x: Float32Array): number {
  let p = 0;
  for (const v of x) p = Math.max(p, Math.abs(v));
  return p;
}

const every10HzTo7990 = Array.from({ length: 796 }, (_, i) => 50 + 10 * i);

describe('non-speech clips', () => {
  it('has 13 kinds', () => {
    assert.deepEqual(
      [...NON_SPEECH_KINDS],
      [
        'tone',
        'chirp',
        'dtmf',
        'square',
        'sawtooth',
        'click-train',
        'hum',
        'chord',
        'beeps',
        'noise-burst',
        'siren',
        'knock',
        'engine',
      ],
    );
  });

  it('renders exactly 16,000 finite samples of every kind with the drawn peak, within -36 to -3 dBFS', () => {
    const rng = new Rng(3);
    for (const kind of NON_SPEECH_KINDS) {
      for (const split of ['train', 'eval'] as const) {
        for (let n = 0; n < 4; n++) {
          const params = drawNonSpeech(kind, rng, split);
          const clip = renderNonSpeech(params);
          assert.equal(clip.length, 16_000, kind);
          assert.ok(clip.every(Number.isFinite), kind);
          assert.ok(
            params.peakDbfs >= NON_SPEECH_PEAK_DBFS[0] && params.peakDbfs <= NON_SPEECH_PEAK_DBFS[1],
            `${kind} ${params.peakDbfs}`,
          );
          assert.ok(
            Math.abs(20 * Math.log10(peak(clip)) - params.peakDbfs) < 1e-4,
            `${kind} peak ${20 * Math.log10(peak(clip))} vs ${params.peakDbfs}`,
          );
        }
      }
    }
  });

  it('gives the same samples for the same seed, and other samples for another seed', () => {
    for (const kind of NON_SPEECH_KINDS) {
      assert.deepEqual(nonSpeechClip(kind, new Rng(11), 'eval'), nonSpeechClip(kind, new Rng(11), 'eval'), kind);
      assert.notDeepEqual(nonSpeechClip(kind, new Rng(11), 'eval'), nonSpeechClip(kind, new Rng(12), 'eval'), kind);
    }
  });

  it('renders a 1 kHz tone at its peak level with its energy at 1 kHz and 2,000 zero crossings a second', () => {
    const clip = renderNonSpeech({ kind: 'tone', frequencyHz: 1000, startS: 0, durationS: 1, peakDbfs: -6 });
    assert.ok(Math.abs(peak(clip) - 10 ** (-6 / 20)) < 1e-7);
    assert.equal(dominant(clip, every10HzTo7990), 1000);
    let crossings = 0;
    for (let i = 1; i < clip.length; i++)
      if (Math.sign(clip[i - 1] as number) !== Math.sign(clip[i] as number)) crossings++;
    assert.ok(Math.abs(crossings - 2000) <= 4, `${crossings} zero crossings`);
  });

  it('renders DTMF keys 5 then # with the ITU-T Q.23 pairs 770 + 1336 Hz and 941 + 1477 Hz', () => {
    const keys: [number, number] = [DTMF_KEYS.indexOf('5'), DTMF_KEYS.indexOf('#')];
    const clip = renderNonSpeech({ kind: 'dtmf', keys, startS: 0.1, toneS: 0.2, gapS: 0.1, twistDb: 0, peakDbfs: -6 });
    const low = [697, 770, 852, 941];
    const high = [1209, 1336, 1477, 1633];
    assert.equal(dominant(clip, low, 1600, 4800), 770);
    assert.equal(dominant(clip, high, 1600, 4800), 1336);
    assert.equal(dominant(clip, low, 6400, 9600), 941);
    assert.equal(dominant(clip, high, 6400, 9600), 1477);
    assert.ok(
      magnitudeAt(clip, 941, 1600, 4800) < 0.05 * magnitudeAt(clip, 770, 1600, 4800),
      'no second tone during the first key',
    );
  });

  it('renders a chord on A4 (MIDI 69) with 440 Hz as its strongest partial', () => {
    const adsr = { attackS: 0.01, decayS: 0.1, sustain: 0.6, releaseS: 0.1 };
    const clip = renderNonSpeech({
      kind: 'chord',
      midiNotes: [69, 73, 76],
      harmonics: 4,
      rolloff: 1.5,
      adsr,
      startS: 0,
      durationS: 1,
      peakDbfs: -10,
    });
    assert.equal(dominant(clip, every10HzTo7990), 440);
  });

  it("draws evaluation and training clips from disjoint halves of each kind's parameter space", () => {
    const rng = new Rng(5);
    for (const kind of NON_SPEECH_KINDS) {
      for (const split of ['train', 'eval'] as const) {
        for (let n = 0; n < 50; n++) assert.equal(nonSpeechSplitOf(drawNonSpeech(kind, rng, split)), split, kind);
      }
    }
    const semitones = (split: 'train' | 'eval'): Set<number> => {
      const bins = new Set<number>();
      for (let n = 0; n < 300; n++)
        bins.add(
          Math.floor(
            12 *
              Math.log2(
                (drawNonSpeech('tone', rng, split) as Extract<NonSpeechParams, { kind: 'tone' }>).frequencyHz / 100,
              ),
          ),
        );
      return bins;
    };
    const evalBins = semitones('eval');
    assert.deepEqual(
      [...semitones('train')].filter((b) => evalBins.has(b)),
      [],
    );
    assert.ok([...evalBins].every((b) => b % 2 === 1));
  });

  it('keeps drawn tones within 100-6000 Hz and DTMF keys on the keypad', () => {
    const rng = new Rng(9);
    for (let n = 0; n < 200; n++) {
      const tone = drawNonSpeech('tone', rng, n % 2 === 0 ? 'eval' : 'train') as Extract<
        NonSpeechParams,
        { kind: 'tone' }
      >;
      assert.ok(
        tone.frequencyHz >= 100 && tone.frequencyHz <= 6000 && tone.startS >= 0 && tone.startS + tone.durationS <= 1,
        JSON.stringify(tone),
      );
      const dtmf = drawNonSpeech('dtmf', rng, 'eval') as Extract<NonSpeechParams, { kind: 'dtmf' }>;
      assert.ok(
        dtmf.keys.every((k) => Number.isInteger(k) && k >= 0 && k < 16) && (dtmf.keys[0] + dtmf.keys[1]) % 2 === 1,
        JSON.stringify(dtmf),
      );
    }
  });

  it('refuses parameters that render to no signal', () => {
    assert.throws(
      () =>
        renderNonSpeech({ kind: 'beeps', frequencyHz: 1000, count: 0, startS: 0, beepS: 0.1, gapS: 0.1, peakDbfs: -6 }),
      {
        name: 'KwsError',
        code: 'INVALID_ARGUMENT',
        message: 'non-speech beeps parameters render to no signal',
      },
    );
  });
});
