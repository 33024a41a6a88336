import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamicBatcher } from '../../src/inference/index.js';
import type { BatchReport, BatchScheduler } from '../../src/inference/index.js';

/** A manual clock: timers fire only when the test advances time. */
class ManualScheduler implements BatchScheduler {
  time = 0;
  private timers = new Map<number, { due: number; callback: () => void }>();
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { due: this.time + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.due <= end).sort((a, b) => a[1].due - b[1].due)[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.time = next[1].due;
      next[1].callback();
    }
    this.time = end;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A runner that records each batch and doubles each number; negative numbers fail alone. */
function recorder(): {
  batches: Array<{ key: string; items: number[] }>;
  run: (key: string, items: readonly number[]) => Promise<Array<number | Error>>;
} {
  const batches: Array<{ key: string; items: number[] }> = [];
  return {
    batches,
    run: async (key, items) => {
      batches.push({ key, items: [...items] });
      return items.map((x) => (x < 0 ? new Error(`negative ${x}`) : x * 2));
    },
  };
}

describe('DynamicBatcher', () => {
  it('batches three concurrent requests into one engine call after the max queue delay', async () => {
    const clock = new ManualScheduler();
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 8, maxQueueDelayMs: 5 }, clock);
    const results = [batcher.submit('v1', 1), batcher.submit('v1', 2), batcher.submit('v1', 3)];
    await tick();
    assert.equal(batches.length, 0, 'nothing is dispatched before the delay');
    clock.advance(5);
    assert.deepEqual(await Promise.all(results), [2, 4, 6]);
    assert.deepEqual(batches, [{ key: 'v1', items: [1, 2, 3] }]);
  });

  it('dispatches a full batch at once and splits the rest by maxBatchSize', async () => {
    const clock = new ManualScheduler();
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 2, maxQueueDelayMs: 100, maxConcurrentBatches: 4 }, clock);
    const results = [1, 2, 3, 4, 5].map((x) => batcher.submit('v1', x));
    await tick();
    assert.deepEqual(
      batches.map((b) => b.items),
      [
        [1, 2],
        [3, 4],
      ],
    );
    clock.advance(100);
    assert.deepEqual(await Promise.all(results), [2, 4, 6, 8, 10]);
    assert.deepEqual(
      batches.map((b) => b.items),
      [[1, 2], [3, 4], [5]],
    );
  });

  it('keeps keys (model versions) in separate batches', async () => {
    const clock = new ManualScheduler();
    const { batches, run } = recorder();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 8, maxQueueDelayMs: 1 }, clock);
    const results = [batcher.submit('v1', 1), batcher.submit('v2', 2), batcher.submit('v1', 3)];
    clock.advance(1);
    assert.deepEqual(await Promise.all(results), [2, 4, 6]);
    assert.deepEqual(batches, [
      { key: 'v1', items: [1, 3] },
      { key: 'v2', items: [2] },
    ]);
  });

  it('queues while every engine slot is busy and sends the waiting items as one batch when one frees', async () => {
    const clock = new ManualScheduler();
    const batches: number[][] = [];
    let release: (() => void) | null = null;
    const run = async (_key: string, items: readonly number[]): Promise<number[]> => {
      batches.push([...items]);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((x) => x);
    };
    const batcher = new DynamicBatcher(run, { maxBatchSize: 16, maxQueueDelayMs: 0, maxConcurrentBatches: 1 }, clock);
    const first = batcher.submit('v', 1);
    const rest = [2, 3, 4].map((x) => batcher.submit('v', x));
    await tick();
    assert.deepEqual(batches, [[1]]);
    assert.equal(batcher.queueLength, 3);
    (release as unknown as () => void)();
    assert.deepEqual(await Promise.all([first, ...rest]), [1, 2, 3, 4]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  });

  it('fails one bad item alone and the whole batch when the runner throws', async () => {
    const clock = new ManualScheduler();
    const { run } = recorder();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 4, maxQueueDelayMs: 0 }, clock);
    const [good, bad] = [batcher.submit('v', 1), batcher.submit('v', -1)];
    assert.equal(await good, 2);
    await assert.rejects(bad, { message: 'negative -1' });
    const throwing = new DynamicBatcher<number, number>(
      async () => {
        throw new Error('engine died');
      },
      { maxQueueDelayMs: 0 },
      clock,
    );
    await assert.rejects(throwing.submit('v', 1), { message: 'engine died' });
  });

  it('refuses new items with OVERLOADED when the queue is full', async () => {
    const clock = new ManualScheduler();
    const { run } = recorder();
    const batcher = new DynamicBatcher(run, { maxBatchSize: 8, maxQueueDelayMs: 10, maxQueueLength: 2 }, clock);
    const accepted = [batcher.submit('v', 1), batcher.submit('v', 2)];
    await assert.rejects(batcher.submit('v', 3), {
      name: 'KwsError',
      code: 'OVERLOADED',
      message: 'the inference queue is full (2 clips waiting); retry shortly',
    });
    clock.advance(10);
    assert.deepEqual(await Promise.all(accepted), [2, 4]);
    const after = batcher.submit('v', 5);
    clock.advance(10);
    assert.equal(await after, 10, 'accepted again once the queue drained');
  });

  it('times out an item that waits too long and removes it from the queue', async () => {
    const clock = new ManualScheduler();
    const batches: number[][] = [];
    const batcher = new DynamicBatcher<number, number>(
      async (_k, items) => {
        batches.push([...items]);
        return new Promise(() => undefined);
      },
      { maxBatchSize: 8, maxQueueDelayMs: 0, maxConcurrentBatches: 1, timeoutMs: 50 },
      clock,
    );
    const stuck = batcher.submit('v', 1);
    const waiting = batcher.submit('v', 2);
    await tick();
    clock.advance(50);
    await assert.rejects(stuck, { code: 'TIMEOUT', message: 'inference did not finish within 50 ms' });
    await assert.rejects(waiting, { code: 'TIMEOUT' });
    assert.equal(batcher.queueLength, 0);
    assert.deepEqual(batches, [[1]]);
  });

  it('reports each batch with its size and queue times', async () => {
    const clock = new ManualScheduler();
    const { run } = recorder();
    const reports: BatchReport[] = [];
    const batcher = new DynamicBatcher(run, { maxBatchSize: 8, maxQueueDelayMs: 4 }, clock, (r) => reports.push(r));
    const a = batcher.submit('v', 1);
    clock.advance(3);
    const b = batcher.submit('v', 2);
    clock.advance(1);
    await Promise.all([a, b]);
    assert.equal(reports.length, 1);
    assert.deepEqual(
      { key: reports[0]?.key, size: reports[0]?.size, queueMs: reports[0]?.queueMs },
      { key: 'v', size: 2, queueMs: [4, 1] },
    );
  });

  it('fails queued items with NOT_READY on close and refuses new ones', async () => {
    const clock = new ManualScheduler();
    const { run } = recorder();
    const batcher = new DynamicBatcher(run, { maxQueueDelayMs: 100 }, clock);
    const queued = batcher.submit('v', 1);
    batcher.close();
    await assert.rejects(queued, { code: 'NOT_READY' });
    await assert.rejects(batcher.submit('v', 2), {
      code: 'NOT_READY',
      message: 'the server is shutting down and accepts no new inference',
    });
  });

  it('rejects out-of-range options with the bad value in the message', () => {
    const run = async (): Promise<number[]> => [];
    assert.throws(() => new DynamicBatcher(run, { maxBatchSize: 0 }), {
      code: 'INVALID_ARGUMENT',
      message: 'maxBatchSize must be an integer of at least 1, got 0',
    });
    assert.throws(() => new DynamicBatcher(run, { maxQueueDelayMs: Number.NaN }), {
      code: 'INVALID_ARGUMENT',
      message: 'maxQueueDelayMs must be a number of milliseconds of at least 0, got NaN',
    });
    assert.throws(() => new DynamicBatcher(run, { maxConcurrentBatches: 1.5 }), {
      message: 'maxConcurrentBatches must be an integer of at least 1, got 1.5',
    });
  });
});
