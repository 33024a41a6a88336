import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { countByLabel, ExampleLoader, listTestClips, scanSpeechCommands } from '../../src/data/index.js';
import { encodeWav, realDataDir, rms, tempDir } from '../helpers/signals.js';

/** A folder with the given `<word>/<file>` names (tiny valid WAVs) and optional list files. */
function makeDataset(files: readonly string[], lists: { validation?: string[]; testing?: string[] } = {}): string {
  const root = tempDir('kws-dataset-');
  const wav = encodeWav([new Float64Array(160).fill(0.1)], 16_000, 'pcm16');
  for (const file of files) {
    mkdirSync(join(root, file.split('/')[0]!), { recursive: true });
    writeFileSync(join(root, file), wav);
  }
  if (lists.validation) writeFileSync(join(root, 'validation_list.txt'), lists.validation.join('\n'));
  if (lists.testing) writeFileSync(join(root, 'testing_list.txt'), lists.testing.join('\n'));
  return root;
}

describe('scanSpeechCommands', () => {
  it('reads the real v0.01 sample with its lists: 30 words, 51 test and 44 validation clips', async () => {
    const dataset = await scanSpeechCommands(join(realDataDir(), 'vinsis-v0.01'));
    assert.equal(dataset.splitSource, 'lists');
    const words = (split: 'training' | 'validation' | 'testing'): number =>
      Object.values(dataset.wordCounts[split]).reduce((a, b) => a + b, 0);
    assert.deepEqual([words('training'), words('validation'), words('testing')], [205, 44, 51]);
    assert.equal(
      Object.keys({ ...dataset.wordCounts.training, ...dataset.wordCounts.validation, ...dataset.wordCounts.testing })
        .length,
      30,
    );
    assert.equal(dataset.backgroundNoise.length, 0);
  });

  it('reads the v0.02 test-set layout as a finished test set: every clip testing, _silence_ and _unknown_ as they are', async () => {
    const dataset = await scanSpeechCommands(join(realDataDir(), 'pico-testset-v0.02'));
    assert.equal(dataset.splitSource, 'test-set');
    const counts = countByLabel(dataset);
    for (const label of Object.keys(counts.testing) as Array<keyof typeof counts.testing>)
      assert.equal(counts.testing[label], 150, label);
    assert.equal(dataset.examples.training.length + dataset.examples.validation.length, 0);
    assert.ok(
      dataset.examples.testing.every((e) => e.kind === 'word'),
      'no generated silence on top of the real _silence_ clips',
    );
  });

  it('counts only regular .wav files: not a folder named x.wav, not a broken link', async () => {
    const root = makeDataset(['yes/0000000a_nohash_0.wav']);
    mkdirSync(join(root, 'yes', 'folder.wav'));
    symlinkSync(join(root, 'nowhere.wav'), join(root, 'yes', 'dead_nohash_0.wav'));
    const dataset = await scanSpeechCommands(root);
    assert.equal(
      Object.values(dataset.wordCounts).reduce((sum, words) => sum + (words['yes'] ?? 0), 0),
      1,
    );
  });

  it('adds ceil(10 %) silence and samples ceil(10 %) unknown clips per split, relative to the command clips', async () => {
    const files = [
      ...Array.from({ length: 40 }, (_, i) => `yes/${(i + 1).toString(16).padStart(8, 'a')}_nohash_0.wav`),
      ...Array.from({ length: 35 }, (_, i) => `go/${(i + 1).toString(16).padStart(8, 'b')}_nohash_0.wav`),
      ...Array.from({ length: 60 }, (_, i) => `cat/${(i + 1).toString(16).padStart(8, 'c')}_nohash_0.wav`),
    ];
    const root = makeDataset(files, {
      validation: files.filter((_, i) => i % 10 === 0),
      testing: files.filter((_, i) => i % 10 === 1),
    });
    const dataset = await scanSpeechCommands(root);
    const counts = countByLabel(dataset);
    const commands = counts.training.yes + counts.training.go;
    assert.equal(commands, 75 - 16); // indices 0, 10, ..., 70 are validation and 1, 11, ..., 71 testing
    assert.equal(counts.training.silence, Math.ceil(commands / 10));
    assert.equal(counts.training.unknown, Math.ceil(commands / 10));
    const half = await scanSpeechCommands(root, { silencePercentage: 50, unknownPercentage: 0 });
    assert.equal(countByLabel(half).training.silence, Math.ceil(commands / 2));
    assert.equal(countByLabel(half).training.unknown, 0);
  });

  it('samples the same unknown clips for the same seed and others for another seed', async () => {
    const files = [
      ...Array.from({ length: 50 }, (_, i) => `no/${i.toString(16).padStart(8, '0')}_nohash_0.wav`),
      ...Array.from({ length: 100 }, (_, i) => `dog/${i.toString(16).padStart(8, '1')}_nohash_0.wav`),
    ];
    const root = makeDataset(files);
    const pick = async (seed: number): Promise<string[]> =>
      (await scanSpeechCommands(root, { seed })).examples.training.flatMap((e) =>
        e.kind === 'word' && e.label === 'unknown' ? [e.relativePath] : [],
      );
    assert.deepEqual(await pick(1), await pick(1));
    assert.notDeepEqual(await pick(1), await pick(2));
  });

  it('rejects a missing folder and a folder with no clips', async () => {
    await assert.rejects(scanSpeechCommands('/no/such/dataset'), {
      code: 'FILE_NOT_FOUND',
      message: 'dataset folder /no/such/dataset does not exist',
    });
    await assert.rejects(scanSpeechCommands('/etc/hostname'), {
      code: 'FILE_UNREADABLE',
      message: '/etc/hostname is not a folder',
    });
    await assert.rejects(scanSpeechCommands(tempDir('kws-empty-')), {
      code: 'INVALID_ARGUMENT',
      message: /holds no <word>\/\*\.wav clips/,
    });
    await assert.rejects(scanSpeechCommands(realDataDir(), { silencePercentage: 101 }), {
      code: 'INVALID_ARGUMENT',
      message: /silencePercentage must be a percentage from 0 to 100, got 101/,
    });
  });
});

describe('listTestClips', () => {
  it('streams the WAV names of a Kaggle-layout test/audio folder', async () => {
    const root = tempDir('kws-test-');
    mkdirSync(join(root, 'audio'));
    for (const name of ['clip_0000000a1.wav', 'clip_0000000b2.wav', 'notes.txt'])
      writeFileSync(join(root, 'audio', name), 'x');
    const names: string[] = [];
    for await (const clip of listTestClips(root)) names.push(clip.fname);
    assert.deepEqual(names.sort(), ['clip_0000000a1.wav', 'clip_0000000b2.wav']);
    await assert.rejects(
      async () => {
        for await (const clip of listTestClips(join(root, 'missing'))) assert.fail(clip.fname);
      },
      { code: 'FILE_NOT_FOUND' },
    );
  });
});

describe('ExampleLoader', () => {
  it('cuts the same silence example every time, from noise or as digital silence, within -80 to -20 dBFS', async () => {
    const root = makeDataset(['yes/0000000a_nohash_0.wav']);
    symlinkSync(join(realDataDir(), 'wids-tutorial/_background_noise_'), join(root, '_background_noise_'));
    const dataset = await scanSpeechCommands(root, { silencePercentage: 100 });
    assert.equal(dataset.backgroundNoise.length, 6);
    const loader = await ExampleLoader.create(dataset);
    let zeros = 0;
    for (let index = 0; index < 40; index++) {
      const clip = loader.silence('training', index);
      assert.equal(clip.length, 16_000);
      assert.deepEqual(loader.silence('training', index), clip);
      const level = rms(clip);
      if (level === 0) zeros++;
      else assert.ok(level > 10 ** (-80.5 / 20) && level < 10 ** (-19.5 / 20), `level ${20 * Math.log10(level)} dBFS`);
    }
    assert.ok(zeros >= 1 && zeros <= 10, `${zeros} digital-silence clips of 40`);
    assert.notDeepEqual(loader.silence('training', 0), loader.silence('validation', 0));
  });

  it('loads a word clip as 16000 samples, padding the short ones', async () => {
    const dataset = await scanSpeechCommands(join(realDataDir(), 'vinsis-v0.01'));
    const loader = await ExampleLoader.create(dataset);
    const example = dataset.examples.training.find((e) => e.kind === 'word');
    assert.ok(example !== undefined);
    assert.equal((await loader.load(example)).length, 16_000);
  });
});
