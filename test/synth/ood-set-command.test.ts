import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OOD_SET_PICO_LINGWARE_DIR, OOD_SET_SIZE_FLAGS } from '../../src/cli/ood-set.command.js';
import { DEFAULT_PICO_LINGWARE_DIR, OOD_SET_DEFAULT_SIZES } from '../../src/synth/index.js';
import type { OodSetReport } from '../../src/synth/index.js';
import { runKws } from '../helpers/cli.js';
import { packagesLoadedBy } from '../helpers/loaded-packages.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

const NOISE_DIR = join(realDataDir(), 'wids-tutorial', '_background_noise_');
const TINY = [
  '--oov-words',
  '2',
  '--oov-voices',
  '1',
  '--soundalikes-per-command',
  '1',
  '--soundalike-voices',
  '1',
  '--non-speech-per-kind',
  '1',
  '--real-noise-clips',
  '3',
  '--held-out-voices',
  '1',
  '--held-out-unknown-words',
  '1',
];

describe('kws ood-set', () => {
  it("defaults every size flag and the lingware folder to the writer's defaults", () => {
    const { seed, ...sizes } = OOD_SET_DEFAULT_SIZES;
    assert.equal(seed, 1);
    assert.equal(OOD_SET_PICO_LINGWARE_DIR, DEFAULT_PICO_LINGWARE_DIR);
    assert.deepEqual(Object.fromEntries(OOD_SET_SIZE_FLAGS.map(([key, , , fallback]) => [key, fallback])), sizes);
  });

  it('writes a set with the sizes given and prints its report as JSON', async () => {
    const out = join(tempDir('kws-ood-cli-'), 'set');
    const run = await runKws(
      'ood-set',
      '--out',
      out,
      '--seed',
      '3',
      ...TINY,
      '--real-noise',
      NOISE_DIR,
      '--no-pico',
      '--json',
    );
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
    const report = JSON.parse(run.stdout) as OodSetReport;
    assert.deepEqual(report.parts, {
      oov: 2,
      soundalike: 10,
      'non-speech': 13,
      'real-noise': 3,
      'held-out-voices': 11,
    });
    assert.equal(report.outDir, out);
    assert.equal(report.picoVoices, 0);
    assert.deepEqual(readdirSync(out).sort(), [
      'README.md',
      'held-out-voices',
      'manifest.json',
      'non-speech',
      'oov',
      'real-noise',
      'soundalike',
    ]);
  });

  it('writes no real-noise part with --no-real-noise and prints one line', async () => {
    const out = join(tempDir('kws-ood-cli-'), 'set');
    const run = await runKws('ood-set', '--out', out, ...TINY, '--no-real-noise', '--no-pico');
    assert.equal(run.status, 0);
    assert.match(
      run.stdout,
      new RegExp(
        `^wrote 36 clips \\(oov 2, soundalike 10, non-speech 13, real-noise 0, held-out-voices 11\\) with 1 held-out voices \\(0 SVOX Pico\\) to ${out} in \\d+\\.\\d s\\n$`,
      ),
    );
  });

  it('exits 1 with the error on stderr for a folder that is not empty', async () => {
    const busy = tempDir('kws-ood-cli-busy-');
    writeFileSync(join(busy, 'notes.txt'), 'keep');
    const run = await runKws('ood-set', '--out', busy, ...TINY, '--no-real-noise', '--no-pico');
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `kws ood-set: INVALID_ARGUMENT: output folder ${busy} is not empty; choose a new folder so the OOD set is exactly reproducible\n`,
    );
  });

  it('exits 1 naming the flags for missing lingware', async () => {
    const parent = tempDir('kws-ood-cli-lingware-');
    const run = await runKws(
      'ood-set',
      '--out',
      join(parent, 'set'),
      ...TINY,
      '--no-real-noise',
      '--pico-lingware',
      parent,
    );
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /^kws ood-set: FILE_NOT_FOUND: SVOX Pico lingware .*en-US_ta\.bin does not exist: .* \(--pico-lingware DIR or --no-pico; --real-noise DIR or --no-real-noise\)\n$/,
    );
  });

  it('exits 2 for a size that is not a number', async () => {
    const run = await runKws('ood-set', '--out', 'never-written', '--oov-words', 'many');
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /option '--oov-words <n>' argument 'many' is invalid\. expected an integer from 0 to 100000, got "many"/,
    );
  });

  it('loads no synthesizer to print its help or refuse a bad flag', () => {
    const entry = JSON.stringify(new URL('../../src/cli/index.ts', import.meta.url).href);
    const loaded = packagesLoadedBy(`
      const { runProgram } = await import(${entry});
      const quiet = { writeOut: () => undefined, writeErr: () => undefined };
      for (const args of [['ood-set', '--help'], ['ood-set', '--out', 'x', '--seed', 'y']]) await runProgram('0.0.0', ['node', 'kws', ...args], quiet);
      process.exitCode = 0;
    `);
    assert.ok(loaded.includes('commander'));
    assert.deepEqual(
      loaded.filter(
        (name) =>
          ['@echogarden/espeak-ng-emscripten', '@echogarden/svoxpico-wasm'].includes(name) ||
          name.startsWith('@tensorflow/') ||
          name.startsWith('onnxruntime'),
      ),
      [],
    );
  });
});
