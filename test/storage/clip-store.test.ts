import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ClipStore } from '../../src/storage/index.js';

/** The metadata of a 1 s, 16 kHz 16-bit WAV clip named `filename`, uploaded without a key. */
const metaOf = (filename: string) => ({
  filename,
  sha256: 'ab',
  container: 'wav',
  codec: 'pcm_s16le',
  sourceSampleRateHz: 16000,
  durationMs: 1000,
  ownerKeyId: null,
});

describe('ClipStore', () => {
  const work = mkdtempSync(join(tmpdir(), 'kws-clipstore-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('opens a database made before energy scores and signal shapes were stored: old rows read NaN and null, new ones keep theirs', async () => {
    const dbPath = join(work, 'old.db');
    const old = new Database(dbPath);
    old.exec(`CREATE TABLE clips (id INTEGER PRIMARY KEY AUTOINCREMENT, filename TEXT NOT NULL, file TEXT NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
        container TEXT NOT NULL, codec TEXT NOT NULL, source_sample_rate_hz INTEGER NOT NULL, duration_ms REAL NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE predictions (clip_id INTEGER NOT NULL REFERENCES clips(id), model_version INTEGER NOT NULL, probabilities TEXT NOT NULL, rms_dbfs REAL NOT NULL,
        label TEXT NOT NULL, latency_ms REAL NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (clip_id, model_version));
      INSERT INTO clips VALUES (1, 'a.wav', 'x.wav', 10, 'ab', 'wav', 'pcm_s16le', 16000, 1000, '2026-01-01');
      INSERT INTO predictions VALUES (1, 1, '[1,0,0,0,0,0,0,0,0,0,0,0]', -20, 'yes', 3, '2026-01-01');`);
    old.close();
    const store = ClipStore.open(work, dbPath);
    try {
      const [before] = store.predictions([{ clipId: 1, modelVersion: 1 }]);
      assert.equal(before?.label, 'yes');
      assert.ok(Number.isNaN(before?.energy), 'an old row has no energy');
      assert.equal(before?.shape, null, 'an old row has no signal shape: the non-speech rule does not apply to it');
      const clip = await store.insert(
        'b.wav',
        3,
        {
          filename: 'b.wav',
          sha256: 'cd',
          container: 'wav',
          codec: 'pcm_s16le',
          sourceSampleRateHz: 16000,
          durationMs: 1000,
          ownerKeyId: null,
        },
        {
          modelVersion: 1,
          probabilities: Array.from({ length: 12 }, (_, i) => (i === 1 ? 1 : 0)),
          rmsDbfs: -30,
          energy: -7.25,
          shape: { peakConcentration: 0.999, stationarity: 0.25 },
          label: 'no',
          latencyMs: 2,
        },
      );
      const [fresh] = store.predictions([{ clipId: clip.id, modelVersion: 1 }]);
      assert.equal(fresh?.energy, -7.25);
      assert.deepEqual(fresh?.shape, { peakConcentration: 0.999, stationarity: 0.25 });
    } finally {
      store.close();
    }
    const again = ClipStore.open(work, dbPath); // the migration runs once; a second open finds the column
    again.close();
  });

  it('commits the inserts of one turn of the event loop together, in order, and each caller gets its own id', async () => {
    const store = ClipStore.open(join(work, 'group'), ':memory:');
    try {
      const meta = (i: number) => ({
        filename: `c${i}.wav`,
        sha256: `h${i}`,
        container: 'wav',
        codec: 'pcm_s16le',
        sourceSampleRateHz: 16000,
        durationMs: 1000 + i,
        ownerKeyId: null,
      });
      const prediction = (i: number) => ({
        modelVersion: 2,
        probabilities: Array.from({ length: 12 }, (_, k) => (k === i ? 1 : 0)),
        rmsDbfs: -20 - i,
        energy: -i,
        label: 'yes' as const,
        latencyMs: i,
      });
      const records = await Promise.all(
        [0, 1, 2, 3].map((i) => store.insert(`f${i}.wav`, 100 + i, meta(i), prediction(i))),
      );
      assert.deepEqual(
        records.map((r) => r.id),
        [1, 2, 3, 4],
      );
      assert.deepEqual(
        records.map((r) => [r.filename, r.sizeBytes, r.durationMs]),
        [
          ['c0.wav', 100, 1000],
          ['c1.wav', 101, 1001],
          ['c2.wav', 102, 1002],
          ['c3.wav', 103, 1003],
        ],
      );
      assert.equal(new Set(records.map((r) => r.createdAt)).size, 1, 'one commit, one timestamp');
      const stored = store.predictions(records.map((r) => ({ clipId: r.id, modelVersion: 2 })));
      assert.deepEqual(
        stored.map((p) => p?.rmsDbfs),
        [-20, -21, -22, -23],
      );
      const late = await store.insert('f9.wav', 9, meta(9)); // a later turn: its own commit
      assert.equal(late.id, 5);
      assert.equal(store.predictions([{ clipId: 5, modelVersion: 2 }])[0], null);
    } finally {
      store.close();
    }
  });

  it('close() commits inserts still pending; a failed commit rejects every insert of it', async () => {
    const dbPath = join(work, 'pending.db');
    const store = ClipStore.open(join(work, 'pending'), dbPath);
    const meta = metaOf('p.wav');
    const pending = store.insert('p.wav', 1, meta);
    store.close();
    assert.equal((await pending).id, 1);
    const reopened = ClipStore.open(join(work, 'pending'), dbPath);
    assert.equal(reopened.get([1])[0]?.filename, 'p.wav');
    reopened.close();
    const refused = [reopened.insert('q.wav', 1, meta), reopened.insert('r.wav', 1, meta)];
    for (const insert of refused) await assert.rejects(insert, /not open/);
  });

  it('discardFile removes an unnamed clip file and ignores one that is already gone', async () => {
    const store = ClipStore.open(join(work, 'discard'), ':memory:');
    try {
      const target = store.newFileTarget();
      assert.match(target.stem, /^[0-9a-f-]{36}$/);
      const path = join(target.dir, `${target.stem}.wav`);
      writeFileSync(path, 'x');
      store.discardFile(`${target.stem}.wav`);
      store.discardFile('never-written.wav');
      for (let i = 0; i < 50 && existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(existsSync(path), false);
    } finally {
      store.close();
    }
  });

  it('removes clip files no row names once they are older than the grace period, and nothing else', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kws-orphans-'));
    const store = ClipStore.open(dataDir, join(dataDir, 'kws.db'));
    try {
      const clips = join(dataDir, 'clips');
      for (const name of ['kept.wav', 'old-orphan.wav', 'new-orphan.wav']) writeFileSync(join(clips, name), 'x');
      await store.insert('kept.wav', 1, metaOf('kept.wav'));
      const hourAgo = new Date(Date.now() - 3_600_000);
      for (const name of ['kept.wav', 'old-orphan.wav']) utimesSync(join(clips, name), hourAgo, hourAgo);
      assert.equal(await store.removeOrphans(15 * 60_000), 1);
      assert.deepEqual(readdirSync(clips).sort(), ['kept.wav', 'new-orphan.wav']);
      assert.equal(await store.removeOrphans(0), 1, 'a grace of 0 takes the fresh one too');
      assert.deepEqual(readdirSync(clips), ['kept.wav']);
    } finally {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
