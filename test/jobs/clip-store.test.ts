import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ClipStore } from '../../src/jobs/index.js';

describe('ClipStore', () => {
  const work = mkdtempSync(join(tmpdir(), 'kws-clipstore-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('opens a database made before energy scores were stored: old rows read NaN, new ones keep theirs', async () => {
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
      const clip = await store.add(new Uint8Array([1, 2, 3]), { filename: 'b.wav', sha256: 'cd', container: 'wav', codec: 'pcm_s16le', sourceSampleRateHz: 16000, durationMs: 1000 }, { modelVersion: 1, probabilities: Array.from({ length: 12 }, (_, i) => (i === 1 ? 1 : 0)), rmsDbfs: -30, energy: -7.25, label: 'no', latencyMs: 2 });
      const [fresh] = store.predictions([{ clipId: clip.id, modelVersion: 1 }]);
      assert.equal(fresh?.energy, -7.25);
    } finally {
      store.close();
    }
    const again = ClipStore.open(work, dbPath); // the migration runs once; a second open finds the column
    again.close();
  });
});
