import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { EnginePool } from '../../src/engine/index.js';
import type { KwsError } from '../../src/errors/index.js';
import { JobRunner, JobStore } from '../../src/jobs/index.js';
import type { JobRecord, JobStatus } from '../../src/jobs/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { modelRepository } from '../helpers/server.js';
import { tempDir } from '../helpers/signals.js';

/** What one test's earlier process left, and this process's runner over it. */
interface Restart {
  readonly dir: string;
  readonly dbPath: string;
  readonly registry: ModelRegistry;
  readonly store: JobStore;
  readonly runner: JobRunner;
  close(): Promise<void>;
}

describe('JobRunner after a restart', () => {
  let work: string;
  let corpus: string;
  let clips: { dir: string; labels: Map<string, string> };
  let pool: EnginePool;

  before(async () => {
    work = tempDir('kws-runner-');
    corpus = join(work, 'corpus');
    await synthesizeCorpus({
      outDir: corpus,
      perWord: 8,
      words: ['yes', 'no', 'up', 'dog'],
      seed: 5,
      realNoiseDir: null,
    });
    clips = kaggleFolder(2); // 24 real clips
    pool = new EnginePool({ threads: 1 });
  });
  after(async () => {
    await pool.close();
    rmSync(clips.dir, { recursive: true, force: true });
  });

  /**
   * A fresh model repository and database of its own (so that each test is independent), the jobs
   * `leave` records there as an earlier process would have, then a runner made over them.
   */
  function restart(
    name: string,
    leave: (store: JobStore, registry: ModelRegistry) => void = () => undefined,
    onInternalError?: (error: KwsError, jobId: number) => void,
  ): Restart {
    const dir = join(work, name);
    const models = modelRepository(1);
    mkdirSync(dir, { recursive: true });
    const dbPath = join(dir, 'kws.db');
    const registry = ModelRegistry.open(models, { createModelsDir: false });
    const store = JobStore.open(dbPath);
    leave(store, registry);
    const runner = new JobRunner(registry, pool, store, {
      allowedRoots: [work],
      outputRoot: join(dir, 'jobs'),
      dbPath,
      ...(onInternalError === undefined ? {} : { onInternalError }),
    });
    return {
      dir,
      dbPath,
      registry,
      store,
      runner,
      close: async () => {
        await runner.close();
        store.close();
        registry.close();
        rmSync(models, { recursive: true, force: true });
      },
    };
  }

  /** A training job that an earlier process was running: its version reserved and half made. */
  function runningTrain(store: JobStore, registry: ModelRegistry): JobRecord {
    const pending = registry.begin('tc-resnet8');
    const job = store.start(store.create({ kind: 'train', params: { dataDir: corpus } }).id);
    return store.progress(job.id, { resultVersion: pending.version });
  }

  const scoreSpec = {
    kind: 'score',
    params: { dir: '', modelVersion: 1, unknownThreshold: null, probabilities: false, tta: false },
  } as const;

  async function settle(store: JobStore, id: number, seconds: number): Promise<JobRecord> {
    let job = store.require(id);
    for (let i = 0; i < seconds * 10 && (job.status === 'RUNNING' || job.status === 'QUEUED'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = store.require(id);
    }
    return job;
  }

  it('cancels an interrupted job that is not resumed yet, and only that one', async () => {
    const earlier: { train?: JobRecord; queued?: JobRecord; queued2?: JobRecord } = {};
    const r = restart('cancel', (store, registry) => {
      earlier.train = runningTrain(store, registry);
      earlier.queued = store.create({ ...scoreSpec, params: { ...scoreSpec.params, dir: clips.dir } });
      earlier.queued2 = store.create({ ...scoreSpec, params: { ...scoreSpec.params, dir: clips.dir } });
    });
    try {
      const [train, queued, queued2] = [earlier.train, earlier.queued, earlier.queued2];
      assert.ok(train !== undefined && queued !== undefined && queued2 !== undefined);
      const cancelled = await r.runner.cancel(queued.id);
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(r.store.require(queued2.id).status, 'QUEUED');
      const abandoned = await r.runner.cancel(train.id);
      assert.equal(abandoned.status, 'CANCELLED');
      assert.equal(
        r.registry.list().find((v) => v.version === train.resultVersion)?.state,
        'failed',
        'its half-made version is abandoned',
      );
      await assert.rejects(r.runner.cancel(train.id), {
        name: 'KwsError',
        code: 'ILLEGAL_TRANSITION',
        message: `job ${train.id} has already ended (CANCELLED); only QUEUED or RUNNING jobs can be cancelled`,
      });
    } finally {
      await r.close();
    }
  });

  it('resumes only what the earlier process left, never a job submitted since: training FAILED, scoring reclaimed and SUCCEEDED', async () => {
    const earlier: { train?: JobRecord; queued?: JobRecord; running?: JobRecord } = {};
    const r = restart('resume', (store, registry) => {
      earlier.train = runningTrain(store, registry);
      const outputDir = (id: number): string => join(work, 'resume', 'jobs', String(id));
      earlier.running = store.start(
        store.create({ ...scoreSpec, params: { ...scoreSpec.params, dir: clips.dir } }, outputDir).id,
      );
      earlier.queued = store.create({ ...scoreSpec, params: { ...scoreSpec.params, dir: clips.dir } }, outputDir);
    });
    try {
      const [train, running, queued] = [earlier.train, earlier.running, earlier.queued];
      assert.ok(train !== undefined && running !== undefined && queued !== undefined);
      // Submitted before resumeInterrupted runs (the server takes requests while it warms up).
      const fresh = await r.runner.submitTrain({
        dataDir: corpus,
        epochs: 1,
        batchSize: 16,
        allowMissingClasses: true,
      });
      assert.equal(r.store.require(fresh.id).status, 'RUNNING');
      r.runner.resumeInterrupted();
      assert.equal(
        r.store.require(fresh.id).status,
        'RUNNING',
        'the new training job is not taken for an interrupted one',
      );
      const interrupted = r.store.require(train.id);
      assert.equal(interrupted.status, 'FAILED');
      assert.deepEqual(interrupted.error, {
        code: 'INTERRUPTED',
        message: 'training was interrupted by a restart of the server; submit it again',
      });
      assert.equal(
        r.registry.list().find((v) => v.version === train.resultVersion)?.state,
        'failed',
        'its half-made version is abandoned',
      );
      const trained = await settle(r.store, fresh.id, 120);
      assert.equal(trained.status, 'SUCCEEDED', JSON.stringify(trained.error));
      assert.equal(trained.training?.phase, 'done');
      assert.equal(trained.training?.epoch, 1);
      for (const [job, attempt] of [
        [running, 2],
        [queued, 1],
      ] as const) {
        const scored = await settle(r.store, job.id, 60);
        assert.deepEqual(
          {
            status: scored.status,
            attempt: scored.attempt,
            processed: scored.processed,
            failed: scored.failed,
            total: scored.total,
            error: scored.error,
          },
          { status: 'SUCCEEDED' satisfies JobStatus, attempt, processed: 24, failed: 0, total: 24, error: null },
        );
        const rows = readFileSync(r.runner.outputPath(job.id, 'submission'), 'utf8').trim().split('\n');
        assert.equal(rows[0], 'fname,label');
        assert.deepEqual(
          rows
            .slice(1)
            .map((row) => row.split(',')[0])
            .sort(),
          [...clips.labels.keys()].sort(),
        );
      }
      assert.equal(
        readFileSync(r.runner.outputPath(running.id, 'submission'), 'utf8'),
        readFileSync(r.runner.outputPath(queued.id, 'submission'), 'utf8'),
        'the reclaimed job wrote what a fresh one does',
      );
    } finally {
      await r.close();
    }
  });

  it('a shutdown ends a running training job as INTERRUPTED and fails its half-made version', async () => {
    const r = restart('shutdown');
    try {
      const job = await r.runner.submitTrain({
        dataDir: corpus,
        epochs: 50,
        patience: 50,
        batchSize: 8,
        allowMissingClasses: true,
      });
      let state = r.store.require(job.id);
      for (let i = 0; i < 600 && state.resultVersion === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = r.store.require(job.id);
      }
      assert.notEqual(state.resultVersion, null, 'the worker has reserved its version');
      await r.runner.close();
      const stopped = r.store.require(job.id);
      assert.equal(stopped.status, 'FAILED');
      assert.deepEqual(stopped.error, {
        code: 'INTERRUPTED',
        message: 'interrupted by a shutdown of the server; submit it again',
      });
      assert.equal(r.registry.list().find((v) => v.version === stopped.resultVersion)?.state, 'failed');
    } finally {
      await r.close();
    }
  });

  it('stores an unexpected failure as INTERNAL with a masked message and reports the original as its cause', async () => {
    const reports: Array<{ error: KwsError; jobId: number }> = [];
    let queued: JobRecord | undefined;
    const r = restart(
      'masked',
      (store) => (queued = store.create({ ...scoreSpec, params: { ...scoreSpec.params, dir: clips.dir } })),
      (error, jobId) => reports.push({ error, jobId }),
    );
    try {
      assert.ok(queued !== undefined);
      r.registry.close(); // the scoring job's first read of the registry throws a TypeError, not a KwsError
      r.runner.resumeInterrupted();
      const failed = await settle(r.store, queued.id, 10);
      assert.equal(failed.status, 'FAILED');
      assert.deepEqual(failed.error, { code: 'INTERNAL', message: 'internal error; the server log has the details' });
      assert.equal(reports.length, 1);
      const [report] = reports;
      assert.equal(report?.jobId, queued.id);
      assert.equal(report?.error.name, 'KwsError');
      assert.equal(report?.error.code, 'INTERNAL');
      assert.equal(report?.error.message, `job ${queued.id} failed unexpectedly`);
      assert.ok(report?.error.cause instanceof TypeError);
      assert.equal(report.error.cause.message, 'The database connection is not open');
    } finally {
      await r.close();
    }
  });
});
