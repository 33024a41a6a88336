import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADDED_WORDS_V2, AUXILIARY_WORDS_V1, COMMAND_WORDS } from '../../src/labels/index.js';
import {
  EVAL_OOV_WORDS,
  EVAL_SOUNDALIKES,
  TRAIN_SOUNDALIKES,
  TRAIN_UNKNOWN_WORDS,
  UNSEEN_TEST_WORDS,
} from '../../src/synth/index.js';

const SPEECH_COMMANDS_WORDS: readonly string[] = [...COMMAND_WORDS, ...AUXILIARY_WORDS_V1, ...ADDED_WORDS_V2];
const evalSoundalikes = Object.values(EVAL_SOUNDALIKES).flat();
const trainSoundalikes = Object.values(TRAIN_SOUNDALIKES).flat();
const LISTS: Readonly<Record<string, readonly string[]>> = {
  TRAIN_UNKNOWN_WORDS,
  EVAL_OOV_WORDS,
  EVAL_SOUNDALIKES: evalSoundalikes,
  TRAIN_SOUNDALIKES: trainSoundalikes,
};

function shared(a: readonly string[], b: readonly string[]): string[] {
  const set = new Set(b);
  return a.filter((w) => set.has(w));
}

describe('word lists for the unknown class', () => {
  it('hold 2,076 training words, 397 held-out ordinary words and 10 held-out sound-alikes per command', () => {
    assert.equal(SPEECH_COMMANDS_WORDS.length, 35);
    assert.equal(TRAIN_UNKNOWN_WORDS.length, 2076);
    assert.equal(trainSoundalikes.length, 96);
    assert.equal(EVAL_OOV_WORDS.length, 397);
    assert.deepEqual(Object.keys(EVAL_SOUNDALIKES), [...COMMAND_WORDS]);
    assert.deepEqual(Object.keys(TRAIN_SOUNDALIKES), [...COMMAND_WORDS]);
    for (const command of COMMAND_WORDS) {
      assert.equal(EVAL_SOUNDALIKES[command].length, 10, command);
      assert.ok(TRAIN_SOUNDALIKES[command].length >= 8, command);
    }
  });

  it('contain none of the 35 Speech Commands words and none of the corpus test set unseen words', () => {
    for (const [name, words] of Object.entries(LISTS)) {
      assert.deepEqual(shared(words, SPEECH_COMMANDS_WORDS), [], name);
      assert.deepEqual(shared(words, UNSEEN_TEST_WORDS), [], name);
    }
  });

  it('keep the training words apart from every held-out word', () => {
    assert.deepEqual(shared(TRAIN_UNKNOWN_WORDS, EVAL_OOV_WORDS), []);
    assert.deepEqual(shared(TRAIN_UNKNOWN_WORDS, evalSoundalikes), []);
    assert.deepEqual(shared(EVAL_OOV_WORDS, evalSoundalikes), []);
    assert.deepEqual(shared(trainSoundalikes, evalSoundalikes), []);
    assert.deepEqual(
      shared(trainSoundalikes, TRAIN_UNKNOWN_WORDS),
      trainSoundalikes,
      'the training sound-alikes are training words',
    );
  });

  it('have no duplicates and only lowercase a-z words', () => {
    for (const [name, words] of Object.entries(LISTS)) {
      assert.equal(new Set(words).size, words.length, name);
      assert.deepEqual(
        words.filter((w) => !/^[a-z]+$/.test(w)),
        [],
        name,
      );
    }
  });

  it('leave out exact homophones of commands and words that mean a command', () => {
    const excluded = [
      'know',
      'knows',
      'noh',
      'write',
      'rite',
      'wright',
      'awn',
      'yeah',
      'yep',
      'yup',
      'nope',
      'nah',
      'nay',
      'aye',
    ];
    for (const [name, words] of Object.entries(LISTS)) assert.deepEqual(shared(words, excluded), [], name);
  });

  it('hold out every sixth word of the alphabetical pool of ordinary words', () => {
    const soundalikes = new Set(trainSoundalikes);
    const pool = [...EVAL_OOV_WORDS, ...TRAIN_UNKNOWN_WORDS.filter((w) => !soundalikes.has(w))].sort();
    assert.equal(pool.length, 2377);
    assert.deepEqual(
      pool.filter((_, i) => i % 6 === 0),
      [...EVAL_OOV_WORDS],
    );
  });
});
