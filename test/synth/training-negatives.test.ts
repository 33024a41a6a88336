import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  SYNTH_NON_SPEECH_KINDS,
  SYNTH_SOUNDALIKE_WORDS,
  SYNTH_UNKNOWN_WORD_POOL_SIZE,
} from '../../src/cli/synth.command.js';
import { decodeAudio } from '../../src/audio/index.js';
import { Rng, scanSpeechCommands, whichSet } from '../../src/data/index.js';
import { ADDED_WORDS_V2, COMMAND_WORDS, labelForWord, WORDS_V1 } from '../../src/labels/index.js';
import {
  COMPOSED_UNKNOWN_DIR,
  drawComposedRecipe,
  drawSpeakers,
  drawTrainingSpeakers,
  drawUnknownWords,
  energyMidpoint,
  ESPEAK_HUMAN_VARIANTS,
  EVAL_OOV_WORDS,
  EVAL_SOUNDALIKES,
  HELD_OUT_ESPEAK_VARIANTS,
  TRAIN_SOUNDALIKES,
  NON_SPEECH_KINDS,
  NON_SPEECH_UNKNOWN_DIR,
  nonSpeechSplitOf,
  reverseUtterance,
  spliceHalves,
  spliceSaysCommand,
  synthesizeCorpus,
  TRAIN_UNKNOWN_WORDS,
  TRAINING_ESPEAK_VARIANTS,
  UNKNOWN_WORD_POOL,
  UNSEEN_TEST_WORDS,
} from '../../src/synth/index.js';
import type {
  ComposedClipRecord,
  NonSpeechClipRecord,
  SynthOptions,
  SynthReport,
  SyntheticSpeaker,
} from '../../src/synth/index.js';
import { runKws } from '../helpers/cli.js';
import { tempDir } from '../helpers/signals.js';

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

/** The entries of `digest` under `folder/`. */
function under(files: Record<string, string>, folder: string): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith(`${folder}/`)));
}

interface Manifest {
  speakers: SyntheticSpeaker[];
  excludeHeldOutVoices?: { variants: string[]; heldOut: string[] };
  unknownWords?: { count: number; clips: number; words: string[] };
  soundalikes?: { speakersPerWord: number; clips: number; words: string[] };
  composedUnknowns?: {
    folder: string;
    clips: number;
    splices: number;
    reversed: number;
    records: ComposedClipRecord[];
  };
  nonSpeech?: {
    folder: string;
    silenceKinds?: string[];
    perKind: number;
    clips: number;
    parameterHalf: string;
    records: NonSpeechClipRecord[];
  };
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'SYNTH.json'), 'utf8')) as Manifest;
}

/**
 * Every file of the tiny corpus below (`words: ['yes', 'marvin'], perWord: 2, seed: 11, testClips: 3`,
 * no real noise), hashed before the options that teach `unknown` existed (commit 1fef78d).
 */
const BEFORE_NEGATIVES: Record<string, string> = {
  'SYNTH.json': '11cf16b75153d1365188a31b65cc9d4eb1fa24d0',
  '_background_noise_/brown_noise.wav': '3caf3f20164ce8eaf70437c783a2ead22aff3d01',
  '_background_noise_/pink_noise.wav': '3127c57084f825cabb8034dd4ed9beb3fbe86cd1',
  '_background_noise_/white_noise.wav': '3b73972b10bf407bceae5e2728d0a6c5a58631c4',
  'marvin/74311fde_nohash_0.wav': '68e5e0fb08ecc4291bfce6d81899f22e019a4322',
  'marvin/f8219a52_nohash_0.wav': '0e3451fd723c394a1585b9f4918702df1ffcc1f4',
  'test/audio/clip_63970636b.wav': '95ef09b69b5dc5e42efaee1f2cb3f5d37032e9da',
  'test/audio/clip_656839743.wav': '04e6531f81c89ad5cd5551b3be5341c1867b53c1',
  'test/audio/clip_dc12b1313.wav': '33a8bb17b676b0a34abf521514526f99ca2185ac',
  'test/labels.csv': '03de3c6d385c4f4225ffe1f78d8161d50ec58e63',
  'testing_list.txt': 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'validation_list.txt': 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'yes/74311fde_nohash_0.wav': '0b62a7d1b525b791bfa379a3a02e2bf996d073fd',
  'yes/f8219a52_nohash_0.wav': 'f0c4d162e1e9f9ff4acac24765bf43d691264ba3',
};

const TINY = { words: ['yes', 'marvin'], perWord: 2, seed: 11, testClips: 3, realNoiseDir: null } as const;
const NEGATIVES = { unknownWords: 3, composedUnknowns: 8, nonSpeech: 1 } as const;
const EVALUATION_WORDS = new Set([...EVAL_OOV_WORDS, ...Object.values(EVAL_SOUNDALIKES).flat()]);
const THIRTY_FIVE = new Set<string>([...WORDS_V1, ...ADDED_WORDS_V2]);

describe('kws synth options that teach unknown', () => {
  let plain: string;
  let withNegatives: string;
  let report: SynthReport;

  const build = async (prefix: string, options: Partial<SynthOptions>): Promise<[string, SynthReport]> => {
    const dir = tempDir(prefix);
    return [dir, await synthesizeCorpus({ ...TINY, ...options, outDir: dir })];
  };

  before(async () => {
    [plain] = await build('kws-neg-plain-', {});
    [withNegatives, report] = await build('kws-neg-on-', NEGATIVES);
  });

  it('gives the same bytes as before the options existed when they are left at their defaults', () => {
    assert.deepEqual(digest(plain), BEFORE_NEGATIVES);
  });

  it('writes the drawn words, _composed_ and _non_speech_ beside the corpus words and leaves every other file as it was', () => {
    assert.deepEqual(readdirSync(withNegatives).sort(), [
      'SYNTH.json',
      '_background_noise_',
      '_composed_',
      '_non_speech_',
      'coyote',
      'marvin',
      'over',
      'test',
      'testing_list.txt',
      'validation_list.txt',
      'wire',
      'yes',
    ]);
    const files = digest(withNegatives);
    for (const folder of ['yes', 'marvin', '_background_noise_', 'test'])
      assert.deepEqual(under(files, folder), under(BEFORE_NEGATIVES, folder), folder);
    for (const word of ['coyote', 'over', 'wire'])
      assert.deepEqual(readdirSync(join(withNegatives, word)).sort(), [
        '74311fde_nohash_0.wav',
        'f8219a52_nohash_0.wav',
      ]);
    assert.equal(readdirSync(join(withNegatives, COMPOSED_UNKNOWN_DIR)).length, 8);
    assert.deepEqual(
      readdirSync(join(withNegatives, NON_SPEECH_UNKNOWN_DIR)).sort(),
      [...NON_SPEECH_KINDS].sort().map((kind) => `${kind}-0000_nohash_0.wav`),
    );
    assert.deepEqual(
      { ...report, corpusSeconds: 0, testSeconds: 0, testClipsPerSecond: 0 },
      {
        outDir: withNegatives,
        words: 2,
        speakers: 2,
        clips: 4,
        unknownWords: 3,
        unknownWordClips: 6,
        soundalikeWords: 0,
        soundalikeClips: 0,
        composedClips: 8,
        nonSpeechClips: 13,
        backgroundNoise: ['white_noise.wav', 'pink_noise.wav', 'brown_noise.wav'],
        testClips: 3,
        corpusSeconds: 0,
        testSeconds: 0,
        testClipsPerSecond: 0,
      },
    );
  });

  it('writes 1 s of 16 kHz mono 16-bit audio with the sound above the noise floor in each new folder', async () => {
    for (const file of [
      'coyote/74311fde_nohash_0.wav',
      '_composed_/74311fde_nohash_0.wav',
      '_non_speech_/tone-0000_nohash_0.wav',
    ]) {
      const decoded = await decodeAudio(readFileSync(join(withNegatives, file)));
      assert.equal(decoded.samples.length, 16_000, file);
      assert.equal(decoded.info.codec, 'pcm_s16le', file);
      assert.ok(decoded.info.rmsDbfs > -45 && decoded.info.rmsDbfs < -10, `${file}: ${decoded.info.rmsDbfs} dBFS`);
    }
  });

  it('records the options, counts and every clip in SYNTH.json, and nothing new when they are off', () => {
    const manifest = manifestOf(withNegatives);
    assert.deepEqual(manifest.unknownWords, { count: 3, clips: 6, words: ['coyote', 'over', 'wire'] });
    const composed = manifest.composedUnknowns!;
    assert.deepEqual([composed.folder, composed.clips, composed.splices, composed.reversed], ['_composed_', 8, 6, 2]);
    assert.deepEqual(
      composed.records.map((r) => r.kind),
      ['splice', 'splice', 'splice', 'reversed', 'splice', 'splice', 'splice', 'reversed'],
    );
    const nonSpeech = manifest.nonSpeech!;
    assert.deepEqual(
      [nonSpeech.folder, nonSpeech.perKind, nonSpeech.clips, nonSpeech.parameterHalf],
      ['_non_speech_', 1, 13, 'train'],
    );
    assert.equal(manifest.excludeHeldOutVoices, undefined);
    assert.deepEqual(Object.keys(manifestOf(plain)), [
      'generator',
      'engine',
      'seed',
      'perWord',
      'testClips',
      'words',
      'speakers',
    ]);
  });

  it('says no evaluation word, no Speech Commands word and no unseen test word as an unknown word', () => {
    const manifest = manifestOf(withNegatives);
    for (const word of manifest.unknownWords!.words) {
      assert.ok(!EVALUATION_WORDS.has(word) && !THIRTY_FIVE.has(word), word);
      assert.ok(!(UNSEEN_TEST_WORDS as readonly string[]).includes(word), word);
      assert.ok(TRAIN_UNKNOWN_WORDS.includes(word), word);
    }
    for (const record of manifest.composedUnknowns!.records)
      for (const word of record.words) assert.ok(!EVALUATION_WORDS.has(word), `${record.file}: ${word}`);
  });

  it("composes one speaker's words: a splice has two different words, at least one a command, that cannot say the command again", () => {
    const manifest = manifestOf(withNegatives);
    const speakers = new Set(manifest.speakers.map((s) => s.id));
    const count = new Map<string, number>();
    for (const record of manifest.composedUnknowns!.records) {
      assert.ok(speakers.has(record.speaker), record.file);
      const n = count.get(record.speaker) ?? 0;
      count.set(record.speaker, n + 1);
      assert.equal(record.file, `_composed_/${record.speaker}_nohash_${n}.wav`);
      if (record.kind === 'reversed') {
        assert.ok(!['no', 'on', 'tire'].includes(record.words[0]), record.words[0]);
        continue;
      }
      const [a, b] = record.words;
      assert.notEqual(a, b);
      const command = (COMMAND_WORDS as readonly string[]).includes(a) ? a : b;
      assert.ok((COMMAND_WORDS as readonly string[]).includes(command), `${a} + ${b}`);
      assert.equal(spliceSaysCommand(command, command === a ? b : a), false, `${a} + ${b}`);
    }
  });

  it('draws every non-speech clip from the training half of its kind', () => {
    const records = manifestOf(withNegatives).nonSpeech!.records;
    assert.deepEqual(
      records.map((r) => r.params.kind),
      [...NON_SPEECH_KINDS],
    );
    for (const record of records) assert.equal(nonSpeechSplitOf(record.params), 'train', record.file);
  });

  it('lists the new clips in validation_list.txt and testing_list.txt by the hashing rule', () => {
    const listed = ['validation_list.txt', 'testing_list.txt'].flatMap((name) =>
      readFileSync(join(withNegatives, name), 'utf8').split('\n').filter(Boolean),
    );
    const all = Object.keys(digest(withNegatives)).filter((p) => /_nohash_/.test(p) && !p.startsWith('test/'));
    assert.deepEqual(listed.sort(), all.filter((p) => whichSet(p) !== 'training').sort());
    assert.equal(all.length, 4 + 6 + 8 + 13);
  });

  it('is read back by scanSpeechCommands with every new folder labelled unknown', async () => {
    const dataset = await scanSpeechCommands(withNegatives);
    const perFolder: Record<string, number> = {};
    for (const split of ['training', 'validation', 'testing'] as const)
      for (const [word, n] of Object.entries(dataset.wordCounts[split])) perFolder[word] = (perFolder[word] ?? 0) + n;
    assert.deepEqual(perFolder, { _composed_: 8, _non_speech_: 13, coyote: 2, marvin: 2, over: 2, wire: 2, yes: 2 });
    for (const folder of ['_composed_', '_non_speech_', 'coyote', 'over', 'wire'])
      assert.equal(labelForWord(folder), 'unknown', folder);
    const examples = Object.values(dataset.examples).flat();
    for (const example of examples)
      if (example.kind === 'word' && example.word !== 'yes')
        assert.equal(example.label, 'unknown', example.relativePath);
  });

  it('gives the same bytes for the same options', async () => {
    const [again] = await build('kws-neg-again-', NEGATIVES);
    assert.deepEqual(digest(again), digest(withNegatives));
  });

  it('draws speakers from no held-out variant with excludeHeldOutVoices, and records it', async () => {
    const [dir] = await build('kws-neg-voices-', { excludeHeldOutVoices: true, perWord: 6, testClips: 0 });
    const manifest = manifestOf(dir);
    assert.equal(manifest.speakers.length, 6);
    for (const speaker of manifest.speakers)
      assert.ok(!(HELD_OUT_ESPEAK_VARIANTS as readonly string[]).includes(speaker.variant), speaker.variant);
    assert.deepEqual(manifest.excludeHeldOutVoices, {
      variants: [...TRAINING_ESPEAK_VARIANTS],
      heldOut: [...HELD_OUT_ESPEAK_VARIANTS],
    });
  });

  it('writes the nonSpeechSilence kinds to _silence_/ (read back as silence) with the same bytes, and records them', async () => {
    const [dir] = await build('kws-neg-silence-', { ...NEGATIVES, nonSpeechSilence: ['engine', 'noise-burst'] });
    const moved = ['_silence_/engine-0000_nohash_0.wav', '_silence_/noise-burst-0000_nohash_0.wav'];
    const files = digest(dir);
    const before = digest(withNegatives);
    for (const file of moved) assert.equal(files[file], before[file.replace('_silence_', '_non_speech_')], file);
    assert.deepEqual(
      readdirSync(join(dir, '_silence_')).sort(),
      moved.map((f) => f.slice('_silence_/'.length)),
    );
    assert.equal(readdirSync(join(dir, NON_SPEECH_UNKNOWN_DIR)).length, 11);
    // In NON_SPEECH_KINDS order, whatever the order asked.
    assert.deepEqual(manifestOf(dir).nonSpeech?.silenceKinds, ['noise-burst', 'engine']);
    const dataset = await scanSpeechCommands(dir);
    const silenced = Object.values(dataset.examples)
      .flat()
      .filter((e) => e.kind === 'word' && e.word === '_silence_');
    assert.deepEqual(
      silenced.map((e) => e.label),
      ['silence', 'silence'],
    );
  });

  it('refuses an unknown non-speech kind for nonSpeechSilence, and nonSpeechSilence without nonSpeech', async () => {
    const dir = join(tempDir('kws-neg-bad-kind-'), 'corpus');
    await assert.rejects(
      synthesizeCorpus({ ...TINY, outDir: dir, nonSpeech: 1, nonSpeechSilence: ['thunder' as 'engine'] }),
      {
        code: 'INVALID_ARGUMENT',
        message: `nonSpeechSilence: "thunder" is not a non-speech kind; choose from ${NON_SPEECH_KINDS.join(', ')}`,
      },
    );
    await assert.rejects(synthesizeCorpus({ ...TINY, outDir: dir, nonSpeechSilence: ['engine'] }), {
      code: 'INVALID_ARGUMENT',
      message: 'nonSpeechSilence needs nonSpeech clips per kind (it is 0)',
    });
    assert.equal(existsSync(dir), false);
  });

  it('refuses more speakers per sound-alike than the corpus has', async () => {
    const dir = join(tempDir('kws-neg-bad-'), 'corpus');
    await assert.rejects(synthesizeCorpus({ ...TINY, outDir: dir, soundalikeSpeakers: 3 }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'soundalikeSpeakers must be an integer from 0 to perWord (2), got 3',
    });
    assert.equal(existsSync(dir), false);
  });

  it('refuses more unknown words than the pool holds before writing anything', async () => {
    const dir = join(tempDir('kws-neg-bad-'), 'corpus');
    await assert.rejects(synthesizeCorpus({ ...TINY, outDir: dir, words: undefined, unknownWords: 2076 }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'unknownWords must be an integer from 0 to 2075 (the training words left), got 2076',
    });
    await assert.rejects(synthesizeCorpus({ ...TINY, outDir: dir, composedUnknowns: -1 }), {
      code: 'INVALID_ARGUMENT',
      message: 'composedUnknowns must be an integer from 0 to 1000000, got -1',
    });
    await assert.rejects(synthesizeCorpus({ ...TINY, outDir: dir, nonSpeech: 1.5 }), {
      code: 'INVALID_ARGUMENT',
      message: 'nonSpeech must be an integer from 0 to 100000, got 1.5',
    });
    assert.equal(existsSync(dir), false);
  });
});

describe('kws synth --soundalike-speakers', () => {
  let dir: string;
  let report: SynthReport;
  const options = { ...TINY, words: ['yes', 'best'], perWord: 3, testClips: 0, soundalikeSpeakers: 1 } as const;

  before(async () => {
    dir = tempDir('kws-soundalikes-');
    report = await synthesizeCorpus({ ...options, outDir: dir });
  });

  it("says every training sound-alike that is not a corpus word (nor test, the test set's folder) once, by one of the corpus's speakers", () => {
    const expected = Object.values(TRAIN_SOUNDALIKES)
      .flat()
      .filter((word) => word !== 'best' && word !== 'test');
    assert.equal(expected.length, 94);
    assert.deepEqual([report.soundalikeWords, report.soundalikeClips], [94, 94]);
    const manifest = manifestOf(dir);
    assert.deepEqual(manifest.soundalikes, { speakersPerWord: 1, clips: 94, words: expected });
    const speakers = new Set(manifest.speakers.map((s) => `${s.id}_nohash_0.wav`));
    const used = new Set<string>();
    for (const word of expected) {
      const files = readdirSync(join(dir, word));
      assert.equal(files.length, 1, word);
      assert.ok(speakers.has(files[0]!), `${word}: ${files[0]}`);
      used.add(files[0]!);
    }
    // The speaker is drawn per word, not always the first.
    assert.equal(used.size, 3);
    assert.equal(readdirSync(join(dir, 'best')).length, 3);
  });

  it('labels them unknown, lists them by the hashing rule, and says no evaluation word', async () => {
    for (const word of manifestOf(dir).soundalikes!.words) {
      assert.equal(labelForWord(word), 'unknown', word);
      assert.ok(!EVALUATION_WORDS.has(word), word);
    }
    const listed =
      readFileSync(join(dir, 'validation_list.txt'), 'utf8') + readFileSync(join(dir, 'testing_list.txt'), 'utf8');
    const paths = manifestOf(dir).soundalikes!.words.flatMap((w) => readdirSync(join(dir, w)).map((f) => `${w}/${f}`));
    for (const path of paths) assert.equal(listed.includes(`${path}\n`), whichSet(path) !== 'training', path);
    const dataset = await scanSpeechCommands(dir, { unknownPercentage: 100 });
    const unknown = Object.values(dataset.otherWords).flat().length;
    assert.equal(unknown, 94 + 3);
    assert.equal(existsSync(join(dir, 'test')), false);
  });

  it('does not say again a sound-alike that --unknown-words drew (every speaker says it already)', async () => {
    // Seed 17's draw of 60 words holds four training sound-alikes (coffee, flop, loud, pond).
    const drawnDir = tempDir('kws-soundalikes-drawn-');
    const drawn = await synthesizeCorpus({ ...options, perWord: 2, seed: 17, unknownWords: 60, outDir: drawnDir });
    const manifest = manifestOf(drawnDir);
    const all = new Set(Object.values(TRAIN_SOUNDALIKES).flat());
    const both = manifest.unknownWords!.words.filter((w) => all.has(w));
    assert.ok(both.length > 0, 'the draw holds a sound-alike');
    for (const word of both) {
      assert.ok(!manifest.soundalikes!.words.includes(word), word);
      assert.equal(readdirSync(join(drawnDir, word)).length, 2, word);
    }
    assert.equal(drawn.soundalikeWords, 94 - both.length);
  });

  it('leaves the corpus words as a corpus without the option writes them', async () => {
    const plain = tempDir('kws-soundalikes-off-');
    await synthesizeCorpus({ ...options, soundalikeSpeakers: 0, outDir: plain });
    for (const folder of ['yes', 'best', '_background_noise_'])
      assert.deepEqual(under(digest(dir), folder), under(digest(plain), folder), folder);
    assert.equal(manifestOf(plain).soundalikes, undefined);
  });
});

describe('training speakers and words', () => {
  it('draws from the 73 variants that are not held out', () => {
    assert.equal(TRAINING_ESPEAK_VARIANTS.length, 73);
    assert.equal(ESPEAK_HUMAN_VARIANTS.length - HELD_OUT_ESPEAK_VARIANTS.length, 73);
    const variants = new Set(drawTrainingSpeakers(2000, new Rng(3)).map((s) => s.variant));
    assert.deepEqual([...variants].sort(), [...TRAINING_ESPEAK_VARIANTS].sort());
    const all = new Set(drawSpeakers(2000, new Rng(3)).map((s) => s.variant));
    assert.equal(all.size, 83);
  });

  it('keeps test, the 35 words and every evaluation word out of the unknown-word pool', () => {
    assert.equal(UNKNOWN_WORD_POOL.length, 2075);
    assert.deepEqual(
      TRAIN_UNKNOWN_WORDS.filter((w) => !UNKNOWN_WORD_POOL.includes(w)),
      ['test'],
    );
    for (const word of UNKNOWN_WORD_POOL) {
      assert.ok(!EVALUATION_WORDS.has(word) && !THIRTY_FIVE.has(word), word);
      assert.equal(labelForWord(word), 'unknown', word);
    }
  });

  it('draws distinct words, sorted, none of them taken', () => {
    const words = drawUnknownWords(50, new Rng(1), ['above']);
    assert.equal(new Set(words).size, 50);
    assert.deepEqual(words, [...words].sort());
    assert.ok(!words.includes('above'));
    assert.deepEqual(drawUnknownWords(50, new Rng(1), ['above']), words);
    assert.equal(drawUnknownWords(2074, new Rng(1), ['above']).length, 2074);
    assert.throws(() => drawUnknownWords(2075, new Rng(1), ['above']), {
      code: 'INVALID_ARGUMENT',
      message: 'unknownWords must be an integer from 0 to 2074 (the training words left), got 2075',
    });
  });
});

describe('composed unknowns', () => {
  it('finds the energy midpoint: half the sum of squares before it', () => {
    assert.equal(energyMidpoint(Float32Array.from([1, 1, 1, 1])), 2);
    assert.equal(energyMidpoint(Float32Array.from([0, 0, 2, 1, 1, 1, 1])), 3);
    assert.equal(energyMidpoint(new Float32Array(5)), 2);
  });

  it('joins the first half of one utterance to the second half of another with a 10 ms cross-fade', () => {
    const first = new Float32Array(1000).fill(0.5);
    const second = new Float32Array(600).fill(-0.25);
    const spliced = spliceHalves(first, second);
    assert.equal(spliced.length, 500 + 300 - 160);
    assert.equal(spliced[0], 0.5);
    assert.equal(spliced[339], 0.5);
    assert.equal(spliced[500], -0.25);
    assert.equal(spliced[spliced.length - 1], -0.25);
    assert.ok((spliced[420] as number) < 0.5 && (spliced[420] as number) > -0.25);
  });

  it('plays a reversed word backwards, leaving the input as it was', () => {
    const word = Float32Array.from([1, 2, 3]);
    assert.deepEqual(reverseUtterance(word), Float32Array.from([3, 2, 1]));
    assert.deepEqual(word, Float32Array.from([1, 2, 3]));
  });

  it('refuses splices that say the command again: itself, its sound-alikes, its rhyme', () => {
    assert.equal(spliceSaysCommand('go', 'go'), true);
    assert.equal(spliceSaysCommand('go', 'no'), true);
    assert.equal(spliceSaysCommand('no', 'go'), true);
    assert.equal(spliceSaysCommand('on', 'one'), true);
    assert.equal(spliceSaysCommand('yes', 'best'), true);
    assert.equal(spliceSaysCommand('go', 'so'), true);
    assert.equal(spliceSaysCommand('yes', 'dog'), false);
    assert.equal(spliceSaysCommand('left', 'right'), false);
  });

  it('makes every 4th recipe a reversal and every splice of a command with another word', () => {
    const speakers = drawSpeakers(3, new Rng(2));
    const recipes = Array.from({ length: 400 }, (_, i) =>
      drawComposedRecipe(i, new Rng(i), speakers, UNKNOWN_WORD_POOL),
    );
    assert.equal(recipes.filter((r) => r.kind === 'reversed').length, 100);
    assert.ok(recipes.every((r, i) => (r.kind === 'reversed') === (i % 4 === 3)));
    for (const recipe of recipes) {
      if (recipe.kind === 'reversed') continue;
      const commands = recipe.words.filter((w) => (COMMAND_WORDS as readonly string[]).includes(w));
      assert.ok(commands.length >= 1, recipe.words.join('+'));
      assert.notEqual(recipe.words[0], recipe.words[1]);
    }
    assert.deepEqual(drawComposedRecipe(5, new Rng(5), speakers, UNKNOWN_WORD_POOL), recipes[5]);
  });
});

describe('kws synth flags that teach unknown', () => {
  it('agrees with the writer on the pool size and the number of non-speech kinds', () => {
    assert.equal(SYNTH_UNKNOWN_WORD_POOL_SIZE, UNKNOWN_WORD_POOL.length);
    assert.equal(SYNTH_NON_SPEECH_KINDS, NON_SPEECH_KINDS.length);
    assert.equal(
      SYNTH_SOUNDALIKE_WORDS,
      Object.values(TRAIN_SOUNDALIKES)
        .flat()
        .filter((w) => UNKNOWN_WORD_POOL.includes(w)).length,
    );
  });

  it('lists the flags with their units and defaults in --help', async () => {
    const result = await runKws('synth', '--help');
    assert.equal(result.status, 0);
    const help = result.stdout.replace(/\s+/g, ' ');
    assert.match(help, /--exclude-held-out-voices draw speakers from the 73 eSpeak variants .* \(default: false\)/);
    assert.match(help, /--unknown-words <n> words of the training vocabulary \(of 2075\) .* \(default: 0 words\)/);
    assert.match(
      help,
      /--soundalike-speakers <n> speakers \(at most --per-word\) saying each of the 95 training sound-alikes .* \(default: 0 speakers\)/,
    );
    assert.match(help, /--composed-unknowns <n> clips in _composed_\/ .* \(default: 0 clips\)/);
    assert.match(
      help,
      /--non-speech <n> non-speech clips per kind \(13 kinds, training half\) .* \(default: 0 clips per kind\)/,
    );
  });

  for (const [flag, value, message] of [
    ['--unknown-words', '2076', 'expected an integer from 0 to 2075, got "2076"'],
    ['--composed-unknowns', 'many', 'expected an integer from 0 to 1000000, got "many"'],
    ['--non-speech', '-1', 'expected an integer from 0 to 100000, got "-1"'],
    ['--soundalike-speakers', 'x', 'expected an integer from 0 to 100000, got "x"'],
  ] as const) {
    it(`refuses ${flag} ${value} as a usage error (exit 2)`, async () => {
      const result = await runKws('synth', '--out', tempDir('kws-neg-cli-'), '--per-word', '1', flag, value);
      assert.equal(result.status, 2);
      assert.ok(result.stderr.includes(message), result.stderr);
    });
  }

  it('refuses --soundalike-speakers above --per-word as a usage error (exit 2), naming both flags', async () => {
    const out = join(tempDir('kws-neg-cli-sa-'), 'corpus');
    const result = await runKws(
      'synth',
      '--out',
      out,
      '--per-word',
      '3',
      '--soundalike-speakers',
      '4',
      '--no-progress',
    );
    assert.equal(result.status, 2);
    assert.ok(result.stderr.includes('--soundalike-speakers (4) must be at most --per-word (3)'), result.stderr);
    assert.equal(existsSync(out), false);
  });

  it('passes the flags to the writer and says what it wrote', async () => {
    const out = join(tempDir('kws-neg-cli-run-'), 'corpus');
    const result = await runKws(
      ...['synth', '--out', out, '--per-word', '1', '--seed', '4', '--real-noise', tempDir('kws-neg-no-noise-')],
      ...['--exclude-held-out-voices', '--unknown-words', '2', '--composed-unknowns', '3', '--non-speech', '1'],
      ...['--soundalike-speakers', '1'],
      '--no-progress',
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /^wrote 30 clips \(30 words x 1 speakers\) and 3 background-noise files to .* in [\d.]+ s\nwith 2 clips of 2 unknown words, 95 clips of 95 sound-alikes, 3 composed unknowns, 13 non-speech clips\n$/,
    );
    const manifest = manifestOf(out);
    assert.equal(manifest.unknownWords?.count, 2);
    assert.equal(manifest.composedUnknowns?.clips, 3);
    assert.equal(manifest.soundalikes?.clips, 95);
    assert.equal(manifest.nonSpeech?.clips, 13);
    assert.equal(manifest.excludeHeldOutVoices?.variants.length, 73);
  });
});
