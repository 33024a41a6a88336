import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase, ScoreCheckpointStore } from '../../src/storage/index.js';
import type { ScoreCheckpoint } from '../../src/storage/index.js';
import { tempDir } from '../helpers/signals.js';

const AT_TWO: ScoreCheckpoint = {
  fingerprint: 'f1',
  chunksDone: 2,
  processed: 512,
  failed: 3,
  csvBytes: 9000,
  probabilitiesBytes: 70_000,
  errorsBytes: 120,
};

describe('ScoreCheckpointStore', () => {
  it('stores, replaces and drops checkpoints by key', () => {
    const store = ScoreCheckpointStore.open(':memory:');
    try {
      assert.equal(store.get('job:1'), null);
      store.put('job:1', AT_TWO);
      assert.deepEqual(store.get('job:1'), AT_TWO);
      const atThree = { ...AT_TWO, chunksDone: 3, processed: 768, csvBytes: 13_500 };
      store.put('job:1', atThree);
      assert.deepEqual(store.get('job:1'), atThree);
      assert.equal(store.get('cli:/out.csv'), null, 'keys are separate');
      store.drop('job:1');
      store.drop('job:1'); // nothing left: no error
      assert.equal(store.get('job:1'), null);
    } finally {
      store.close();
    }
  });

  it('shares a file with another connection: what kws score writes, the server reads', () => {
    const dbPath = join(tempDir('kws-checkpoints-'), 'kws.db');
    const cli = ScoreCheckpointStore.open(dbPath);
    const db = openDatabase(dbPath);
    const shared = ScoreCheckpointStore.on(db);
    try {
      cli.put('cli:/out.csv', AT_TWO);
      assert.deepEqual(shared.get('cli:/out.csv'), AT_TWO);
      shared.close(); // not its connection: the owner's stays open
      assert.equal(db.open, true);
      assert.deepEqual(shared.get('cli:/out.csv'), AT_TWO);
    } finally {
      cli.close();
      db.close();
    }
  });
});
