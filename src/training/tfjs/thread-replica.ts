import type { MessagePort, Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { spawnWorker } from '../../config/index.js';
import type { TfjsBackendName } from '../../engine/index.js';
import { selectTfjsBackend } from '../../engine/tfjs/index.js';
import { fromSerializedError, isKwsError, KwsError, toSerializedError } from '../../errors/index.js';
import { repairTopology } from '../../model/tfjs/index.js';
import type { SerializedKwsError } from '../../errors/index.js';
import { LocalReplica } from './replica.js';
import type { GradientReplica, ReplicaInit, ShardResult, ShardStep } from './replica.js';

/** A replica thread's answer to a {@link ShardStep}, one per step, in order. */
export type ReplicaReply =
  | { readonly type: 'result'; readonly result: ShardResult }
  | { readonly type: 'error'; readonly error: SerializedKwsError };

/**
 * A replica on a worker thread (`batch/replica.worker.ts`, running {@link runReplicaWorker}): its
 * own TF.js backend and copy of the model, so that its shard's forward and backward passes run on
 * another core. Features and targets are transferred to the thread; updates are copied (every
 * replica gets the same one).
 */
export class ThreadReplica implements GradientReplica {
  private readonly worker: Worker;
  private readonly pending: Array<{ resolve: (r: ShardResult) => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  /** @param name How errors name this replica, e.g. `training thread 2`. */
  constructor(
    init: ReplicaInit,
    private readonly name: string,
  ) {
    this.worker = spawnWorker('replica', { replica: init });
    this.worker.on('message', (reply: ReplicaReply) => {
      const waiter = this.pending.shift();
      if (waiter === undefined) return;
      if (reply.type === 'result') waiter.resolve(reply.result);
      else waiter.reject(named(fromSerializedError(reply.error), name));
    });
    this.worker.on('error', (error) => this.fail(new KwsError('INTERNAL', `${name} failed: ${error.message}`)));
    this.worker.on('exit', (code) => this.fail(new KwsError('INTERNAL', `${name} exited with code ${code}`)));
  }

  step(shard: ShardStep): Promise<ShardResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const answer = new Promise<ShardResult>((resolve, reject) => this.pending.push({ resolve, reject }));
    this.worker.postMessage(shard, [shard.features.buffer as ArrayBuffer, shard.targets.buffer as ArrayBuffer]);
    return answer;
  }

  async close(): Promise<void> {
    this.fail(new KwsError('INTERNAL', `${this.name} closed`));
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}

/**
 * The replicas of `model` for shards 1 to `threads − 1` of each step, one worker thread each, named
 * `training thread 2`, `training thread 3`…, on the current TF.js backend. The caller closes them.
 */
export function threadReplicas(
  model: tfl.LayersModel,
  options: Pick<ReplicaInit, 'learningRate' | 'outlierExposure' | 'frames' | 'bins'>,
  threads: number,
): ThreadReplica[] {
  const init: Omit<ReplicaInit, 'shard'> = {
    ...options,
    topology: model.toJSON(null, false) as ReplicaInit['topology'],
    weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
    backend: tf.getBackend() as TfjsBackendName,
  };
  return Array.from(
    { length: threads - 1 },
    (_, k) => new ThreadReplica({ ...init, shard: k + 1 }, `training thread ${k + 2}`),
  );
}

/** `error` with the replica's name before its message, keeping a KwsError's code (else `INTERNAL`). */
function named(error: Error, name: string): KwsError {
  return new KwsError(isKwsError(error) ? error.code : 'INTERNAL', `${name}: ${error.message}`);
}

/**
 * The body of a replica thread: builds the model of `init` (topology and weights) on `init.backend`
 * and answers each {@link ShardStep} on `port` with its {@link ShardResult} (the gradient buffer
 * transferred) or a serialized error, strictly in order. A replica that failed to build answers
 * every step with that error.
 */
export function runReplicaWorker(init: ReplicaInit, port: Pick<MessagePort, 'on' | 'postMessage'>): void {
  let chain: Promise<LocalReplica> = buildReplica(init);
  chain.catch(() => undefined); // answered to each step below
  port.on('message', (shard: ShardStep) => {
    chain = chain.then(async (replica) => {
      try {
        const result = await replica.step(shard);
        port.postMessage(
          { type: 'result', result } satisfies ReplicaReply,
          result.gradients === null ? [] : [result.gradients.buffer as ArrayBuffer],
        );
      } catch (error) {
        port.postMessage({ type: 'error', error: toSerializedError(asKwsError(error)) } satisfies ReplicaReply);
      }
      return replica;
    });
    chain.catch((error: unknown) =>
      port.postMessage({ type: 'error', error: toSerializedError(asKwsError(error)) } satisfies ReplicaReply),
    );
  });
}

/** A TF.js error (a shape mismatch, say) as an `INTERNAL` KwsError that keeps its message across the thread hop. */
function asKwsError(error: unknown): unknown {
  return error instanceof Error && !isKwsError(error) ? new KwsError('INTERNAL', error.message) : error;
}

async function buildReplica(init: ReplicaInit): Promise<LocalReplica> {
  await selectTfjsBackend(init.backend);
  const model = await tfl.models.modelFromJSON({ modelTopology: repairTopology(init.topology) });
  if (init.weights.length !== model.weights.length)
    throw new KwsError(
      'INTERNAL',
      `the replica's model has ${model.weights.length} weights and was given ${init.weights.length}`,
    );
  const weights = model.weights.map((w, i) =>
    tf.tensor(init.weights[i] as Float32Array, w.shape as number[], 'float32'),
  );
  model.setWeights(weights);
  tf.dispose(weights);
  return new LocalReplica(model, init, init.shard);
}
