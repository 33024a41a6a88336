import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packagesLoadedBy } from '../helpers/loaded-packages.js';
import { BUNDLED_MODELS } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

const entry = (path: string): string => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);

/** The speech synthesizers of `kws synth` (eSpeak NG, SVOX Pico), in WebAssembly. */
const SYNTHESIZERS = ['@echogarden/espeak-ng-emscripten', '@echogarden/svoxpico-wasm'];

/** The heavy runtimes: TF.js (any package), onnxruntime, Apollo Server, the synthesizers. */
const isHeavy = (name: string): boolean =>
  name.startsWith('@tensorflow/') ||
  name.startsWith('onnxruntime') ||
  name === '@apollo/server' ||
  SYNTHESIZERS.includes(name);

/** Arguments that end in help (exit code 0) or a usage error (2), for every command. */
const HELP_AND_USAGE_ERRORS: ReadonlyArray<readonly [args: readonly string[], exitCode: number]> = [
  [['--help'], 0],
  [['--version'], 0],
  [['info', '--no-such-option', 'clip.wav'], 2],
  [['synth', '--help'], 0],
  [['synth', '--out', 'never-written', '--per-word', '0'], 2],
  [['ood-set', '--seed', '1.5'], 2],
  [['dataset', '.', '--validation-percentage', '60', '--testing-percentage', '60'], 2],
  [['train', '--help'], 0],
  [['train', '--data', 'corpus', '--epochs', 'many'], 2],
  [['eval', '--model', '1'], 2],
  [['models', '--no-such-option'], 2],
  [['classify', '--unknown-score', 'entropy', 'clip.wav'], 2],
  [['score', 'folder'], 2],
  [['serve', '--help'], 0],
  [['serve', '--port', 'any'], 2],
];

describe('the kws command line', () => {
  it('loads neither TF.js, onnxruntime, Apollo nor a synthesizer to build the program, print help or refuse bad arguments', () => {
    const loaded = packagesLoadedBy(`
      const { buildProgram, runProgram } = await import(${entry('cli/index.ts')});
      const quiet = { writeOut: () => undefined, writeErr: () => undefined };
      buildProgram('0.0.0', quiet);
      for (const [args, exitCode] of ${JSON.stringify(HELP_AND_USAGE_ERRORS)}) {
        process.exitCode = undefined;
        await runProgram('0.0.0', ['node', 'kws', ...args], quiet);
        if (process.exitCode !== exitCode) throw new Error('kws ' + args.join(' ') + ' exited ' + process.exitCode + ', not ' + exitCode);
      }
      process.exitCode = 0;
    `);
    assert.ok(loaded.includes('commander'), `the probe saw the program's own packages: ${loaded.join(', ')}`);
    assert.deepEqual(loaded.filter(isHeavy), []);
  });

  it('starts kws serve without loading the synthesizer or TF.js', () => {
    const loaded = packagesLoadedBy(`
      const { runProgram } = await import(${entry('cli/index.ts')});
      await runProgram('0.0.0', ['node', 'kws', 'serve', '--port', '0', '--threads', '1', '--log-level', 'silent', '--models-dir', ${JSON.stringify(BUNDLED_MODELS)}, '--data-dir', ${JSON.stringify(tempDir('kws-serve-probe-'))}]);
      if (process.exitCode !== undefined) throw new Error('kws serve did not start: exit code ' + process.exitCode);
      process.kill(process.pid, 'SIGTERM'); // kws serve stops on SIGTERM and exits 0
    `);
    assert.ok(
      loaded.includes('@apollo/server') && loaded.includes('better-sqlite3'),
      `the probe saw the server's own packages: ${loaded.join(', ')}`,
    );
    assert.deepEqual(
      loaded.filter((name) => name.startsWith('@tensorflow/') || SYNTHESIZERS.includes(name)),
      [],
    );
  });
});
