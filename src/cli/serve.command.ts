import { Command, Option } from 'commander';
import type { Level } from 'pino';
import type { DeviceChoice, EngineKind } from '../engine/index.js';
import { DEFAULT_UPLOAD_LIMITS, startServer } from '../http/index.js';
import { DEFAULT_BATCHER_OPTIONS } from '../inference/index.js';
import { integerIn, numberIn } from './options.js';
import { withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { reportError } from './report-error.js';

interface ServeCliOptions extends RegistryCliOptions {
  port: number;
  host: string;
  engine: EngineKind;
  device: DeviceChoice;
  threads?: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueLength: number;
  timeoutMs: number;
  maxFileBytes: number;
  maxFiles: number;
  maxBodyBytes: number;
  logLevel: Level | 'silent';
  scoreRoot?: string[];
}

/** `kws serve`: the GraphQL and REST server (see README "Serving"). Stops cleanly on SIGINT/SIGTERM. */
export function serveCommand(): Command {
  const d = DEFAULT_BATCHER_OPTIONS;
  return withRegistryOptions(
    new Command('serve')
      .description('serve models over GraphQL (/graphql) and REST (POST /v1/clips), with dynamic batching')
      .option('--port <n>', 'TCP port (0: any free port)', integerIn(0, 65535), 4000)
      .option('--host <address>', 'interface to listen on', '127.0.0.1')
      .addOption(new Option('--engine <name>', 'inference runtime').choices(['onnx', 'tfjs']).default('onnx'))
      .addOption(new Option('--device <name>', 'auto: a GPU when the runtime finds one, else CPU').choices(['auto', 'cpu']).default('auto'))
      .option('--threads <n>', 'engine worker threads (default: the CPU count)', integerIn(1, 256))
      .option('--max-batch-size <n>', 'most clips per inference batch (1 turns batching off)', integerIn(1, 4096), d.maxBatchSize)
      .option('--max-queue-delay-ms <ms>', 'longest wait for a batch to fill', numberIn(0, 10_000), d.maxQueueDelayMs)
      .option('--max-queue-length <n>', 'clips waiting before requests get OVERLOADED (503)', integerIn(1, 1_000_000), d.maxQueueLength)
      .option('--timeout-ms <ms>', 'per-request inference timeout', numberIn(1, 600_000), d.timeoutMs)
      .option('--max-file-bytes <n>', 'largest uploaded file', integerIn(1, 1 << 30), DEFAULT_UPLOAD_LIMITS.maxFileBytes)
      .option('--max-files <n>', 'most files per upload request', integerIn(1, 10_000), DEFAULT_UPLOAD_LIMITS.maxFiles)
      .option('--max-body-bytes <n>', 'largest upload request body (Content-Length)', integerIn(1, 2 ** 31 - 1), DEFAULT_UPLOAD_LIMITS.maxBodyBytes)
      .option('--score-root <dir>', 'a folder GraphQL scoreTestSet may read (repeatable; default KWS_SCORE_ROOTS, else <data dir>/inputs)', (value: string, previous: string[] = []) => [...previous, value])
      .addOption(new Option('--log-level <level>', 'pino log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info')),
  ).action(async (options: ServeCliOptions) => {
    try {
      const server = await startServer({
        port: options.port,
        host: options.host,
        ...(options.modelsDir === undefined ? {} : { modelsDir: options.modelsDir }),
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        engine: { engine: options.engine, device: options.device, ...(options.threads === undefined ? {} : { threads: options.threads }) },
        batcher: { maxBatchSize: options.maxBatchSize, maxQueueDelayMs: options.maxQueueDelayMs, maxQueueLength: options.maxQueueLength, timeoutMs: options.timeoutMs },
        uploads: { maxFileBytes: options.maxFileBytes, maxFiles: options.maxFiles, maxBodyBytes: options.maxBodyBytes },
        logLevel: options.logLevel,
        ...(options.scoreRoot === undefined ? {} : { scoreRoots: options.scoreRoot }),
        waitUntilReady: false,
      });
      server.logger.info({ url: server.url, graphql: `${server.url}/graphql` }, 'listening');
      const stop = (signal: string): void => {
        server.logger.info({ signal }, 'stopping: finishing requests in flight');
        void server.close().then(() => {
          server.logger.info('stopped');
          process.exitCode = 0;
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (error) {
      reportError('serve', error);
    }
  });
}
