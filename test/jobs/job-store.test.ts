import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { UnreachableCaseError } from '../../src/errors/index.js';
import { JOB_STATUSES, JOB_TRANSITIONS, JobStore } from '../../src/jobs/index.js';
import type { JobMove, JobProgress, JobRecord, JobSpec, JobStatus, SearchResult } from '../../src/jobs/index.js';
import { tempDir } from '../helpers/signals.js';

const SCORE: JobSpec = {
  kind: 'score',
  params: { dir: '/data/test', modelVersion: 1, unknownThreshold: null, probabilities: true, tta: false },
};
const TRAIN: JobSpec = {
  kind: 'train',
  params: { dataDir: '/data/corpus', epochs: 3, augment: { noiseProbability: 0.5, gainDb: [-3, 3] }, backend: 'wasm' },
};
const SEARCH: JobSpec = {
  kind: 'search',
  params: {
    dataDir: '/data/corpus',
    space: {
      learningRate: { kind: 'float', min: 1e-4, max: 1e-2, log: true },
      architecture: { kind: 'choice', values: ['lenet', 'tc-resnet8'] },
    },
    strategy: 'TPE',
    trials: 4,
    metric: 'validationAccuracy',
    epochs: 2,
    seed: 1,
  },
};
const BAD = { code: 'INVALID_ARGUMENT', message: 'bad dataset' } as const;

/** A new job of `spec` brought to `status` through legal moves. */
function jobIn(store: JobStore, status: JobStatus, spec: JobSpec = SCORE): JobRecord {
  const job = store.create(spec);
  switch (status) {
    case 'QUEUED':
      return job;
    case 'RUNNING':
      return store.start(job.id);
    case 'SUCCEEDED':
      store.start(job.id);
      return store.succeed(job.id);
    case 'FAILED':
      store.start(job.id);
      return store.fail(job.id, BAD);
    case 'CANCELLED':
      return store.cancel(job.id);
    default:
      throw new UnreachableCaseError(status);
  }
}

/** Makes `move` on job `id` (reclaim with the attempt read now). */
function makeMove(store: JobStore, move: JobMove, id: number): JobRecord {
  switch (move) {
    case 'start':
      return store.start(id);
    case 'reclaim':
      return store.reclaim(id, store.require(id).attempt);
    case 'retry':
      return store.retry(id, store.require(id).attempt);
    case 'succeed':
      return store.succeed(id);
    case 'fail':
      return store.fail(id, BAD);
    case 'cancel':
      return store.cancel(id);
    default:
      throw new UnreachableCaseError(move);
  }
}

const MOVES = Object.keys(JOB_TRANSITIONS) as JobMove[];

describe('JobStore: the job lifecycle', () => {
  let store: JobStore;
  before(() => {
    store = JobStore.open(':memory:');
  });
  after(() => store.close());

  it('creates jobs QUEUED at attempt 0, with their params read back typed by kind', () => {
    for (const spec of [SCORE, TRAIN, SEARCH]) {
      const job = store.create(spec);
      assert.deepEqual(
        {
          kind: job.kind,
          params: job.params,
          status: job.status,
          attempt: job.attempt,
          error: job.error,
          result: job.result,
          startedAt: job.startedAt,
          finishedAt: job.finishedAt,
        },
        {
          kind: spec.kind,
          params: spec.params,
          status: 'QUEUED',
          attempt: 0,
          error: null,
          result: null,
          startedAt: null,
          finishedAt: null,
        },
      );
    }
    const scored = store.create(SCORE, (id) => `/out/${id}`);
    assert.equal(scored.outputDir, `/out/${scored.id}`);
  });

  it('makes every legal move: start, reclaim, succeed, fail, and cancel from QUEUED and from RUNNING', () => {
    const started = store.start(store.create(SCORE).id);
    assert.equal(started.status, 'RUNNING');
    assert.equal(started.attempt, 1);
    assert.match(started.startedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(started.finishedAt, null);

    const reclaimed = store.reclaim(started.id, 1);
    assert.deepEqual(
      { status: reclaimed.status, attempt: reclaimed.attempt, startedAt: reclaimed.startedAt },
      { status: 'RUNNING', attempt: 2, startedAt: started.startedAt },
    );

    const succeeded = store.succeed(started.id, { processed: 48, failed: 2, total: 48, etaSeconds: 0 });
    assert.deepEqual(
      {
        status: succeeded.status,
        processed: succeeded.processed,
        failed: succeeded.failed,
        total: succeeded.total,
        etaSeconds: succeeded.etaSeconds,
        error: succeeded.error,
      },
      { status: 'SUCCEEDED', processed: 48, failed: 2, total: 48, etaSeconds: 0, error: null },
    );
    assert.match(succeeded.finishedAt ?? '', /^\d{4}-\d\d-\d\dT/);

    const failed = store.fail(store.start(store.create(TRAIN).id).id, BAD);
    assert.deepEqual(
      { status: failed.status, error: failed.error },
      { status: 'FAILED', error: { code: 'INVALID_ARGUMENT', message: 'bad dataset' } },
    );

    for (const from of ['QUEUED', 'RUNNING'] as const) {
      const cancelled = store.cancel(jobIn(store, from).id);
      assert.equal(cancelled.status, 'CANCELLED', `from ${from}`);
      assert.match(cancelled.finishedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    }
  });

  it('refuses every illegal move with ILLEGAL_TRANSITION and leaves the job as it was', () => {
    let refused = 0;
    for (const move of MOVES) {
      const { from, to } = JOB_TRANSITIONS[move];
      for (const status of JOB_STATUSES.filter((s) => !(from as readonly JobStatus[]).includes(s))) {
        const job = jobIn(store, status);
        assert.throws(
          () => makeMove(store, move, job.id),
          {
            name: 'KwsError',
            code: 'ILLEGAL_TRANSITION',
            message: `cannot ${move} job ${job.id}: it is ${status}, and ${move} moves only ${from.join(' or ')} jobs to ${to}`,
          },
          `${move} from ${status}`,
        );
        assert.deepEqual(store.require(job.id), job, `${move} from ${status} changed nothing`);
        refused++;
      }
    }
    assert.equal(refused, 23, '4 statuses each for start, reclaim, retry, succeed and fail; 3 for cancel');
    const done = jobIn(store, 'SUCCEEDED');
    assert.throws(() => store.cancel(done.id), {
      name: 'KwsError',
      code: 'ILLEGAL_TRANSITION',
      message: `cannot cancel job ${done.id}: it is SUCCEEDED, and cancel moves only QUEUED or RUNNING jobs to CANCELLED`,
    });
  });

  it('retries a RUNNING job of any kind (a Redis worker taking over), only at the attempt the caller read', () => {
    for (const spec of [SCORE, TRAIN, SEARCH]) {
      const job = jobIn(store, 'RUNNING', spec);
      assert.equal(store.retry(job.id, 1).attempt, 2);
      assert.throws(() => store.retry(job.id, 1), {
        name: 'KwsError',
        code: 'ILLEGAL_TRANSITION',
        message: `cannot retry job ${job.id}: another runner reclaimed it first (attempt 2, not 1)`,
      });
      assert.equal(store.require(job.id).status, 'RUNNING');
    }
  });

  it('discards a QUEUED job a queue refused, and no other, without reusing its id', () => {
    const refused = store.create(SCORE);
    assert.equal(store.discard(refused.id), true);
    assert.equal(store.get(refused.id), null);
    assert.equal(store.discard(refused.id), false);
    for (const status of ['RUNNING', 'SUCCEEDED', 'CANCELLED'] as const) {
      const job = jobIn(store, status);
      assert.equal(store.discard(job.id), false);
      assert.deepEqual(store.require(job.id), job);
    }
    assert.ok(store.create(SCORE).id > refused.id);
  });

  it('updates a job from what it reads in one transaction, and writes nothing for a null patch', () => {
    const job = jobIn(store, 'RUNNING');
    for (let i = 0; i < 3; i++) store.update(job.id, (j) => ({ processed: j.processed + 5 }));
    assert.equal(store.require(job.id).processed, 15);
    assert.deepEqual(
      store.update(job.id, () => null),
      store.require(job.id),
    );
    const done = jobIn(store, 'SUCCEEDED');
    assert.deepEqual(
      store.update(done.id, () => null),
      done,
    );
    assert.throws(() => store.update(done.id, () => ({ processed: 1 })), { code: 'ILLEGAL_TRANSITION' });
  });

  it('reclaims only a RUNNING scoring job, and only at the attempt the caller read', () => {
    for (const spec of [TRAIN, SEARCH]) {
      const job = jobIn(store, 'RUNNING', spec);
      assert.throws(() => store.reclaim(job.id, 1), {
        name: 'KwsError',
        code: 'ILLEGAL_TRANSITION',
        message: `cannot reclaim job ${job.id}: it is a ${spec.kind} job, and only score jobs are reclaimed after a restart (training cannot resume)`,
      });
      assert.deepEqual(store.require(job.id), job);
    }
    const job = jobIn(store, 'RUNNING');
    store.reclaim(job.id, 1);
    assert.throws(() => store.reclaim(job.id, 1), {
      name: 'KwsError',
      code: 'ILLEGAL_TRANSITION',
      message: `cannot reclaim job ${job.id}: another runner reclaimed it first (attempt 2, not 1)`,
    });
    assert.equal(store.require(job.id).attempt, 2);
  });

  it('names a missing job NOT_FOUND for every move', () => {
    for (const move of MOVES)
      assert.throws(
        () => makeMove(store, move, 999_999),
        { name: 'KwsError', code: 'NOT_FOUND', message: 'no job has id 999999' },
        move,
      );
    assert.throws(() => store.progress(999_999, { processed: 1 }), {
      name: 'KwsError',
      code: 'NOT_FOUND',
      message: 'no job has id 999999',
    });
  });

  it('records progress of a RUNNING job and never its status, even when a patch carries one', () => {
    const job = jobIn(store, 'RUNNING', SEARCH);
    const result: SearchResult = {
      strategy: 'TPE',
      metric: 'validationAccuracy',
      trials: [
        {
          trial: 1,
          parameters: { learningRate: 0.001, architecture: 'lenet' },
          version: 7,
          metric: null,
          status: 'FAILED',
          error: BAD,
          worker: 'host-a:12',
          startedAt: '2026-12-07T10:00:00.000Z',
          finishedAt: '2026-12-07T10:01:00.000Z',
        },
      ],
      best: null,
    };
    const patch: JobProgress & { status: string } = {
      processed: 1,
      total: 4,
      clipsPerSecond: 2.5,
      etaSeconds: 30,
      resultVersion: null,
      training: {
        phase: 'training',
        epoch: 1,
        epochs: 2,
        loss: 0.5,
        accuracy: null,
        valAccuracy: null,
        etaSeconds: 12,
      },
      result,
      status: 'SUCCEEDED',
    };
    const after = store.progress(job.id, patch);
    assert.equal(after.status, 'RUNNING');
    assert.deepEqual(
      {
        processed: after.processed,
        total: after.total,
        clipsPerSecond: after.clipsPerSecond,
        etaSeconds: after.etaSeconds,
        training: after.training,
        result: after.result,
      },
      { processed: 1, total: 4, clipsPerSecond: 2.5, etaSeconds: 30, training: patch.training, result },
    );
    assert.deepEqual(store.progress(job.id, {}), after, 'an empty patch changes nothing');
  });

  it('refuses progress of a job that is not RUNNING', () => {
    for (const status of ['QUEUED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const) {
      const job = jobIn(store, status);
      assert.throws(() => store.progress(job.id, { processed: 3 }), {
        name: 'KwsError',
        code: 'ILLEGAL_TRANSITION',
        message: `cannot record progress of job ${job.id}: it is ${status}, and only RUNNING jobs record progress`,
      });
      assert.deepEqual(store.require(job.id), job);
    }
  });

  it('lists jobs newest first, optionally by status', () => {
    const fresh = JobStore.open(':memory:');
    try {
      const [a, b, c] = [jobIn(fresh, 'QUEUED'), jobIn(fresh, 'RUNNING'), jobIn(fresh, 'QUEUED')];
      assert.deepEqual(
        fresh.list().map((j) => j.id),
        [c.id, b.id, a.id],
      );
      assert.deepEqual(
        fresh.list('QUEUED').map((j) => j.id),
        [c.id, a.id],
      );
      assert.deepEqual(fresh.list('FAILED'), []);
    } finally {
      fresh.close();
    }
  });
});

describe('JobStore: atomic moves across connections', () => {
  const dir = tempDir('kws-jobstore-');
  const dbPath = join(dir, 'kws.db');
  let a: JobStore;
  let b: JobStore;
  before(() => {
    a = JobStore.open(dbPath);
    b = JobStore.open(dbPath);
  });
  after(() => {
    a.close();
    b.close();
  });

  it('of two claims of one QUEUED job, only one wins, even when both read it QUEUED first', () => {
    const job = a.create(SCORE);
    assert.equal(a.require(job.id).status, 'QUEUED');
    assert.equal(b.require(job.id).status, 'QUEUED');
    assert.equal(a.start(job.id).status, 'RUNNING');
    assert.throws(() => b.start(job.id), {
      name: 'KwsError',
      code: 'ILLEGAL_TRANSITION',
      message: `cannot start job ${job.id}: it is RUNNING, and start moves only QUEUED jobs to RUNNING`,
    });
    assert.equal(b.require(job.id).attempt, 1);
  });

  it('of two reclaims of one RUNNING scoring job at the same attempt, only one wins', () => {
    const job = a.start(a.create(SCORE).id);
    const seenByA = a.require(job.id).attempt;
    const seenByB = b.require(job.id).attempt;
    assert.equal(a.reclaim(job.id, seenByA).attempt, 2);
    assert.throws(() => b.reclaim(job.id, seenByB), {
      name: 'KwsError',
      code: 'ILLEGAL_TRANSITION',
      message: `cannot reclaim job ${job.id}: another runner reclaimed it first (attempt 2, not 1)`,
    });
  });

  it("a cancel from one connection makes the other connection's finish refused", () => {
    const job = a.start(a.create(TRAIN).id);
    b.cancel(job.id);
    assert.throws(() => a.succeed(job.id), {
      name: 'KwsError',
      code: 'ILLEGAL_TRANSITION',
      message: `cannot succeed job ${job.id}: it is CANCELLED, and succeed moves only RUNNING jobs to SUCCEEDED`,
    });
    assert.equal(a.require(job.id).status, 'CANCELLED');
  });

  it('stores errors as { code, message } columns', () => {
    const job = a.fail(a.start(a.create(TRAIN).id).id, {
      code: 'INTERRUPTED',
      message: 'interrupted by a shutdown of the server; submit it again',
    });
    const raw = new Database(dbPath, { readonly: true });
    try {
      assert.deepEqual(raw.prepare('SELECT error_code, error_message FROM jobs WHERE id = ?').get(job.id), {
        error_code: 'INTERRUPTED',
        error_message: 'interrupted by a shutdown of the server; submit it again',
      });
    } finally {
      raw.close();
    }
    assert.deepEqual(b.require(job.id).error, {
      code: 'INTERRUPTED',
      message: 'interrupted by a shutdown of the server; submit it again',
    });
  });

  it('refuses to read a row whose params do not fit its kind, as INTERNAL naming the field', () => {
    const raw = new Database(dbPath);
    let id: number;
    try {
      id = Number(
        raw
          .prepare(
            "INSERT INTO jobs (kind, status, params, created_at) VALUES ('score', 'QUEUED', '{\"dir\":5,\"modelVersion\":1}', '2026-01-01')",
          )
          .run().lastInsertRowid,
      );
      raw
        .prepare("INSERT INTO jobs (kind, status, params, created_at) VALUES ('sing', 'QUEUED', '{}', '2026-01-01')")
        .run();
    } finally {
      raw.close();
    }
    assert.throws(() => a.require(id), {
      name: 'KwsError',
      code: 'INTERNAL',
      message: `job ${id} params.dir must be a string, got 5`,
    });
    assert.throws(() => a.require(id + 1), {
      name: 'KwsError',
      code: 'INTERNAL',
      message: `job ${id + 1} kind must be one of score, train, search, got "sing"`,
    });
  });
});

describe('JobStore: databases made by earlier versions', () => {
  const dir = tempDir('kws-jobstore-old-');

  /** The job tables exactly as the version before errors had their own columns made them. */
  function oldDatabase(name: string): string {
    const dbPath = join(dir, name);
    const old = new Database(dbPath);
    old.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')), params TEXT NOT NULL,
        processed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, clips_per_second REAL NOT NULL DEFAULT 0,
        eta_seconds REAL, error TEXT, output_dir TEXT, training TEXT, result_version INTEGER, result TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT);
      CREATE TABLE score_checkpoints (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, chunks_done INTEGER NOT NULL, processed INTEGER NOT NULL, failed INTEGER NOT NULL,
        csv_bytes INTEGER NOT NULL, probabilities_bytes INTEGER NOT NULL, errors_bytes INTEGER NOT NULL, updated_at TEXT NOT NULL);`);
    const insert = old.prepare(
      'INSERT INTO jobs (id, kind, status, params, error, result, processed, started_at, finished_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const trial = (error: string | null, status: string): object => ({
      trial: 1,
      parameters: { learningRate: 0.001 },
      version: 3,
      metric: null,
      status,
      error,
    });
    insert.run(
      1,
      'train',
      'FAILED',
      '{"dataDir":"/c","epochs":2}',
      'INTERRUPTED: training was interrupted by a restart of the server; submit it again',
      null,
      0,
      '2026-01-01T00:00:01Z',
      '2026-01-01T00:00:02Z',
      '2026-01-01T00:00:00Z',
    );
    insert.run(
      2,
      'score',
      'FAILED',
      '{"dir":"/t","modelVersion":1,"unknownThreshold":null,"probabilities":false}',
      'INTERNAL: the training worker exited with code 1',
      null,
      0,
      '2026-01-01T00:00:01Z',
      '2026-01-01T00:00:02Z',
      '2026-01-01T00:00:00Z',
    );
    insert.run(
      3,
      'search',
      'FAILED',
      JSON.stringify(SEARCH.params),
      'no trial finished',
      JSON.stringify({
        strategy: 'TPE',
        metric: 'validationAccuracy',
        trials: [trial('INVALID_ARGUMENT: corpus has no training examples', 'FAILED')],
        best: null,
      }),
      1,
      '2026-01-01T00:00:01Z',
      '2026-01-01T00:00:02Z',
      '2026-01-01T00:00:00Z',
    );
    insert.run(
      4,
      'score',
      'RUNNING',
      '{"dir":"/t","modelVersion":1,"unknownThreshold":0.5,"probabilities":true}',
      null,
      null,
      10,
      '2026-01-01T00:00:01Z',
      null,
      '2026-01-01T00:00:00Z',
    );
    insert.run(
      5,
      'score',
      'QUEUED',
      '{"dir":"/t","modelVersion":1,"unknownThreshold":null,"probabilities":true}',
      null,
      null,
      0,
      null,
      null,
      '2026-01-01T00:00:00Z',
    );
    old.prepare("INSERT INTO score_checkpoints VALUES ('job:4', 'abc', 2, 10, 1, 100, 0, 30, '2026-01-01')").run();
    old.close();
    return dbPath;
  }

  it('reads errors written as "CODE: message" as { code, message }, an unknown text as INTERNAL', () => {
    const store = JobStore.open(oldDatabase('errors.db'));
    try {
      assert.deepEqual(store.require(1).error, {
        code: 'INTERRUPTED',
        message: 'training was interrupted by a restart of the server; submit it again',
      });
      assert.deepEqual(store.require(2).error, { code: 'INTERNAL', message: 'the training worker exited with code 1' });
      const search = store.require(3);
      assert.deepEqual(search.error, { code: 'INTERNAL', message: 'no trial finished' });
      assert.equal(search.kind, 'search');
      assert.deepEqual(search.result?.trials[0]?.error, {
        code: 'INVALID_ARGUMENT',
        message: 'corpus has no training examples',
      });
      assert.deepEqual(search.params, SEARCH.params);
    } finally {
      store.close();
    }
  });

  it('counts a job that had started as attempt 1, so a RUNNING scoring job is reclaimed at attempt 2 with its checkpoint', () => {
    const dbPath = oldDatabase('attempt.db');
    const store = JobStore.open(dbPath);
    try {
      assert.deepEqual(
        store.list().map((j) => [j.id, j.status, j.attempt]),
        [
          [5, 'QUEUED', 0],
          [4, 'RUNNING', 1],
          [3, 'FAILED', 1],
          [2, 'FAILED', 1],
          [1, 'FAILED', 1],
        ],
      );
      assert.deepEqual(store.require(4).params, {
        dir: '/t',
        modelVersion: 1,
        unknownThreshold: 0.5,
        probabilities: true,
        tta: false, // stored before test-time augmentation existed: none
      });
      assert.equal(store.reclaim(4, 1).attempt, 2);
      assert.deepEqual(store.checkpoints.get('job:4'), {
        fingerprint: 'abc',
        chunksDone: 2,
        processed: 10,
        failed: 1,
        csvBytes: 100,
        probabilitiesBytes: 0,
        errorsBytes: 30,
      });
    } finally {
      store.close();
    }
    const again = JobStore.open(dbPath); // the migrations ran once; a second open finds them recorded
    try {
      assert.equal(again.require(4).attempt, 2);
      const raw = new Database(dbPath, { readonly: true });
      try {
        assert.deepEqual(
          (
            raw
              .prepare(
                "SELECT name FROM kws_migrations WHERE name LIKE 'jobs/%' OR name LIKE 'score_checkpoints/%' ORDER BY name",
              )
              .all() as Array<{ name: string }>
          ).map((r) => r.name),
          ['jobs/1-create', 'jobs/2-training-columns', 'jobs/3-error-code-attempt', 'score_checkpoints/1-create'],
        );
        assert.ok(
          !(raw.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>).some((c) => c.name === 'error'),
          'the old error column is gone',
        );
      } finally {
        raw.close();
      }
    } finally {
      again.close();
    }
  });
});
