import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { labelForWord, LABELS } from '../../src/labels/index.js';
import { speakerOf, whichSet } from '../../src/data/index.js';
import { realDataDir } from '../helpers/signals.js';

describe('the Speech Commands hashing split', () => {
  const dir = join(realDataDir(), 'vinsis-v0.01');
  const read = (name: string): string[] =>
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);

  it('reproduces the official v0.01 validation and testing lists, all 13,633 names', () => {
    const validation = read('validation_list.txt');
    const testing = read('testing_list.txt');
    assert.equal(validation.length, 6798);
    assert.equal(testing.length, 6835);
    assert.deepEqual(
      validation.filter((f) => whichSet(f) !== 'validation'),
      [],
    );
    assert.deepEqual(
      testing.filter((f) => whichSet(f) !== 'testing'),
      [],
    );
  });

  it('never puts one speaker in two splits', () => {
    const bySpeaker = new Map<string, Set<string>>();
    for (const file of [...read('validation_list.txt'), ...read('testing_list.txt')]) {
      const speaker = speakerOf(file) as string;
      bySpeaker.set(speaker, (bySpeaker.get(speaker) ?? new Set()).add(whichSet(file)));
    }
    assert.ok(bySpeaker.size > 300, `${bySpeaker.size} speakers`);
    assert.deepEqual(
      [...bySpeaker.values()].filter((s) => s.size > 1),
      [],
    );
  });

  it('sends about 10 % / 10 % / 80 % of names to validation / testing / training', () => {
    const counts = { training: 0, validation: 0, testing: 0 };
    for (let i = 0; i < 20_000; i++) counts[whichSet(`${i.toString(16).padStart(8, '0')}_nohash_0.wav`)]++;
    assert.ok(
      Math.abs(counts.validation / 20_000 - 0.1) < 0.01 && Math.abs(counts.testing / 20_000 - 0.1) < 0.01,
      JSON.stringify(counts),
    );
  });

  it('reads speaker ids, including the word-prefixed names of the v0.02 test set', () => {
    assert.equal(speakerOf('yes/0a7c2a8d_nohash_0.wav'), '0a7c2a8d');
    assert.equal(speakerOf('_unknown_/backward_0c540988_nohash_0.wav.wav'), '0c540988');
    assert.equal(speakerOf('_silence_/1050.wav'), null);
  });
});

describe('labels', () => {
  it('lists the 12 classes in submission order', () => {
    assert.deepEqual(LABELS, [
      'yes',
      'no',
      'up',
      'down',
      'left',
      'right',
      'on',
      'off',
      'stop',
      'go',
      'silence',
      'unknown',
    ]);
  });

  it('keeps command words, maps _silence_ to silence and every other word to unknown', () => {
    assert.equal(labelForWord('stop'), 'stop');
    assert.equal(labelForWord('_silence_'), 'silence');
    assert.equal(labelForWord('_unknown_'), 'unknown');
    assert.equal(labelForWord('marvin'), 'unknown');
    assert.equal(labelForWord('backward'), 'unknown');
    assert.equal(labelForWord('Yes'), 'unknown', 'folder names are case-sensitive, as in the dataset');
  });
});
