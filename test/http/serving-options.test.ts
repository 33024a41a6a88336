import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Option } from 'commander';
import { SERVE_OPTIONS, serveCommand, serverOptionsFromCli } from '../../src/cli/serve.command.js';
import type { ServeOption } from '../../src/cli/serve.command.js';
import { defaultEnginePoolOptions } from '../../src/engine/index.js';
import { DEFAULT_UPLOAD_LIMITS } from '../../src/http/index.js';
import { DEFAULT_SERVER_OPTIONS } from '../../src/http/server.js';
import { DEFAULT_BATCHER_OPTIONS, validateBatcherOptions } from '../../src/inference/index.js';
import { packagesLoadedBy } from '../helpers/loaded-packages.js';

function flagOf(option: ServeOption): Option {
  const found = serveCommand().options.find((o) => o.long === `--${option.spec.cli?.flag}`);
  assert.ok(found !== undefined, `kws serve has --${option.spec.cli?.flag}`);
  return found;
}

/** The default of the library option a flag sets (undefined: none, or one the layer works out, as the engine's thread count). */
function libraryDefault(option: ServeOption): unknown {
  switch (option.group) {
    case 'batcher':
      return DEFAULT_BATCHER_OPTIONS[option.field];
    case 'uploads':
      return DEFAULT_UPLOAD_LIMITS[option.field];
    case 'engine':
      return option.field === 'threads' ? undefined : defaultEnginePoolOptions()[option.field];
    case 'server':
      return (DEFAULT_SERVER_OPTIONS as Readonly<Record<string, unknown>>)[option.field];
  }
}

describe('kws serve options, declared once', () => {
  it('gives every flag the default of the library option it sets', () => {
    for (const option of SERVE_OPTIONS) {
      const flag = flagOf(option);
      assert.equal(flag.defaultValue, libraryDefault(option), `--${option.spec.cli?.flag}`);
      assert.equal(flag.defaultValue, option.spec.default);
    }
  });

  it('offers a flag for every batcher option but maxConcurrentBatches (the engine thread count) and every upload limit', () => {
    const fields = (group: ServeOption['group']): string[] =>
      SERVE_OPTIONS.filter((o) => o.group === group)
        .map((o) => o.field)
        .sort();
    assert.deepEqual(
      fields('batcher'),
      Object.keys(DEFAULT_BATCHER_OPTIONS)
        .filter((name) => name !== 'maxConcurrentBatches')
        .sort(),
    );
    assert.deepEqual(fields('uploads'), Object.keys(DEFAULT_UPLOAD_LIMITS).sort());
    assert.deepEqual(
      fields('engine'),
      Object.keys(defaultEnginePoolOptions())
        .filter((name) => name !== 'maxLoadedModels')
        .sort(),
    );
    assert.deepEqual(
      serveCommand()
        .options.map((o) => o.long)
        .filter((long) => long !== '--models-dir' && long !== '--data-dir'),
      SERVE_OPTIONS.map((o) => `--${o.spec.cli?.flag}`),
      'no flag that is not declared',
    );
  });

  it('accepts at each end of a batcher flag only values the batcher accepts, and refuses below the least one', () => {
    for (const option of SERVE_OPTIONS) {
      const range = option.spec.range;
      if (option.group !== 'batcher' || range === undefined) continue;
      for (const end of [range.min, range.max]) {
        const value: unknown = flagOf(option).parseArg?.(String(end), undefined);
        assert.equal(value, end);
        assert.doesNotThrow(
          () => validateBatcherOptions({ ...DEFAULT_BATCHER_OPTIONS, [option.field]: value }),
          `${option.field} ${end}`,
        );
      }
      assert.throws(() => flagOf(option).parseArg?.(String(range.min - 1), undefined), {
        code: 'commander.invalidArgument',
      });
    }
    assert.throws(
      () => flagOf(SERVE_OPTIONS.find((o) => o.field === 'maxBatchSize') as ServeOption).parseArg?.('0', undefined),
      { message: 'expected an integer from 1 to 4096, got "0"' },
    );
    assert.throws(
      () => flagOf(SERVE_OPTIONS.find((o) => o.field === 'timeoutMs') as ServeOption).parseArg?.('0', undefined),
      { message: 'expected a number from 1 to 600000, got "0"' },
    );
  });

  it('maps the parsed flags onto ServerOptions, nested by the layer that owns each', () => {
    const command = serveCommand();
    command.parseOptions([
      '--port',
      '0',
      '--threads',
      '2',
      '--max-queue-delay-ms',
      '5',
      '--max-files',
      '3',
      '--score-root',
      '/a',
      '--score-root',
      '/b',
      '--models-dir',
      '/models',
      '--metrics-public',
      '--cors-origin',
      'https://a.example',
      '--redis',
      'redis://queue.example:6379/2',
      '--shard-clips',
      '512',
      '--stateless',
    ]);
    assert.deepEqual(serverOptionsFromCli(command.opts()), {
      modelsDir: '/models',
      port: 0,
      host: '127.0.0.1',
      scoreRoots: ['/a', '/b'],
      logLevel: 'info',
      insecure: false,
      metricsPublic: true,
      corsOrigins: ['https://a.example'],
      redisUrl: 'redis://queue.example:6379/2',
      shardClips: 512,
      stateless: true,
      engine: { engine: 'onnx', device: 'auto', threads: 2 },
      batcher: { maxBatchSize: 64, maxQueueDelayMs: 5, maxQueueLength: 1024, timeoutMs: 10_000 },
      uploads: { maxFileBytes: 5 * 1024 * 1024, maxFiles: 3, maxBodyBytes: 64 * 1024 * 1024 },
    });
  });

  it('loads no HTTP or GraphQL server for the kws serve command until it runs', () => {
    const loaded = packagesLoadedBy(
      `await import(${JSON.stringify(new URL('../../src/cli/serve.command.ts', import.meta.url).href)});`,
    );
    assert.ok(loaded.includes('commander'), loaded.join(', '));
    assert.deepEqual(
      loaded.filter((name) =>
        ['@apollo/server', 'express', 'graphql', 'type-graphql', 'multer', '@tensorflow/tfjs-core'].includes(name),
      ),
      [],
    );
  });
});
