import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { decodeAudio } from '../../src/audio/index.js';
import { COMMAND_WORDS } from '../../src/labels/index.js';
import { OOD_EXPECTED_RULES, OOD_PARTS, oodExpectedLabels } from '../../src/labels/index.js';
import {
  DEFAULT_PICO_LINGWARE_DIR,
  EVAL_OOV_WORDS,
  EVAL_SOUNDALIKES,
  HELD_OUT_ESPEAK_VARIANTS,
  NON_SPEECH_KINDS,
  OOD_SET_VERSION,
  writeOodSet,
} from '../../src/synth/index.js';
import type { OodSetOptions, OodSetReport } from '../../src/synth/index.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

const NOISE_DIR = join(realDataDir(), 'wids-tutorial', '_background_noise_');
const NOISE_SOURCES = [
  'doing_the_dishes',
  'dude_miaowing',
  'exercise_bike',
  'pink_noise',
  'running_tap',
  'white_noise',
];
/** Pico's lingware where it is installed (see test/synth/pico.test.ts); else the set has eSpeak NG voices only. */
const LINGWARE_DIR = process.env['KWS_PICO_LINGWARE_DIR'] ?? DEFAULT_PICO_LINGWARE_DIR;
const PICO_DIR = existsSync(join(LINGWARE_DIR, 'en-US_ta.bin')) ? LINGWARE_DIR : null;

/** A set of 60 clips: 3 OOV words x 2 voices, 10 sound-alikes, 13 non-speech, 7 real noise, 12 words x 2 voices. */
const TINY: Omit<OodSetOptions, 'outDir'> = {
  seed: 5,
  oovWords: 3,
  oovVoicesPerWord: 2,
  soundalikesPerCommand: 1,
  soundalikeVoicesPerWord: 1,
  nonSpeechPerKind: 1,
  realNoiseClips: 7,
  heldOutVoices: 2,
  heldOutUnknownWords: 2,
  realNoiseDir: NOISE_DIR,
  picoLingwareDir: PICO_DIR,
};

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

const list = (...path: string[]): string[] => readdirSync(join(...path)).sort();

interface Manifest {
  generator: string;
  generatorVersion: number;
  seed: number;
  clips: number;
  parts: Record<string, { expected: string[]; rule: string; clips: number; folders: Record<string, number> }>;
  voices: Array<{ engine: string; id: string; variant?: string }>;
  nonSpeech: Array<{ file: string; params: { kind: string } }>;
  realNoise: Array<{ file: string; params: { source: string; startSample: number; levelDbfs: number } }>;
  realNoiseSources: Array<{ file: string; sha1: string; seconds: number }>;
}

describe('the OOD evaluation set', () => {
  let dir: string;
  let report: OodSetReport;
  let manifest: Manifest;

  before(async () => {
    dir = tempDir('kws-ood-a-');
    report = await writeOodSet({ ...TINY, outDir: dir });
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  });

  it('reports the clips of each part', () => {
    assert.deepEqual(report.parts, {
      oov: 6,
      soundalike: 10,
      'non-speech': 13,
      'real-noise': 7,
      'held-out-voices': 24,
    });
    assert.equal(report.clips, 60);
    assert.equal(report.voices, 2);
    assert.equal(report.picoVoices, PICO_DIR === null ? 0 : 1);
  });

  it('writes five parts with a folder per expected answer, a manifest and a README', () => {
    assert.deepEqual(list(dir), [
      'README.md',
      'held-out-voices',
      'manifest.json',
      'non-speech',
      'oov',
      'real-noise',
      'soundalike',
    ]);
    assert.deepEqual(list(dir, 'non-speech'), [...NON_SPEECH_KINDS].sort());
    assert.deepEqual(list(dir, 'real-noise'), NOISE_SOURCES);
    assert.deepEqual(list(dir, 'real-noise', 'doing_the_dishes'), ['000.wav', '001.wav']);
    const heldOut = list(dir, 'held-out-voices');
    assert.equal(heldOut.length, 12);
    assert.deepEqual(
      heldOut.filter((w) => (COMMAND_WORDS as readonly string[]).includes(w)),
      [...COMMAND_WORDS].sort(),
    );
    assert.ok(list(dir, 'oov').every((w) => EVAL_OOV_WORDS.includes(w)));
    assert.deepEqual(
      list(dir, 'soundalike').sort(),
      COMMAND_WORDS.map((c) => list(dir, 'soundalike').find((w) => EVAL_SOUNDALIKES[c].includes(w))).sort(),
    );
    const voiceIds = new Set(manifest.voices.map((v) => v.id));
    for (const part of ['oov', 'soundalike', 'held-out-voices']) {
      for (const word of list(dir, part))
        assert.ok(
          list(dir, part, word).every((f) => voiceIds.has(f.replace(/\.wav$/, ''))),
          `${part}/${word}`,
        );
    }
  });

  it('counts in its manifest exactly the files on disk, per part and folder', () => {
    let total = 0;
    for (const part of OOD_PARTS) {
      const onDisk = Object.fromEntries(list(dir, part).map((folder) => [folder, list(dir, part, folder).length]));
      assert.deepEqual(manifest.parts[part]?.folders, onDisk, part);
      assert.equal(
        manifest.parts[part]?.clips,
        Object.values(onDisk).reduce((a, b) => a + b, 0),
        part,
      );
      total += manifest.parts[part]?.clips ?? 0;
    }
    assert.equal(manifest.clips, total);
    assert.equal(total, 60);
    assert.deepEqual(
      manifest.nonSpeech.map((c) => c.file),
      NON_SPEECH_KINDS.map((k) => `non-speech/${k}/000.wav`),
    );
    assert.deepEqual(
      manifest.nonSpeech.map((c) => c.params.kind),
      [...NON_SPEECH_KINDS],
    );
    assert.equal(manifest.realNoise.length, 7);
  });

  it('records the seed, the generator version, the expected answer of each part and the voices', () => {
    assert.equal(manifest.generator, 'kws ood-set');
    assert.equal(manifest.generatorVersion, OOD_SET_VERSION);
    assert.equal(manifest.seed, 5);
    assert.deepEqual(Object.fromEntries(OOD_PARTS.map((p) => [p, manifest.parts[p]?.expected])), {
      oov: ['unknown'],
      soundalike: ['unknown'],
      'non-speech': ['silence', 'unknown'],
      'real-noise': ['silence'],
      'held-out-voices': ['label-of-folder'],
    });
    assert.deepEqual(Object.fromEntries(OOD_PARTS.map((p) => [p, manifest.parts[p]?.rule])), OOD_EXPECTED_RULES);
    assert.equal(manifest.voices.length, 2);
    const espeak = manifest.voices.filter((v) => v.engine === 'espeak-ng');
    assert.ok(espeak.every((v) => (HELD_OUT_ESPEAK_VARIANTS as readonly string[]).includes(v.variant ?? '')));
    assert.equal(manifest.voices.filter((v) => v.engine === 'svox-pico').length, PICO_DIR === null ? 0 : 1);
    assert.deepEqual(
      manifest.realNoiseSources.map((s) => s.file),
      NOISE_SOURCES.map((s) => `${s}.wav`),
    );
    assert.ok(manifest.realNoiseSources.every((s) => /^[0-9a-f]{40}$/.test(s.sha1) && s.seconds >= 60));
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const part of OOD_PARTS)
      assert.ok(
        readme.includes(`| \`${part}/\` | ${manifest.parts[part]?.clips} | ${OOD_EXPECTED_RULES[part]} |`),
        part,
      );
  });

  it('writes every clip as 1 s of 16 kHz mono 16-bit PCM', async () => {
    for (const file of ['oov', 'non-speech', 'real-noise', 'held-out-voices'].map((part) => {
      const folder = list(dir, part)[0] as string;
      return join(dir, part, folder, list(dir, part, folder)[0] as string);
    })) {
      const bytes = readFileSync(file);
      assert.equal(bytes.length, 44 + 32_000, file);
      const decoded = await decodeAudio(bytes);
      assert.equal(decoded.info.codec, 'pcm_s16le');
      assert.equal(decoded.info.sourceSampleRateHz, 16_000);
      assert.equal(decoded.info.channels, 1);
      assert.equal(decoded.samples.length, 16_000);
      assert.ok(decoded.info.rmsDbfs > -75 && decoded.info.rmsDbfs < -3, `${file}: ${decoded.info.rmsDbfs} dBFS`);
    }
  });

  it('gives the same bytes for the same seed, and other clips for another seed', async () => {
    const again = tempDir('kws-ood-b-');
    await writeOodSet({ ...TINY, outDir: again });
    assert.deepEqual(digest(again), digest(dir));
    const other = tempDir('kws-ood-c-');
    await writeOodSet({ ...TINY, outDir: other, seed: 6 });
    const a = digest(dir);
    const b = digest(other);
    assert.notEqual(b['non-speech/tone/000.wav'], a['non-speech/tone/000.wav']);
    assert.notEqual(b['real-noise/white_noise/000.wav'], a['real-noise/white_noise/000.wav']);
  });

  it('refuses a folder that is not empty, and writes nothing into it', async () => {
    const busy = tempDir('kws-ood-busy-');
    writeFileSync(join(busy, 'notes.txt'), 'keep');
    await assert.rejects(writeOodSet({ ...TINY, outDir: busy }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: `output folder ${busy} is not empty; choose a new folder so the OOD set is exactly reproducible`,
    });
    assert.deepEqual(list(busy), ['notes.txt']);
  });

  it('refuses a size out of range, naming the value, before it makes the folder', async () => {
    const out = join(tempDir('kws-ood-parent-'), 'set');
    await assert.rejects(writeOodSet({ ...TINY, outDir: out, oovWords: 398 }), {
      name: 'KwsError',
      code: 'INVALID_ARGUMENT',
      message: 'oovWords must be an integer from 0 to 397, got 398',
    });
    await assert.rejects(writeOodSet({ ...TINY, outDir: out, nonSpeechPerKind: 1.5 }), {
      code: 'INVALID_ARGUMENT',
      message: 'nonSpeechPerKind must be an integer from 0 to 10000, got 1.5',
    });
    await assert.rejects(writeOodSet({ ...TINY, outDir: out, oovVoicesPerWord: 3 }), {
      code: 'INVALID_ARGUMENT',
      message: 'oovVoicesPerWord (3) must be at most heldOutVoices (2)',
    });
    assert.equal(existsSync(out), false);
  });

  it('refuses a missing real-noise folder or Pico lingware before it makes the folder', async () => {
    const parent = tempDir('kws-ood-missing-');
    const out = join(parent, 'set');
    await assert.rejects(writeOodSet({ ...TINY, outDir: out, realNoiseDir: join(parent, 'no-noise') }), {
      name: 'KwsError',
      code: 'FILE_NOT_FOUND',
      message: `real-noise folder ${join(parent, 'no-noise')} does not exist`,
    });
    await assert.rejects(writeOodSet({ ...TINY, outDir: out, picoLingwareDir: parent }), {
      name: 'KwsError',
      code: 'FILE_NOT_FOUND',
    });
    assert.equal(existsSync(out), false);
  });

  it('writes an empty real-noise part without a noise folder', async () => {
    const out = tempDir('kws-ood-quiet-');
    const quiet = await writeOodSet({
      ...TINY,
      outDir: out,
      realNoiseDir: null,
      oovWords: 0,
      soundalikesPerCommand: 0,
      nonSpeechPerKind: 0,
      heldOutUnknownWords: 0,
      heldOutVoices: 1,
      oovVoicesPerWord: 1,
      soundalikeVoicesPerWord: 1,
    });
    assert.deepEqual(quiet.parts, { oov: 0, soundalike: 0, 'non-speech': 0, 'real-noise': 0, 'held-out-voices': 10 });
    assert.deepEqual(list(out, 'real-noise'), []);
  });
});

describe('oodExpectedLabels', () => {
  it('expects unknown for OOV words and sound-alikes, silence or unknown for non-speech, silence for real noise', () => {
    assert.deepEqual(oodExpectedLabels('oov', 'able'), ['unknown']);
    assert.deepEqual(oodExpectedLabels('soundalike', 'less'), ['unknown']);
    assert.deepEqual(oodExpectedLabels('non-speech', 'tone'), ['silence', 'unknown']);
    assert.deepEqual(oodExpectedLabels('real-noise', 'running_tap'), ['silence']);
  });

  it("expects a held-out voice's command folder to be that command and any other word to be unknown", () => {
    assert.deepEqual(oodExpectedLabels('held-out-voices', 'stop'), ['stop']);
    assert.deepEqual(oodExpectedLabels('held-out-voices', 'dog'), ['unknown']);
  });
});
