import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnginePool } from '../../src/engine/index.js';
import { DEFAULT_WORKER_OPTIONS, JobRunner, JobStore, RedisJobQueue, scoreTestSet } from '../../src/jobs/index.js';
import { WORKER_OPTIONS } from '../../src/cli/worker.command.js';
import type { JobRecord } from '../../src/jobs/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { ScoreCheckpointStore } from '../../src/storage/index.js';
import { threeWordCorpus } from '../helpers/corpus.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { graphql, graphqlUpload, testServer } from '../helpers/server.js';
import { modelRepository } from '../helpers/models.js';
import { redisAvailable, startRedis, startWorker } from '../helpers/redis.js';
import type { TestRedis, TestWorker } from '../helpers/redis.js';
import { tempDir } from '../helpers/signals.js';
import { spawnKws } from '../helpers/cli.js';

const CHUNK = 4;
const OUTPUTS = ['submission.csv', 'probabilities.csv', 'errors.csv'] as const;

/** Polls the job store until the job has ended (or `until` holds), at most `timeoutMs`. */
async function settle(
  store: JobStore,
  id: number,
  until: (job: JobRecord) => boolean = (job) => !['QUEUED', 'RUNNING'].includes(job.status),
  timeoutMs = 120_000,
): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = store.require(id);
    if (until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(
  'jobs on BullMQ and Redis, run by kws worker processes',
  { skip: !redisAvailable() && 'redis-server is not installed' },
  () => {
    let redis: TestRedis;
    let work: string;
    let models: string;
    let data: { dir: string };
    /** The one-machine outputs of `data` at chunk size CHUNK: the bytes every distributed run must match. */
    const reference = new Map<string, Buffer>();
    const workers: TestWorker[] = [];
    const deployments: Array<{ close(): Promise<void> }> = [];
    let databases = 0;

    before(async () => {
      redis = await startRedis();
      work = tempDir('kws-redis-jobs-');
      models = modelRepository(1);
      data = kaggleFolder(3); // 36 real clips
      writeFileSync(join(data.dir, 'audio', 'clip_zz_broken.wav'), 'RIFF....WAVEfmt not really'); // one row in errors.csv
      const registry = ModelRegistry.open(models, { createModelsDir: false });
      const pool = new EnginePool({ threads: 1 });
      const checkpoints = ScoreCheckpointStore.open(':memory:');
      const out = join(work, 'reference');
      await scoreTestSet(registry, pool, checkpoints, {
        dir: data.dir,
        out: join(out, 'submission.csv'),
        probabilitiesOut: join(out, 'probabilities.csv'),
        errorsOut: join(out, 'errors.csv'),
        chunkSize: CHUNK,
        checkpointKey: 'reference',
      });
      for (const name of OUTPUTS) reference.set(name, readFileSync(join(out, name)));
      checkpoints.close();
      await pool.close();
      registry.close();
    });
    after(async () => {
      await Promise.all(workers.map((w) => w.kill()));
      for (const d of deployments) await d.close();
      await redis?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    /** A stateless serving replica over the shared model repository, queueing jobs on `url`. */
    const replica = (dataDir: string, url: string): ReturnType<typeof testServer> =>
      testServer({ dataDir, modelsDir: models, redisUrl: url, stateless: true, scoreRoots: [work] });

    /**
     * A data folder of its own over the shared model repository, with a runner queueing on a Redis
     * database of its own (deployments never share one), and its workers.
     */
    async function deployment(name: string, shardClips: number) {
      const url = `${redis.url}/${++databases}`;
      const dataDir = join(work, name);
      mkdirSync(dataDir, { recursive: true });
      const dbPath = join(dataDir, 'kws.db');
      const registry = ModelRegistry.open(models, { createModelsDir: false });
      const store = JobStore.open(dbPath);
      const pool = new EnginePool({ threads: 1 });
      const queue = await RedisJobQueue.connect(store, { url, chunkSize: CHUNK, shardClips });
      const runner = new JobRunner(registry, pool, store, {
        allowedRoots: [work, data.dir],
        outputRoot: join(dataDir, 'jobs'),
        dbPath,
        queue,
      });
      const worker = async (...args: string[]): Promise<TestWorker> => {
        const w = await startWorker(url, [
          '--data-dir',
          dataDir,
          '--models-dir',
          models,
          '--threads',
          '1',
          '--lock-duration-ms',
          '2000',
          ...args,
        ]);
        workers.push(w);
        return w;
      };
      const outputs = (job: JobRecord): Map<string, Buffer> =>
        new Map(OUTPUTS.map((file) => [file, readFileSync(join(job.outputDir ?? '', file))]));
      let closed: Promise<void> | null = null;
      const d = {
        store,
        runner,
        worker,
        outputs,
        close: () =>
          (closed ??= (async () => {
            await runner.close();
            await pool.close();
            store.close();
            registry.close();
          })()),
      };
      deployments.push(d);
      return d;
    }

    it('splits a scoring job into shards over 2 workers and assembles the bytes of a run on one machine', async () => {
      const d = await deployment('two-workers', 12); // 37 clips: 4 shards of 3 chunks
      const [a, b] = await Promise.all([d.worker('--chunk-delay-ms', '100'), d.worker('--chunk-delay-ms', '100')]);
      const job = await d.runner.submitScore({ dir: data.dir });
      const done = await settle(d.store, job.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.deepEqual(
        { processed: done.processed, failed: done.failed, total: done.total },
        { processed: 37, failed: 1, total: 37 },
      );
      assert.deepEqual(d.outputs(done), reference);
      // Both workers scored shards; the plan and the shards are gone.
      const shardsOf = (w: TestWorker) =>
        w.events.filter((e) => e['event'] === 'finished' && String(e['part']).startsWith('shard')).length;
      assert.ok(shardsOf(a!) >= 1 && shardsOf(b!) >= 1, `shards per worker: ${shardsOf(a!)}, ${shardsOf(b!)}`);
      assert.equal(shardsOf(a!) + shardsOf(b!), 4);
      // They go right after the job is recorded SUCCEEDED (so that a dead assembler's retry still finds them).
      const leftover = () => ['shards', 'plan.json'].filter((f) => existsSync(join(done.outputDir ?? '', f)));
      for (let i = 0; i < 100 && leftover().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(existsSync(join(done.outputDir ?? '', 'shards')), false);
      assert.equal(existsSync(join(done.outputDir ?? '', 'plan.json')), false);
      await Promise.all([a!.kill(), b!.kill()]);
      await d.close();
    });

    it('runs a shard again on another worker when its worker is killed (SIGKILL) mid-shard, and the bytes still agree', async () => {
      const d = await deployment('killed', 20); // 2 shards of 5 chunks
      const doomed = await d.worker('--chunk-delay-ms', '400');
      const job = await d.runner.submitScore({ dir: data.dir });
      const started = await doomed.waitFor((e) => e['event'] === 'started' && String(e['part']).startsWith('shard'));
      await new Promise((r) => setTimeout(r, 600)); // a chunk or two into the shard
      await doomed.kill();
      assert.equal(d.store.require(job.id).status, 'RUNNING');
      const survivor = await d.worker();
      const done = await settle(d.store, job.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.deepEqual(d.outputs(done), reference);
      // The survivor finished the shard the killed worker had started.
      const startedShard = Number(/^shard (\d+)/.exec(String(started['part']))?.[1]);
      assert.ok(
        survivor.events.some(
          (e) => e['event'] === 'finished' && String(e['part']).startsWith(`shard ${startedShard} of`),
        ),
        JSON.stringify(survivor.events),
      );
      await survivor.kill();
      await d.close();
    });

    it('ends a job FAILED naming the shard whose workers died more than twice', async () => {
      const d = await deployment('stall-limit', 40); // one shard of 10 chunks
      const job = await d.runner.submitScore({ dir: data.dir });
      for (let kill = 1; kill <= 3; kill++) {
        const doomed = await d.worker('--chunk-delay-ms', '1000');
        await doomed.waitFor((e) => e['event'] === 'started' && String(e['part']).startsWith('shard'));
        await doomed.kill();
      }
      const last = await d.worker();
      const done = await settle(d.store, job.id);
      assert.equal(done.status, 'FAILED');
      assert.deepEqual(done.error, {
        code: 'INTERRUPTED',
        message:
          'shard 1 of 1 (clips 1-37) was interrupted: its workers stopped more than 2 times (killed, or out of memory?)',
      });
      await last.kill();
    });

    it('loses no accepted job when Redis restarts (AOF) mid-job', async () => {
      const d = await deployment('restart', 8);
      const w = await d.worker('--chunk-delay-ms', '150');
      const job = await d.runner.submitScore({ dir: data.dir });
      const queued = await d.runner.submitScore({ dir: data.dir }); // waits in Redis behind the first
      await w.waitFor((e) => e['event'] === 'finished' && String(e['part']).startsWith('shard'));
      await redis.restart();
      const [first, second] = [await settle(d.store, job.id), await settle(d.store, queued.id)];
      for (const done of [first, second]) {
        assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
        assert.deepEqual(d.outputs(done), reference);
      }
      await w.kill();
      await d.close();
    });

    it('stops a cancelled job on every worker and leaves it CANCELLED without outputs', async () => {
      const d = await deployment('cancel', 12); // 4 shards of 3 chunks (4.5 s each with the delay)
      const [a, b] = await Promise.all([d.worker('--chunk-delay-ms', '1500'), d.worker('--chunk-delay-ms', '1500')]);
      const job = await d.runner.submitScore({ dir: data.dir });
      const running = (w: TestWorker) =>
        w.waitFor((e) => e['event'] === 'started' && String(e['part']).startsWith('shard'));
      await Promise.all([running(a!), running(b!)]);
      await new Promise((r) => setTimeout(r, 700)); // into each shard's first chunk
      const cancelled = await d.runner.cancel(job.id);
      assert.equal(cancelled.status, 'CANCELLED');
      // Each worker stops the shard it held within a poll (0.5 s), seconds before it would be done, and takes no other.
      const ended = (w: TestWorker) =>
        w.waitFor((e) => e['event'] === 'stopped' && String(e['part']).startsWith('shard'), 3000);
      await Promise.all([ended(a!), ended(b!)]);
      await new Promise((r) => setTimeout(r, 2000));
      const shardsStarted = [...a!.events, ...b!.events].filter((e) => e['event'] === 'started').length;
      assert.equal(shardsStarted, 2, 'no shard started after the cancel');
      const after = d.store.require(job.id);
      assert.equal(after.status, 'CANCELLED');
      assert.equal(existsSync(join(after.outputDir ?? '', 'submission.csv')), false);
      await assert.rejects(d.runner.cancel(job.id), { code: 'ILLEGAL_TRANSITION' });
      await Promise.all([a!.kill(), b!.kill()]);
      await d.close();
    });

    it('ends a job FAILED naming the shard that failed on every try', async () => {
      const d = await deployment('failing', 12);
      const job = await d.runner.submitScore({ dir: data.dir });
      // Where the shards go is a file: no shard can be written.
      writeFileSync(join(job.outputDir ?? '', 'shards'), 'not a folder');
      const w = await d.worker();
      const done = await settle(d.store, job.id);
      assert.equal(done.status, 'FAILED');
      assert.equal(done.error?.code, 'FILE_UNWRITABLE');
      assert.match(done.error?.message ?? '', /^shard \d of 4 \(clips \d+-\d+\) failed after 3 tries: /);
      await w.kill();
      await d.close();
    });

    it('runs the 4 trials of a search on 2 workers at once, submitted and read through the GraphQL of a stateless replica', async () => {
      const url = `${redis.url}/${++databases}`;
      const dataDir = join(work, 'search');
      const corpus = join(work, 'search-corpus');
      await threeWordCorpus(corpus);
      const server = await replica(dataDir, url);
      try {
        const start = (): Promise<TestWorker> =>
          startWorker(url, [
            '--data-dir',
            dataDir,
            '--models-dir',
            models,
            '--kinds',
            'search',
            '--lock-duration-ms',
            '5000',
          ]);
        const pair = await Promise.all([start(), start()]);
        workers.push(...pair);
        const started = await graphql(
          server.url,
          `
            mutation ($dir: String!) {
              startSearch(
                input: {
                  dataDir: $dir
                  allowMissingClasses: true
                  strategy: RANDOM
                  trials: 4
                  epochs: 1
                  batchSize: 16
                  seed: 4
                  space: { learningRate: { min: 0.0005, max: 0.01 } }
                }
              ) {
                id
                status
              }
            }
          `,
          { dir: corpus },
        );
        assert.equal(started.errors, undefined, JSON.stringify(started.errors));
        const id = (started.data?.['startSearch'] as { id: string }).id;
        type Trial = {
          trial: number;
          status: string;
          version: number;
          worker: string;
          startedAt: string;
          finishedAt: string;
        };
        let job: { status: string; search: { trials: Trial[] } } | undefined;
        for (let i = 0; i < 2400; i++) {
          const body = await graphql(
            server.url,
            `{ job(id: "${id}") { status search { trials { trial status version worker startedAt finishedAt } } } }`,
          );
          job = body.data?.['job'] as typeof job;
          if (job !== undefined && !['QUEUED', 'RUNNING'].includes(job.status)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(job?.status, 'SUCCEEDED', JSON.stringify(job));
        const trials = job?.search.trials ?? [];
        assert.deepEqual(
          trials.map((t) => [t.trial, t.status]),
          [1, 2, 3, 4].map((t) => [t, 'SUCCEEDED']),
        );
        assert.equal(new Set(trials.map((t) => t.version)).size, 4, 'each trial made its own version');
        assert.equal(new Set(trials.map((t) => t.worker)).size, 2, 'both workers ran trials');
        const overlapping = trials.some((a) =>
          trials.some((b) => a.trial < b.trial && a.startedAt < b.finishedAt && b.startedAt < a.finishedAt),
        );
        assert.ok(overlapping, `trials overlap in time: ${JSON.stringify(trials)}`);
      } finally {
        await server.stop();
      }
    });

    it('runs a training job on a worker: the version it makes, its progress and its end are in the job store', async () => {
      const d = await deployment('train', 4096);
      const corpus = join(work, 'train-corpus');
      await threeWordCorpus(corpus);
      const w = await d.worker('--kinds', 'train');
      const job = await d.runner.submitTrain({ dataDir: corpus, epochs: 1, batchSize: 16, allowMissingClasses: true });
      const done = await settle(d.store, job.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.equal(done.training?.phase, 'done');
      assert.equal(done.training?.history?.length, 1);
      const registry = ModelRegistry.open(models, { createModelsDir: false });
      try {
        assert.equal(registry.list().find((v) => v.version === done.resultVersion)?.state, 'ready');
      } finally {
        registry.close();
      }
      await w.kill();
    });

    it('runs a trial again on another worker when its worker is killed (SIGKILL) mid-trial, its half-made version abandoned', async () => {
      const d = await deployment('killed-trial', 4096);
      const corpus = join(work, 'trial-corpus');
      await threeWordCorpus(corpus);
      const doomed = await d.worker('--kinds', 'search');
      const job = await d.runner.submitSearch({
        dataDir: corpus,
        space: { learningRate: { kind: 'float', min: 0.001, max: 0.01, log: false } },
        strategy: 'RANDOM',
        trials: 1,
        epochs: 1,
        batchSize: 16,
        allowMissingClasses: true,
      });
      // Killed once its training thread has reserved the trial's version.
      const reserved = await settle(d.store, job.id, (j) => j.result?.trials[0]?.version !== null && j.result !== null);
      const first = reserved.result?.trials[0]?.version ?? null;
      await doomed.kill();
      const survivor = await d.worker('--kinds', 'search');
      const done = await settle(d.store, job.id);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      const trial = done.result?.trials[0];
      assert.equal(trial?.status, 'SUCCEEDED');
      assert.notEqual(trial?.version, first);
      assert.equal(trial?.worker?.endsWith(`:${survivor.child.pid}`), true, trial?.worker ?? '');
      const registry = ModelRegistry.open(models, { createModelsDir: false });
      try {
        assert.equal(registry.list().find((v) => v.version === first)?.state, 'failed');
      } finally {
        registry.close();
      }
      await survivor.kill();
    });

    it('a stateless replica answers uploads without storing them, and follows production within a second', async () => {
      const url = `${redis.url}/${++databases}`;
      const server = await replica(join(work, 'replica'), url);
      try {
        const clip = readFileSync(join(data.dir, 'audio', readdirSync(join(data.dir, 'audio')).sort()[0] ?? ''));
        const form = new FormData();
        form.append('clip', new Blob([clip]), 'a.wav');
        const rest = (await (await fetch(`${server.url}/v1/clips`, { method: 'POST', body: form })).json()) as {
          clips: Array<{ id: string | null; filename: string; prediction: { label: string; modelVersion: number } }>;
        };
        assert.equal(rest.clips[0]?.id, null);
        assert.equal(rest.clips[0]?.filename, 'a.wav');
        const answered = await graphqlUpload(
          server.url,
          `mutation ($files: [Upload!]!) { classifyClips(files: $files) { filename clip { id } prediction { label modelVersion } } }`,
          [{ name: 'a.wav', bytes: clip }],
        );
        assert.deepEqual(answered.data?.['classifyClips'], [
          {
            filename: 'a.wav',
            clip: null,
            prediction: {
              label: rest.clips[0]?.prediction.label,
              modelVersion: rest.clips[0]?.prediction.modelVersion,
            },
          },
        ]);
        const listed = await graphql(server.url, '{ clips(first: 5) { edges { node { id } } } }');
        assert.deepEqual(listed.data?.['clips'], { edges: [] });
        // Another process promotes a version: the replica serves it, and says so, within a second or so.
        const ready = async (): Promise<{ version: number }> =>
          (await (await fetch(`${server.url}/readyz`)).json()) as { version: number };
        const before = (await ready()).version;
        const other = ModelRegistry.open(models, { createModelsDir: false });
        const next = other.list().find((v) => v.version !== before && v.state === 'ready')?.version;
        assert.notEqual(next, undefined, 'the repository has another ready version');
        other.setAlias('production', next ?? 0);
        try {
          let seen = before;
          for (let i = 0; i < 40 && seen !== next; i++) {
            await new Promise((r) => setTimeout(r, 100));
            seen = (await ready()).version;
          }
          assert.equal(seen, next);
        } finally {
          other.setAlias('production', before);
          other.close();
        }
      } finally {
        await server.stop();
      }
    });
  },
);

describe('the Redis queue refuses what it cannot use, without a Redis', () => {
  it('refuses a URL that is not redis://, and answers NOT_READY when Redis does not answer in time', async () => {
    const store = JobStore.open(':memory:');
    try {
      for (const url of ['http://127.0.0.1:6379', 'redis://', 'not a url'])
        await assert.rejects(RedisJobQueue.connect(store, { url }), {
          code: 'INVALID_ARGUMENT',
          message: `a Redis URL is redis://host[:port][/db] (or rediss:// for TLS), got ${JSON.stringify(url)}`,
        });
      await assert.rejects(RedisJobQueue.connect(store, { url: 'redis://127.0.0.1:1', shardClips: 0 }), {
        code: 'INVALID_ARGUMENT',
        message: 'shardClips must be an integer from 1 to 1000000, got 0',
      });
      await assert.rejects(
        RedisJobQueue.connect(store, { url: 'redis://user:secret@127.0.0.1:1/3', connectTimeoutMs: 300 }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'NOT_READY');
          assert.match(
            error.message,
            /^the job queue \(Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/3\) cannot take jobs now: /,
          );
          assert.doesNotMatch(error.message, /secret/);
          return true;
        },
      );
    } finally {
      store.close();
    }
  });

  it('declares kws worker flags with the worker defaults', () => {
    const defaults = Object.fromEntries(WORKER_OPTIONS.map((o) => [o.cli?.flag, o.default]));
    assert.deepEqual(
      {
        concurrency: defaults['concurrency'],
        lockDurationMs: defaults['lock-duration-ms'],
        chunkDelayMs: defaults['chunk-delay-ms'],
      },
      {
        concurrency: DEFAULT_WORKER_OPTIONS.concurrency,
        lockDurationMs: DEFAULT_WORKER_OPTIONS.lockDurationMs,
        chunkDelayMs: DEFAULT_WORKER_OPTIONS.chunkDelayMs,
      },
    );
  });

  it('kws worker needs a Redis URL, and names the job kinds it takes', () => {
    const missing = spawnKws(['worker', '--data-dir', tempDir('kws-worker-')], { timeoutMs: 60_000 });
    assert.equal(missing.status, 1);
    assert.match(
      missing.stderr,
      /^kws worker: INVALID_ARGUMENT: a worker needs Redis: pass --redis redis:\/\/host:port or set KWS_REDIS_URL\n$/,
    );
    const kinds = spawnKws(['worker', '--redis', 'redis://127.0.0.1:1', '--kinds', 'score,paint'], {
      timeoutMs: 60_000,
    });
    assert.equal(kinds.status, 2);
    assert.match(kinds.stderr, /expected some of score,train,search, got "score,paint"/);
  });
});
