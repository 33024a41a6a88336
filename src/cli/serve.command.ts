import { Command } from 'commander';
import type { DeviceChoice, EngineKind, EnginePoolOptions } from '../engine/index.js';
import { defaultEnginePoolOptions } from '../engine/index.js';
import type { ServerOptions, UploadLimits } from '../http/index.js';
import { DEFAULT_BATCHER_OPTIONS } from '../inference/index.js';
import type { BatcherOptions } from '../inference/index.js';
import { cliAttributeName } from '../training/index.js';
import { declaredOption, LOG_LEVEL_OPTION } from './options.js';
import type { CliOptionSpec } from './options.js';
import { withRegistryOptions } from './registry-options.js';
import type { RegistryCliOptions } from './registry-options.js';
import { reportError } from './report-error.js';

/** The fields a `kws serve` flag may set: of {@link ServerOptions} itself, or of its `engine`, `batcher` or `uploads`. */
interface ServeOptionFields {
  readonly server: Exclude<keyof ServerOptions, 'engine' | 'batcher' | 'uploads'>;
  readonly engine: keyof EnginePoolOptions;
  readonly batcher: keyof BatcherOptions;
  readonly uploads: keyof UploadLimits;
}

/** Where a `kws serve` flag's value goes in {@link ServerOptions}. */
export type ServeOptionGroup = keyof ServeOptionFields;

/** A `kws serve` flag, declared once: the field it sets (`field` of `group`) and its declaration (kind, unit, default, range). */
export type ServeOption = {
  readonly [G in ServeOptionGroup]: {
    readonly group: G;
    readonly field: ServeOptionFields[G];
    readonly spec: CliOptionSpec;
  };
}[ServeOptionGroup];

/** The members of a union, from a record that the compiler checks names every one. */
const membersOf = <V extends string>(record: Readonly<Record<V, true>>): V[] => Object.keys(record) as V[];
const engine = defaultEnginePoolOptions();
const batcher = DEFAULT_BATCHER_OPTIONS;

/**
 * The flags of `kws serve`, declared once. Defaults come from the layers that own them where those
 * load light (the batcher's and the engine pool's); the server's and the upload limits' are written
 * here, because the HTTP layer loads only when the command runs, and a test checks that they agree
 * with `DEFAULT_SERVER_OPTIONS` and `DEFAULT_UPLOAD_LIMITS`. Ranges are the command line's: the
 * libraries check only the least values, which every flag here respects.
 */
export const SERVE_OPTIONS: readonly ServeOption[] = [
  {
    group: 'server',
    field: 'port',
    spec: {
      kind: 'integer',
      description: 'TCP port (0: any free port)',
      default: 4000,
      range: { min: 0, max: 65535 },
      cli: { flag: 'port', value: 'n' },
    },
  },
  {
    group: 'server',
    field: 'host',
    spec: {
      kind: 'string',
      description: 'interface to listen on',
      default: '127.0.0.1',
      cli: { flag: 'host', value: 'address' },
    },
  },
  {
    group: 'engine',
    field: 'engine',
    spec: {
      kind: 'enum',
      description: 'inference runtime',
      default: engine.engine,
      choices: membersOf<EngineKind>({ onnx: true, tfjs: true }),
      cli: { flag: 'engine', value: 'name' },
    },
  },
  {
    group: 'engine',
    field: 'device',
    spec: {
      kind: 'enum',
      description: 'auto: a GPU when the runtime finds one, else CPU',
      default: engine.device,
      choices: membersOf<DeviceChoice>({ auto: true, cpu: true }),
      cli: { flag: 'device', value: 'name' },
    },
  },
  {
    group: 'engine',
    field: 'threads',
    spec: {
      kind: 'integer',
      description: 'engine worker threads (default: the CPU count)',
      range: { min: 1, max: 256 },
      cli: { flag: 'threads', value: 'n' },
    },
  },
  {
    group: 'batcher',
    field: 'maxBatchSize',
    spec: {
      kind: 'integer',
      description: 'most clips per inference batch (1 turns batching off)',
      unit: 'clips',
      default: batcher.maxBatchSize,
      range: { min: 1, max: 4096 },
      cli: { flag: 'max-batch-size', value: 'n' },
    },
  },
  {
    group: 'batcher',
    field: 'maxQueueDelayMs',
    spec: {
      kind: 'number',
      description: 'longest wait for a batch to fill',
      unit: 'ms',
      default: batcher.maxQueueDelayMs,
      range: { min: 0, max: 10_000 },
      cli: { flag: 'max-queue-delay-ms', value: 'ms' },
    },
  },
  {
    group: 'batcher',
    field: 'maxQueueLength',
    spec: {
      kind: 'integer',
      description: 'clips waiting before requests get OVERLOADED (503)',
      unit: 'clips',
      default: batcher.maxQueueLength,
      range: { min: 1, max: 1_000_000 },
      cli: { flag: 'max-queue-length', value: 'n' },
    },
  },
  {
    group: 'batcher',
    field: 'timeoutMs',
    spec: {
      kind: 'number',
      description: 'per-request inference timeout',
      unit: 'ms',
      default: batcher.timeoutMs,
      range: { min: 1, max: 600_000 },
      cli: { flag: 'timeout-ms', value: 'ms' },
    },
  },
  {
    group: 'uploads',
    field: 'maxFileBytes',
    spec: {
      kind: 'integer',
      description: 'largest uploaded file',
      unit: 'bytes',
      default: 5 * 1024 * 1024,
      range: { min: 1, max: 1 << 30 },
      cli: { flag: 'max-file-bytes', value: 'n' },
    },
  },
  {
    group: 'uploads',
    field: 'maxFiles',
    spec: {
      kind: 'integer',
      description: 'most files per upload request',
      unit: 'files',
      default: 64,
      range: { min: 1, max: 10_000 },
      cli: { flag: 'max-files', value: 'n' },
    },
  },
  {
    group: 'uploads',
    field: 'maxBodyBytes',
    spec: {
      kind: 'integer',
      description: 'largest upload request body (Content-Length)',
      unit: 'bytes',
      default: 64 * 1024 * 1024,
      range: { min: 1, max: 2 ** 31 - 1 },
      cli: { flag: 'max-body-bytes', value: 'n' },
    },
  },
  {
    group: 'server',
    field: 'scoreRoots',
    spec: {
      kind: 'path',
      description: 'a folder GraphQL scoreTestSet may read (default KWS_SCORE_ROOTS, else <data dir>/inputs)',
      cli: { flag: 'score-root', value: 'dir', repeatable: true, note: 'repeatable' },
    },
  },
  {
    group: 'server',
    field: 'insecure',
    spec: {
      kind: 'boolean',
      description:
        'listen on a non-loopback address although the data folder has no API key (anyone reaching the port may do everything)',
      default: false,
      cli: { flag: 'insecure' },
    },
  },
  {
    group: 'server',
    field: 'metricsPublic',
    spec: {
      kind: 'boolean',
      description: 'serve /metrics without an API key (by default it needs the read scope once keys exist)',
      default: false,
      cli: { flag: 'metrics-public' },
    },
  },
  {
    group: 'server',
    field: 'corsOrigins',
    spec: {
      kind: 'string',
      description: 'an origin browsers may call from, e.g. https://dash.example.com (default: none, CORS off)',
      cli: { flag: 'cors-origin', value: 'origin', repeatable: true, note: 'repeatable' },
    },
  },
  {
    group: 'server',
    field: 'rateLimitPerSecond',
    spec: {
      kind: 'number',
      description: 'requests a second each API key (without keys: each client address) may make; 429 past it',
      unit: 'requests/s',
      range: { min: 0.001, max: 1_000_000 },
      cli: { flag: 'rate-limit', value: 'n' },
    },
  },
  {
    group: 'server',
    field: 'rateLimitBurst',
    spec: {
      kind: 'integer',
      description: 'requests at once after a pause (token bucket size; default twice --rate-limit)',
      range: { min: 1, max: 1_000_000 },
      cli: { flag: 'rate-burst', value: 'n' },
    },
  },
  {
    group: 'server',
    field: 'redisUrl',
    spec: {
      kind: 'string',
      description:
        'queue jobs on this Redis, redis://host:port[/db], for kws worker processes (default: KWS_REDIS_URL, else jobs run in this process)',
      cli: { flag: 'redis', value: 'url' },
    },
  },
  {
    group: 'server',
    field: 'shardClips',
    spec: {
      kind: 'integer',
      description: 'clips per shard of a scoring job on Redis (rounded up to whole chunks; default 4096)',
      unit: 'clips',
      range: { min: 1, max: 1_000_000 },
      cli: { flag: 'shard-clips', value: 'n' },
    },
  },
  {
    group: 'server',
    field: 'stateless',
    spec: {
      kind: 'boolean',
      description:
        'a serving replica: answer uploads without storing them, send jobs to --redis (none without it), follow the production alias',
      default: false,
      cli: { flag: 'stateless' },
    },
  },
  {
    group: 'server',
    field: 'logLevel',
    spec: LOG_LEVEL_OPTION,
  },
];

/**
 * The {@link ServerOptions} of `kws serve`'s parsed flags: each declared flag's value in its group
 * (flags not given and without a default are left out), and the registry's folders.
 */
export function serverOptionsFromCli(
  values: RegistryCliOptions & Readonly<Record<string, unknown>>,
): Partial<ServerOptions> {
  const groups: Record<ServeOptionGroup, Record<string, unknown>> = {
    server: {},
    engine: {},
    batcher: {},
    uploads: {},
  };
  for (const option of SERVE_OPTIONS) {
    const value = option.spec.cli === null ? undefined : values[cliAttributeName(option.spec.cli.flag)];
    if (value !== undefined) groups[option.group][option.field] = value;
  }
  const { server, ...nested } = groups;
  return {
    ...(values.modelsDir === undefined ? {} : { modelsDir: values.modelsDir }),
    ...(values.dataDir === undefined ? {} : { dataDir: values.dataDir }),
    ...server,
    ...nested,
  } as unknown as Partial<ServerOptions>; // each value is of its field's type: its flag's parser or choices made it
}

/** `kws serve`: the GraphQL and REST server (see README "Serving"). Stops cleanly on SIGINT/SIGTERM. */
export function serveCommand(): Command {
  const command = new Command('serve').description(
    'serve models over GraphQL (/graphql) and REST (POST /v1/clips), with dynamic batching',
  );
  for (const option of SERVE_OPTIONS) command.addOption(declaredOption(option.spec));
  return withRegistryOptions(command).action(
    async (options: RegistryCliOptions & Readonly<Record<string, unknown>>) => {
      try {
        const { startServer } = await import('../http/index.js');
        const server = await startServer({ ...serverOptionsFromCli(options), waitUntilReady: false });
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
    },
  );
}
