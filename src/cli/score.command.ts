import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig, makeDirs } from '../config/index.js';
import { fromFsError, KwsError } from '../errors/index.js';
import type { DeviceChoice, EngineKind, EnginePool } from '../engine/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { ScoreCheckpointStore } from '../storage/index.js';
import { integerIn, numberIn } from './options.js';
import { openRegistry, versionName, withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { reportError } from './report-error.js';
import { PROCESS_OUTPUT, progressLines } from './output.js';
import type { CliOutput } from './output.js';
import { ttaOf, withTtaOptions } from './tta-options.js';
import type { TtaCliOptions } from './tta-options.js';

interface ScoreCliOptions extends TtaCliOptions, RegistryCliOptions {
  out: string;
  model?: string;
  unknownThreshold?: number;
  probabilities?: string;
  errors?: string;
  resume?: boolean;
  threads?: number;
  chunkSize: number;
  engine: EngineKind;
  device: DeviceChoice;
  progress: boolean;
  json?: boolean;
}

/** `kws score DIR --out submission.csv`: the Kaggle submission for a whole test folder, resumable. */
export function scoreCommand(output: CliOutput = PROCESS_OUTPUT): Command {
  return withRegistryOptions(
    withTtaOptions(
      new Command('score')
        .description('bulk-score a Kaggle test folder (audio/*.wav) into a submission CSV (fname,label), resumable')
        .argument('<dir>', 'test folder: audio/*.wav, or *.wav directly')
        .requiredOption('--out <file>', 'submission CSV to write')
        .option('--model <version>', 'version number or alias (default production)')
        .option(
          '--unknown-threshold <p>',
          'override the calibrated unknown threshold (max-softmax probability)',
          numberIn(0, 1),
        )
        .option('--probabilities <file>', 'also write all 12 probabilities per clip')
        .option('--errors <file>', 'files that failed to decode (default <out>.errors.csv)')
        .option('--resume', 'continue an interrupted run of the same command')
        .option('--threads <n>', 'worker threads (default: the CPU count)', integerIn(1, 256))
        .option('--chunk-size <n>', 'clips per worker task and inference batch', integerIn(1, 4096), 256)
        .addOption(new Option('--engine <name>', 'inference runtime').choices(['onnx', 'tfjs']).default('onnx'))
        .addOption(
          new Option('--device <name>', 'auto: a GPU when the runtime finds one')
            .choices(['auto', 'cpu'])
            .default('auto'),
        )
        .option('--no-progress', 'no progress bar')
        .option('--json', 'print the summary as JSON'),
      'also score each clip shifted and louder and average',
      true,
    ),
  ).action(async (dir: string, options: ScoreCliOptions) => {
    let registry: ModelRegistry | undefined;
    let checkpoints: ScoreCheckpointStore | undefined;
    let pool: EnginePool | undefined;
    const bar = new cliProgress.SingleBar(
      {
        format: 'scoring [{bar}] {value}/{total} clips | {rate} clips/s | {failed} failed | ETA {eta_formatted}',
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let barStarted = false;
    const logLine = progressLines((text) => process.stderr.write(text));
    try {
      // The engine threads and the bulk scorer load only when a folder is scored.
      const [{ EnginePool, DEFAULT_TTA, describeTta }, { scoreTestSet }] = await Promise.all([
        import('../engine/index.js'),
        import('../jobs/index.js'),
      ]);
      const tta = ttaOf(options, DEFAULT_TTA);
      registry = openRegistry(options);
      const config = loadConfig({ ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }) });
      try {
        makeDirs(config.dataDir); // the state folder, as kws serve makes it (./var on a fresh checkout)
      } catch (error) {
        throw fromFsError(error, config.dataDir, 'write');
      }
      checkpoints = ScoreCheckpointStore.open(join(config.dataDir, 'kws.db'), { unwritablePath: config.dataDir });
      pool = new EnginePool({
        engine: options.engine,
        device: options.device,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
      });
      const out = resolve(options.out);
      // The CLI writes where it is told and creates no folders: a typo in --out should not make one.
      for (const [flag, path] of [
        ['--out', out],
        ['--probabilities', options.probabilities],
        ['--errors', options.errors],
      ] as const)
        if (path !== undefined && !existsSync(dirname(resolve(path))))
          throw new KwsError(
            'FILE_NOT_FOUND',
            `the folder of ${flag}, ${dirname(resolve(path))}, does not exist: create it first`,
          );
      const summary = await scoreTestSet(registry, pool, checkpoints, {
        dir: resolve(dir),
        out,
        probabilitiesOut: options.probabilities === undefined ? null : resolve(options.probabilities),
        ...(options.errors === undefined ? {} : { errorsOut: resolve(options.errors) }),
        modelVersion: options.model ?? null,
        unknownThreshold: options.unknownThreshold ?? null,
        chunkSize: options.chunkSize,
        ...(tta === undefined ? {} : { tta }),
        resume: options.resume === true,
        checkpointKey: `cli:${out}`,
        onProgress: (p) => {
          if (!options.progress) return;
          if (process.stderr.isTTY !== true) {
            logLine(
              () =>
                `scoring: ${p.processed}/${p.total} clips, ${Math.round(p.clipsPerSecond)} clips/s, ${p.failed} failed`,
              p.processed === p.total,
            );
            return;
          }
          if (!barStarted) {
            bar.start(p.total, p.processed, { rate: 0, failed: 0 });
            barStarted = true;
          }
          bar.update(p.processed, { rate: Math.round(p.clipsPerSecond), failed: p.failed });
        },
      });
      if (barStarted) bar.stop();
      if (options.json === true) output.writeOut(`${JSON.stringify({ ...summary, provider: pool.provider })}\n`);
      else {
        output.writeOut(
          `${summary.out}: ${summary.total} clips (${summary.failed} failed to decode, listed in ${summary.errorsOut}) scored with ${versionName(registry, summary.modelVersion)}${summary.tta === null ? '' : ` with TTA (${describeTta(summary.tta)})`} on ${pool.provider}, ${summary.wallSeconds.toFixed(1)} s, ${Math.round(summary.clipsPerSecond)} clips/s${summary.resumedFrom > 0 ? `, resumed after ${summary.resumedFrom}` : ''}\n`,
        );
      }
      process.exitCode = 0;
    } catch (error) {
      if (barStarted) bar.stop();
      reportError('score', error, output);
    } finally {
      await pool?.close();
      checkpoints?.close();
      registry?.close();
    }
  });
}
