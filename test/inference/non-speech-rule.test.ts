import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decide,
  isNonSpeech,
  NO_THRESHOLDS,
  NON_SPEECH_LIMITS,
  validateThresholds,
} from '../../src/inference/index.js';
import { LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';

/** A softmax row with `p` on `label` and the rest spread evenly. */
const row = (label: Label, p: number): number[] => LABELS.map((l) => (l === label ? p : (1 - p) / 11));

const tonal = { peakConcentration: 0.9992, stationarity: 0.5 };
const held = { peakConcentration: 0.6, stationarity: 0.9999 };
const speech = { peakConcentration: 0.46, stationarity: 0.86 };
const thresholds = { unknownThreshold: 0.25, silenceThresholdDbfs: -60 };

describe('the non-speech rule of decide', () => {
  it('answers a command on a tonal or a stationary clip `unknown`, saying NON_SPEECH, and keeps the raw label and confidence', () => {
    for (const shape of [tonal, held])
      assert.deepEqual(decide(row('yes', 0.72), -6, thresholds, 0, Number.NaN, shape), {
        label: 'unknown',
        rawLabel: 'yes',
        confidence: 0.72,
        reason: 'NON_SPEECH',
      });
  });

  it('leaves speech-shaped clips, and clips without a shape (calibration, predictions stored before it), to the model and the unknown rule', () => {
    assert.equal(decide(row('yes', 0.72), -20, thresholds, 0, Number.NaN, speech).reason, 'MODEL');
    assert.equal(decide(row('yes', 0.72), -20, thresholds).reason, 'MODEL');
    assert.equal(decide(row('yes', 0.72), -20, thresholds, 0, Number.NaN, null).reason, 'MODEL');
    assert.equal(decide(row('yes', 0.2), -20, thresholds, 0, Number.NaN, speech).reason, 'LOW_CONFIDENCE');
  });

  it('fires at the limits and not below them', () => {
    assert.equal(isNonSpeech(NON_SPEECH_LIMITS), true);
    assert.equal(isNonSpeech({ peakConcentration: NON_SPEECH_LIMITS.peakConcentration, stationarity: 0 }), true);
    assert.equal(isNonSpeech({ peakConcentration: 0, stationarity: NON_SPEECH_LIMITS.stationarity }), true);
    assert.equal(isNonSpeech({ peakConcentration: 0.9799, stationarity: 0.9949 }), false);
  });

  it('comes after the silence floor and before the unknown rule, and never changes a model answer of silence or unknown', () => {
    assert.equal(decide(row('yes', 0.9), -75, thresholds, 0, Number.NaN, tonal).reason, 'LOW_ENERGY');
    assert.equal(decide(row('yes', 0.2), -20, thresholds, 0, Number.NaN, tonal).reason, 'NON_SPEECH');
    assert.deepEqual(decide(row('silence', 0.9), -20, thresholds, 0, Number.NaN, held), {
      label: 'silence',
      rawLabel: 'silence',
      confidence: 0.9,
      reason: 'MODEL',
    });
    assert.equal(decide(row('unknown', 0.9), -20, thresholds, 0, Number.NaN, tonal).reason, 'MODEL');
  });

  it('applies with no thresholds too: the rule is the product’s, not a calibrated value', () => {
    assert.equal(decide(row('down', 0.74), -13.5, NO_THRESHOLDS, 0, Number.NaN, tonal).label, 'unknown');
  });

  it('is off for thresholds that say nonSpeechRule false, and refuses a value that is not a boolean', () => {
    assert.deepEqual(decide(row('yes', 0.72), -6, { ...thresholds, nonSpeechRule: false }, 0, Number.NaN, tonal), {
      label: 'yes',
      rawLabel: 'yes',
      confidence: 0.72,
      reason: 'MODEL',
    });
    assert.equal(
      decide(row('yes', 0.72), -6, { ...thresholds, nonSpeechRule: true }, 0, Number.NaN, tonal).reason,
      'NON_SPEECH',
    );
    assert.throws(() => validateThresholds({ ...thresholds, nonSpeechRule: 'no' as unknown as boolean }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'nonSpeechRule must be true or false, got no',
    });
  });
});
