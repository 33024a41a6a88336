import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LABELS } from '../../src/labels/index.js';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { ttaViews } from '../../src/engine/index.js';
import { loadVersion } from '../../src/training/tfjs/index.js';
import { EnginePool } from '../../src/engine/index.js';
import { JobRunner, JobStore, scoreTestSet } from '../../src/jobs/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { ScoreCheckpointStore } from '../../src/storage/index.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_PRODUCTION } from '../helpers/models.js';
import { BUNDLED_MODELS, graphql, testServer } from '../helpers/server.js';
import { encodeWav, sine, tempDir } from '../helpers/signals.js';

const ROOT = resolve(import.meta.dirname, '../..');

function rows(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
}

describe('bulk scoring (scoreTestSet)', () => {
  let data: { dir: string; labels: Map<string, string> };
  let work: string;
  let registry: ModelRegistry;
  let jobs: JobStore;
  let checkpoints: ScoreCheckpointStore;
  let pool: EnginePool;

  before(() => {
    data = kaggleFolder(4); // 48 real clips
    writeFileSync(
      join(data.dir, 'audio', 'clip_corrupt.wav'),
      Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), Buffer.alloc(10)]),
    );
    writeFileSync(join(data.dir, 'audio', 'clip_empty.wav'), new Uint8Array(0));
    writeFileSync(join(data.dir, 'audio', 'notes.txt'), 'not a wav, not listed');
    work = tempDir('kws-score-');
    registry = ModelRegistry.open(BUNDLED_MODELS, { createModelsDir: false, inMemoryIndex: true });
    jobs = JobStore.open(':memory:');
    checkpoints = ScoreCheckpointStore.open(':memory:');
    pool = new EnginePool({ threads: 2 });
  });
  after(async () => {
    await pool.close();
    jobs.close();
    checkpoints.close();
    registry.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(data.dir, { recursive: true, force: true });
  });

  it('writes a sorted fname,label submission with a row per .wav, and lists files that fail', async () => {
    const out = join(work, 'a', 'submission.csv');
    const summary = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      probabilitiesOut: join(work, 'a', 'probs.csv'),
      chunkSize: 7,
      checkpointKey: 'a',
    });
    const submission = rows(out);
    assert.deepEqual(submission[0], ['fname', 'label']);
    const names = submission.slice(1).map((r) => r[0] as string);
    assert.equal(names.length, 50);
    assert.deepEqual(names, [...names].sort());
    assert.ok(submission.slice(1).every((r) => (LABELS as readonly string[]).includes(r[1] as string)));
    const byName = new Map(submission.slice(1).map((r) => [r[0], r[1]]));
    assert.equal(byName.get('clip_empty.wav'), 'silence');
    assert.equal(byName.get('clip_corrupt.wav'), 'unknown');
    assert.deepEqual(
      rows(`${out}.errors.csv`).map((r) => r.slice(0, 2)),
      [
        ['fname', 'code'],
        ['clip_corrupt.wav', 'MALFORMED'],
        ['clip_empty.wav', 'EMPTY'],
      ],
    );
    assert.deepEqual(
      { total: summary.total, failed: summary.failed, processed: summary.processed },
      { total: 50, failed: 2, processed: 50 },
    );
    const probs = rows(join(work, 'a', 'probs.csv'));
    assert.deepEqual(probs[0], ['fname', ...LABELS]);
    const first = probs.find((r) => r[0] === names[0]) as string[];
    assert.ok(Math.abs(first.slice(1).reduce((s, p) => s + Number(p), 0) - 1) < 1e-4);
    const correct = submission.slice(1).filter((r) => data.labels.get(r[0] as string) === r[1]).length;
    assert.ok(correct / 48 > 0.6, `accuracy ${correct}/48 (chance is 1/12)`);
  });

  it('answers a loud 6 kHz tone and a click train `unknown` in the submission, where the model’s own argmax is a command (the non-speech rule)', async () => {
    const dir = tempDir('kws-score-tones-');
    try {
      mkdirSync(join(dir, 'audio'));
      const clicks = new Float64Array(16_000);
      for (let n = 0; n < clicks.length; n += 1600) clicks[n] = 0.9;
      writeFileSync(join(dir, 'audio', 'clip_tone.wav'), encodeWav([sine(6000, 16_000, 1, 0.9)], 16_000, 'pcm16'));
      writeFileSync(join(dir, 'audio', 'clip_clicks.wav'), encodeWav([clicks], 16_000, 'pcm16'));
      const out = join(work, 'tones', 'submission.csv');
      await scoreTestSet(registry, pool, checkpoints, {
        dir,
        out,
        probabilitiesOut: join(work, 'tones', 'probs.csv'),
        checkpointKey: 'tones',
      });
      assert.deepEqual(rows(out).slice(1), [
        ['clip_clicks.wav', 'unknown'],
        ['clip_tone.wav', 'unknown'],
      ]);
      const argmax = rows(join(work, 'tones', 'probs.csv'))
        .slice(1)
        .map((r) => [
          r[0],
          LABELS[
            r
              .slice(1)
              .map(Number)
              .indexOf(Math.max(...r.slice(1).map(Number)))
          ],
        ]);
      assert.deepEqual(argmax, [
        ['clip_clicks.wav', 'up'],
        ['clip_tone.wav', 'yes'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resumes after an interruption and ends with the same bytes as an uninterrupted run', async () => {
    const full = join(work, 'full.csv');
    const whole = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out: full,
      probabilitiesOut: `${full}.probs`,
      chunkSize: 5,
      checkpointKey: 'full',
    });
    const out = join(work, 'resumed.csv');
    const stop = new AbortController();
    let seen = 0;
    const first = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      probabilitiesOut: `${out}.probs`,
      chunkSize: 5,
      checkpointKey: 'r',
      signal: stop.signal,
      onProgress: () => {
        if (++seen === 3) stop.abort();
      },
    });
    assert.equal(first.cancelled, true);
    assert.ok(first.processed >= 15 && first.processed < 50, `stopped after ${first.processed}`);
    appendFileSync(out, 'clip_half_written_row'); // a crash after writing rows but before their checkpoint
    const second = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      probabilitiesOut: `${out}.probs`,
      chunkSize: 5,
      checkpointKey: 'r',
      resume: true,
    });
    assert.equal(second.resumedFrom, first.processed);
    assert.deepEqual(second.labelCounts, whole.labelCounts, 'the counts include the rows of the first run');
    assert.equal(readFileSync(out, 'utf8'), readFileSync(full, 'utf8'));
    assert.equal(readFileSync(`${out}.probs`, 'utf8'), readFileSync(`${full}.probs`, 'utf8'));
    assert.equal(readFileSync(`${out}.errors.csv`, 'utf8'), readFileSync(`${full}.errors.csv`, 'utf8'));
  });

  it('resumes a run stopped right after its headers without writing them twice', async () => {
    const out = join(work, 'headers.csv');
    const stopped = new AbortController();
    stopped.abort();
    const first = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      probabilitiesOut: `${out}.probs`,
      chunkSize: 5,
      checkpointKey: 'h',
      signal: stopped.signal,
    });
    assert.deepEqual({ cancelled: first.cancelled, processed: first.processed }, { cancelled: true, processed: 0 });
    assert.equal(readFileSync(out, 'utf8'), 'fname,label\n');
    await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      probabilitiesOut: `${out}.probs`,
      chunkSize: 5,
      checkpointKey: 'h',
      resume: true,
    });
    const full = join(work, 'full.csv');
    assert.equal(readFileSync(out, 'utf8'), readFileSync(full, 'utf8'));
    assert.equal(readFileSync(`${out}.probs`, 'utf8'), readFileSync(`${full}.probs`, 'utf8'));
  });

  it('refuses to resume a checkpoint made with other inputs, and an empty folder', async () => {
    const out = join(work, 'other.csv');
    const stop = new AbortController();
    await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      chunkSize: 5,
      checkpointKey: 'o',
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    await assert.rejects(
      scoreTestSet(registry, pool, checkpoints, {
        dir: data.dir,
        out,
        chunkSize: 5,
        unknownThreshold: 0.9,
        checkpointKey: 'o',
        resume: true,
      }),
      {
        code: 'INVALID_ARGUMENT',
        message: /its checkpoint was made for another file list, model version, threshold, chunk size or TTA/,
      },
    );
    const empty = tempDir('kws-empty-');
    await assert.rejects(scoreTestSet(registry, pool, checkpoints, { dir: empty, out, checkpointKey: 'e' }), {
      code: 'INVALID_ARGUMENT',
      message: /no \.wav files in/,
    });
    await assert.rejects(
      scoreTestSet(registry, pool, checkpoints, { dir: join(empty, 'missing'), out, checkpointKey: 'e' }),
      { code: 'FILE_NOT_FOUND' },
    );
    rmSync(empty, { recursive: true });
  });

  it('kws eval on labels.csv reports the accuracy computed from the submission', async () => {
    const out = join(work, 'eval.csv');
    await scoreTestSet(registry, pool, checkpoints, { dir: data.dir, out, checkpointKey: 'ev' });
    const scored = rows(out)
      .slice(1)
      .filter((r) => data.labels.has(r[0] as string));
    const accuracy = scored.filter((r) => data.labels.get(r[0] as string) === r[1]).length / scored.length;
    // kws eval reads labels.csv, which names only the 48 real clips.
    const evalDir = data.dir;
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'eval', '--data', evalDir, '--json', '--data-dir', work],
      { encoding: 'utf8', cwd: ROOT },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { accuracy: number }).accuracy, accuracy);
  });

  it('a job killed with SIGKILL resumes with --resume to the same bytes (kws score)', async () => {
    const var1 = join(work, 'var-kill');
    const cli = (out: string, extra: string[] = []): string[] => [
      '--import',
      'tsx',
      join(ROOT, 'src/main.ts'),
      'score',
      data.dir,
      '--out',
      out,
      '--chunk-size',
      '2',
      '--threads',
      '1',
      '--no-progress',
      '--data-dir',
      var1,
      ...extra,
    ];
    const reference = join(work, 'kill-ref.csv');
    assert.equal(spawnSync(process.execPath, cli(reference), { cwd: ROOT }).status, 0);
    const out = join(work, 'kill.csv');
    const child = spawn(process.execPath, cli(out), { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 600 && !(existsSync(out) && statSync(out).size > 200); i++)
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await exited;
    const partial = readFileSync(out, 'utf8');
    assert.ok(partial.length < readFileSync(reference, 'utf8').length, 'killed before the end');
    const resumed = spawnSync(process.execPath, cli(out, ['--resume']), { cwd: ROOT, encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, /resumed after [1-9][0-9]*/);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(reference, 'utf8'));
  });

  it('kws score makes a data folder that does not exist yet, with a model repository elsewhere', () => {
    const fresh = join(work, 'fresh', 'var');
    const out = join(work, 'fresh.csv');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/main.ts'),
        'score',
        data.dir,
        '--out',
        out,
        '--no-progress',
        '--threads',
        '1',
        '--models-dir',
        join(ROOT, 'models'),
        '--data-dir',
        fresh,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(join(fresh, 'kws.db')));
    assert.equal(rows(out).length, 1 + 50); // the header, 48 real clips, the corrupt and the empty one
  });

  it('with TTA, scores each clip as the mean of its views’ probabilities, says so, and will not resume a run without it', async () => {
    const tta = { shiftsMs: [-100, 100], gainsDb: [6] };
    const out = join(work, 'tta', 'submission.csv');
    const summary = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out,
      probabilitiesOut: join(work, 'tta', 'probs.csv'),
      tta,
      checkpointKey: 'tta',
    });
    assert.deepEqual(summary.tta, tta);
    assert.equal(summary.modelVersion, BUNDLED_PRODUCTION, 'scored by production');
    const scored = new Map(
      rows(join(work, 'tta', 'probs.csv'))
        .slice(1)
        .map((r) => [r[0], r.slice(1).map(Number)]),
    );
    // The views of two real clips, scored one by one by the same version (TF.js; ONNX agrees within 1e-4).
    const loaded = await loadVersion(registry, summary.modelVersion);
    try {
      for (const fname of [...data.labels.keys()].slice(0, 2)) {
        const clip = fitToLength((await decodeAudio(readFileSync(join(data.dir, 'audio', fname)))).samples, 16_000);
        const views = ttaViews(clip, tta, 16_000);
        const out4 = await loaded.predict(loaded.extractor.computeBatch(views), views.length);
        const mean = LABELS.map((_, c) => views.reduce((a, _v, v) => a + out4.probabilities[v * 12 + c]! / 4, 0));
        scored
          .get(fname)!
          .forEach((p, c) => assert.ok(Math.abs(p - mean[c]!) < 2e-4, `${fname} ${LABELS[c]}: ${p} vs ${mean[c]}`));
      }
    } finally {
      await loaded.dispose();
    }
    // Without TTA, some clips get other probabilities.
    await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out: join(work, 'tta', 'plain.csv'),
      probabilitiesOut: join(work, 'tta', 'plain-probs.csv'),
      checkpointKey: 'tta-plain',
    });
    const plain = rows(join(work, 'tta', 'plain-probs.csv')).slice(1);
    const changed = plain.filter((r) => r.slice(1).some((p, c) => Math.abs(Number(p) - scored.get(r[0])![c]!) > 1e-3));
    assert.ok(changed.length >= 5, `${changed.length} of ${plain.length} clips changed`);
    // A run cancelled before its first chunk keeps its checkpoint; resuming it without TTA is refused.
    const stopped = join(work, 'tta', 'stopped.csv');
    const cancelled = await scoreTestSet(registry, pool, checkpoints, {
      dir: data.dir,
      out: stopped,
      tta,
      checkpointKey: 'tta-stopped',
      signal: AbortSignal.abort(),
    });
    assert.equal(cancelled.cancelled, true);
    await assert.rejects(
      scoreTestSet(registry, pool, checkpoints, {
        dir: data.dir,
        out: stopped,
        checkpointKey: 'tta-stopped',
        resume: true,
      }),
      { code: 'INVALID_ARGUMENT', message: /^cannot resume .*: its checkpoint was made for another .*TTA/ },
    );
  });

  it('JobRunner: cancel stops a running job and leaves it CANCELLED', async () => {
    const runner = new JobRunner(registry, pool, jobs, {
      allowedRoots: [tmpdir()],
      outputRoot: join(work, 'jobs'),
      chunkSize: 1,
      dbPath: ':memory:',
    });
    const job = await runner.submitScore({ dir: data.dir });
    for (let i = 0; i < 400 && jobs.require(job.id).processed < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const cancelled = await runner.cancel(job.id);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.ok(cancelled.processed < 50);
    await assert.rejects(runner.cancel(job.id), { code: 'ILLEGAL_TRANSITION' });
    assert.throws(() => runner.outputPath(job.id, 'submission'), { code: 'JOB_NOT_FINISHED' });
    await runner.close();
  });
});

describe('bulk scoring over GraphQL', () => {
  it('resumes a job interrupted by a server restart and ends with the bytes of an uninterrupted run', async () => {
    const data = kaggleFolder(4);
    const reference = tempDir('kws-ref-');
    const registry = ModelRegistry.open(BUNDLED_MODELS, { createModelsDir: false, inMemoryIndex: true });
    const store = ScoreCheckpointStore.open(':memory:');
    const pool = new EnginePool({ threads: 1 });
    await scoreTestSet(registry, pool, store, {
      dir: data.dir,
      out: join(reference, 'submission.csv'),
      probabilitiesOut: join(reference, 'probabilities.csv'),
      chunkSize: 2,
      checkpointKey: 'ref',
    });
    await pool.close();
    store.close();
    registry.close();
    const first = await testServer({ scoreRoots: [tmpdir()], jobChunkSize: 2, engine: { threads: 1 } });
    const started = await graphql(first.url, 'mutation ($dir: String!) { scoreTestSet(input: { dir: $dir }) { id } }', {
      dir: data.dir,
    });
    const id = (started.data?.['scoreTestSet'] as { id: string }).id;
    for (let i = 0; i < 400 && first.jobs.store.require(Number(id)).processed < 6; i++)
      await new Promise((r) => setTimeout(r, 10));
    await first.close(); // shutdown mid-job: the job stays RUNNING at its last checkpoint
    const peek = JobStore.open(join(first.dataDir, 'kws.db'));
    const interrupted = peek.require(Number(id));
    peek.close();
    assert.equal(interrupted.status, 'RUNNING');
    assert.ok(interrupted.processed >= 6 && interrupted.processed < 48, `interrupted after ${interrupted.processed}`);
    const second = await testServer({
      dataDir: first.dataDir,
      scoreRoots: [tmpdir()],
      jobChunkSize: 2,
      engine: { threads: 1 },
    });
    try {
      let status = '';
      for (let i = 0; i < 600 && status !== 'SUCCEEDED' && status !== 'FAILED'; i++) {
        status = ((await graphql(second.url, `{ job(id: "${id}") { status } }`)).data?.['job'] as { status: string })
          .status;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 'SUCCEEDED');
      assert.equal(
        await (await fetch(`${second.url}/v1/jobs/${id}/submission.csv`)).text(),
        readFileSync(join(reference, 'submission.csv'), 'utf8'),
      );
      assert.equal(
        await (await fetch(`${second.url}/v1/jobs/${id}/probabilities.csv`)).text(),
        readFileSync(join(reference, 'probabilities.csv'), 'utf8'),
      );
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
      rmSync(reference, { recursive: true, force: true });
      rmSync(data.dir, { recursive: true, force: true });
    }
  });

  it('scores an allowed folder into a downloadable submission, and refuses other folders', async () => {
    const data = kaggleFolder(2);
    const server = await testServer({ scoreRoots: [tmpdir()] });
    try {
      const refused = await graphql(server.url, 'mutation { scoreTestSet(input: { dir: "/etc" }) { id } }');
      assert.equal(refused.errors?.[0]?.extensions?.code, 'PATH_NOT_ALLOWED');
      const relativeDir = await graphql(server.url, 'mutation { scoreTestSet(input: { dir: "../x" }) { id } }');
      assert.equal(relativeDir.errors?.[0]?.extensions?.code, 'PATH_NOT_ALLOWED');
      const started = await graphql(
        server.url,
        'mutation ($dir: String!) { scoreTestSet(input: { dir: $dir }) { id status modelVersion } }',
        { dir: data.dir },
      );
      const job = started.data?.['scoreTestSet'] as { id: string; status: string; modelVersion: number };
      assert.equal(job.modelVersion, BUNDLED_PRODUCTION);
      type JobState = { status: string; processed: number; total: number; outputUrl: string | null; failed: number };
      let state = null as JobState | null;
      for (let i = 0; i < 300; i++) {
        state = (await graphql(server.url, `{ job(id: "${job.id}") { status processed total failed outputUrl } }`))
          .data?.['job'] as JobState;
        if (state.status === 'SUCCEEDED' || state.status === 'FAILED') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(state, {
        status: 'SUCCEEDED',
        processed: 24,
        total: 24,
        failed: 0,
        outputUrl: `/v1/jobs/${job.id}/submission.csv`,
      });
      const csv = await (await fetch(`${server.url}${state?.outputUrl ?? ''}`)).text();
      assert.equal(csv.split('\n')[0], 'fname,label');
      assert.equal(csv.trim().split('\n').length, 25);
      const listed = await graphql(server.url, '{ jobs(status: SUCCEEDED) { id kind } }');
      assert.deepEqual(listed.data?.['jobs'], [{ id: job.id, kind: 'score' }]);
      const missing = await fetch(`${server.url}/v1/jobs/999/submission.csv`);
      assert.equal(missing.status, 404);
      const badFile = await fetch(`${server.url}/v1/jobs/${job.id}/..%2f..%2fetc%2fpasswd`);
      assert.equal(badFile.status, 404);
      const cancelDone = await graphql(server.url, `mutation { cancelJob(id: "${job.id}") { status } }`);
      assert.equal(cancelDone.errors?.[0]?.extensions?.code, 'ILLEGAL_TRANSITION');
      // With test-time augmentation the job records it.
      const withTta = await graphql(
        server.url,
        'mutation ($dir: String!) { scoreTestSet(input: { dir: $dir, tta: true }) { id tta } }',
        { dir: data.dir },
      );
      assert.equal((withTta.data?.['scoreTestSet'] as { tta: string }).tta, 'shifts -100, 100 ms; gains 6 dB');
      assert.equal(
        ((await graphql(server.url, `{ job(id: "${job.id}") { tta } }`)).data?.['job'] as { tta: null }).tta,
        null,
      );
    } finally {
      await server.stop();
      rmSync(data.dir, { recursive: true, force: true });
    }
  });
});
