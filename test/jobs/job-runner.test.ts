import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { synthesizeCorpus } from '../../src/synth/index.js';
import { EnginePool } from '../../src/engine/index.js';
import { JobRunner, JobStore } from '../../src/jobs/index.js';
import type { JobRecord } from '../../src/jobs/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { modelRepository } from '../helpers/server.js';

describe('JobRunner after a restart', () => {
  let work: string;
  let models: string;
  let dbPath: string;
  let registry: ModelRegistry;
  let store: JobStore;
  let pool: EnginePool;
  let runner: JobRunner;
  let corpus: string;
  const earlier: Record<'trainRunning' | 'scoreQueued' | 'scoreQueued2', JobRecord> = {} as never;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'kws-runner-'));
    models = modelRepository(1);
    dbPath = join(work, 'kws.db');
    corpus = join(work, 'corpus');
    await synthesizeCorpus({ outDir: corpus, perWord: 8, words: ['yes', 'no', 'up', 'dog'], seed: 5, realNoiseDir: null });
    registry = ModelRegistry.open(models, dbPath, { createModelsDir: false });
    store = JobStore.open(dbPath);
    // What an earlier process left behind: a training job mid-run (its version half made) and two queued scoring jobs.
    const pending = registry.begin('tc-resnet8');
    earlier.trainRunning = store.update(store.create('train', { dataDir: corpus }).id, { status: 'RUNNING', resultVersion: pending.version });
    earlier.scoreQueued = store.create('score', { dir: work, modelVersion: 1, unknownThreshold: null, probabilities: false });
    earlier.scoreQueued2 = store.create('score', { dir: work, modelVersion: 1, unknownThreshold: null, probabilities: false });
    pool = new EnginePool({ threads: 1 });
    runner = new JobRunner(registry, pool, store, { allowedRoots: [work], outputRoot: join(work, 'jobs'), dbPath });
  });
  after(async () => {
    await runner.close();
    await pool.close();
    store.close();
    registry.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(models, { recursive: true, force: true });
  });

  it('cancels an interrupted job that is not resumed yet, and only that one', async () => {
    const cancelled = await runner.cancel(earlier.scoreQueued.id);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(store.require(earlier.scoreQueued2.id).status, 'QUEUED');
    const abandoned = await runner.cancel(earlier.trainRunning.id);
    assert.equal(abandoned.status, 'CANCELLED');
    assert.equal(registry.list().find((v) => v.version === earlier.trainRunning.resultVersion)?.state, 'failed', 'its half-made version is abandoned');
    await assert.rejects(runner.cancel(earlier.trainRunning.id), { code: 'JOB_NOT_FINISHED' });
  });

  it('resumes only what the earlier process left, never a job submitted since', async () => {
    // Submitted before resumeInterrupted runs (the server takes requests while it warms up).
    const fresh = runner.submitTrain({ dataDir: corpus, epochs: 1, batchSize: 16, allowMissingClasses: true });
    assert.equal(store.require(fresh.id).status, 'RUNNING');
    runner.resumeInterrupted();
    assert.equal(store.require(fresh.id).status, 'RUNNING', 'the new training job is not taken for an interrupted one');
    assert.equal(store.require(earlier.trainRunning.id).status, 'CANCELLED', 'a job cancelled meanwhile stays cancelled');
    let job = store.require(fresh.id);
    for (let i = 0; i < 1200 && (job.status === 'RUNNING' || job.status === 'QUEUED'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = store.require(fresh.id);
    }
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    assert.equal(job.training?.phase, 'done');
    assert.equal(job.training?.epoch, 1);
    const queued = store.require(earlier.scoreQueued2.id);
    assert.ok(['RUNNING', 'SUCCEEDED', 'FAILED'].includes(queued.status), `the earlier queued scoring job was resumed (${queued.status})`);
  });

  it('a shutdown ends a running training job as INTERRUPTED and fails its half-made version', async () => {
    const job = runner.submitTrain({ dataDir: corpus, epochs: 50, patience: 50, batchSize: 8, allowMissingClasses: true });
    let state = store.require(job.id);
    for (let i = 0; i < 600 && state.resultVersion === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = store.require(job.id);
    }
    assert.notEqual(state.resultVersion, null, 'the worker has reserved its version');
    await runner.close();
    const stopped = store.require(job.id);
    assert.equal(stopped.status, 'FAILED');
    assert.equal(stopped.error, 'INTERRUPTED: interrupted by a shutdown of the server; submit it again');
    const version = registry.list().find((v) => v.version === stopped.resultVersion);
    assert.equal(version?.state, 'failed');
  });
});
