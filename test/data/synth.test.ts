import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { decodeAudio } from '../../src/audio/index.js';
import { drawSpeakers, EspeakSynthesizer, speakerId, synthesizeCorpus } from '../../src/synth/index.js';
import { LABELS } from '../../src/labels/index.js';
import { Rng, scanSpeechCommands, whichSet } from '../../src/data/index.js';
import type { SynthReport } from '../../src/synth/index.js';
import { runKws } from '../helpers/cli.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

/** SHA-1 of every file under `dir`, by relative path. */
function digest(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files
      .map((e) => [
        relative(dir, join(e.parentPath, e.name)),
        createHash('sha1')
          .update(readFileSync(join(e.parentPath, e.name)))
          .digest('hex'),
      ])
      .sort(),
  );
}

describe('kws synth', () => {
  const words = ['yes', 'no', 'marvin'];
  const options = { perWord: 4, testClips: 36, seed: 7, words, realNoiseDir: realDataDir() };
  let first: string;
  let report: SynthReport;

  before(async () => {
    first = tempDir('kws-synth-a-');
    report = await synthesizeCorpus({ ...options, outDir: first });
  });

  it('writes the Speech Commands layout: word folders, background noise, lists, manifest, Kaggle test set', () => {
    const entries = readdirSync(first).sort();
    assert.deepEqual(entries, [
      'SYNTH.json',
      '_background_noise_',
      'marvin',
      'no',
      'test',
      'testing_list.txt',
      'validation_list.txt',
      'yes',
    ]);
    for (const word of words) {
      const files = readdirSync(join(first, word));
      assert.equal(files.length, 4);
      for (const file of files) assert.match(file, /^[0-9a-f]{8}_nohash_0\.wav$/);
    }
    const noise = readdirSync(join(first, '_background_noise_')).sort();
    assert.deepEqual(noise, [
      'brown_noise.wav',
      'doing_the_dishes.wav',
      'doing_the_dishes_2.wav',
      'dude_miaowing.wav',
      'exercise_bike.wav',
      'pink_noise.wav',
      'pink_noise_2.wav',
      'running_tap.wav',
      'white_noise.wav',
      'white_noise_2.wav',
    ]);
    const csv = readFileSync(join(first, 'test', 'labels.csv'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(csv[0], 'fname,label');
    assert.equal(csv.length, 37);
    const rows = csv.slice(1).map((line) => line.split(','));
    assert.deepEqual(
      rows.map((r) => r[0]),
      [...rows.map((r) => r[0])].sort(),
      'sorted by fname',
    );
    assert.ok(
      rows.every(
        ([fname, label]) => /^clip_[0-9a-f]{9}\.wav$/.test(fname!) && (LABELS as readonly string[]).includes(label!),
      ),
    );
    assert.deepEqual(
      readdirSync(join(first, 'test', 'audio')).sort(),
      rows.map((r) => r[0]),
    );
    assert.equal(report.clips, 12);
  });

  it('writes 1 s of 16 kHz mono 16-bit audio per clip, with the word audible above the floor', async () => {
    for (const file of [
      join(first, 'yes', readdirSync(join(first, 'yes'))[0]!),
      join(first, 'test', 'audio', readdirSync(join(first, 'test', 'audio'))[0]!),
    ]) {
      const bytes = readFileSync(file);
      assert.equal(bytes.length, 44 + 32_000);
      const decoded = await decodeAudio(bytes);
      assert.equal(decoded.info.codec, 'pcm_s16le');
      assert.equal(decoded.samples.length, 16_000);
    }
    const speech = await decodeAudio(readFileSync(join(first, 'marvin', readdirSync(join(first, 'marvin'))[0]!)));
    assert.ok(speech.info.rmsDbfs > -40 && speech.info.rmsDbfs < -10, `level ${speech.info.rmsDbfs} dBFS`);
  });

  it('lists validation and testing clips by the dataset hashing rule', () => {
    const validation = readFileSync(join(first, 'validation_list.txt'), 'utf8').split('\n').filter(Boolean);
    const testing = readFileSync(join(first, 'testing_list.txt'), 'utf8').split('\n').filter(Boolean);
    assert.ok(validation.every((p) => whichSet(p) === 'validation'));
    assert.ok(testing.every((p) => whichSet(p) === 'testing'));
  });

  it('gives the same bytes for the same seed and different ones for another seed', async () => {
    const second = tempDir('kws-synth-b-');
    await synthesizeCorpus({ ...options, outDir: second });
    assert.deepEqual(digest(second), digest(first));
    const other = tempDir('kws-synth-c-');
    await synthesizeCorpus({ ...options, seed: 8, testClips: 0, outDir: other });
    assert.notDeepEqual(digest(join(other, 'yes')), digest(join(first, 'yes')));
  });

  it('synthesizes the same samples whatever the clock says (eSpeak seeds its breath noise from it)', async () => {
    const voice = { voice: 'en-us', variant: 'f2', pitch: 50, range: 50, rateWpm: 175 };
    const first = await EspeakSynthesizer.create();
    const a = [
      first.synthesize('yes', voice).samples,
      first.synthesize('sheila', { ...voice, variant: 'sandro' }).samples,
    ];
    const realNow = Date.now;
    Date.now = () => realNow() + 123_456_789;
    try {
      const second = await EspeakSynthesizer.create();
      const b = [
        second.synthesize('yes', voice).samples,
        second.synthesize('sheila', { ...voice, variant: 'sandro' }).samples,
      ];
      assert.deepEqual(b, a);
    } finally {
      Date.now = realNow;
    }
  });

  it('refuses a folder that is not empty', async () => {
    await assert.rejects(synthesizeCorpus({ ...options, outDir: first }), {
      code: 'INVALID_ARGUMENT',
      message: /is not empty/,
    });
  });

  it('is read back by the dataset reader and kws dataset --json', async () => {
    const dataset = await scanSpeechCommands(first);
    assert.equal(dataset.splitSource, 'lists');
    assert.equal(dataset.backgroundNoise.length, 10);
    const result = await runKws('dataset', first, '--json');
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      splits: Record<string, Record<string, number>>;
      testClips: number;
      backgroundNoise: number;
    };
    assert.deepEqual(Object.keys(summary.splits), ['training', 'validation', 'testing']);
    assert.deepEqual(Object.keys(summary.splits['training']!), [...LABELS]);
    const total = Object.values(summary.splits).reduce((sum, split) => sum + split['yes']! + split['no']!, 0);
    assert.equal(total, 8);
    assert.equal(summary.testClips, 36);
    assert.equal(summary.backgroundNoise, 10);
  });
});

describe('synthetic speakers', () => {
  it('draws distinct speakers with stable 8-hex-digit ids from their settings', () => {
    const speakers = drawSpeakers(50, new Rng(1));
    assert.equal(new Set(speakers.map((s) => s.id)).size, 50);
    for (const s of speakers) {
      assert.match(s.id, /^[0-9a-f]{8}$/);
      assert.equal(speakerId('espeak-ng', s), s.id);
    }
    assert.deepEqual(drawSpeakers(50, new Rng(1)), speakers);
    assert.notEqual(speakerId('espeak-ng', { ...speakers[0]!, pitch: speakers[0]!.pitch + 1 }), speakers[0]!.id);
  });
});
