/**
 * `npm run bench:train [-- --batch 64 --steps 10 --backend tensorflow --per-word 200 --epochs 2]`:
 * training throughput, in clips/s, three ways in one run.
 *
 * (a) The training step alone, per architecture, on the TF.js backend chosen at run time, on random
 *     98 x 40 features (the first step, graph building and kernel warm-up, is excluded).
 * (a') Data-parallel steps (`kws train --threads N`, see `DataParallelSteps`): TC-ResNet8 on 1 and on
 *     every core's thread (at most 4), at the batch (one shard a thread) and at the batch times the
 *     threads (the batch a thread), with the speed-up over 1 thread at the same batch; on the
 *     native tensorflow backend, which trains on 1 thread, not measured.
 * (b) End to end: clips/s of a real `kws train` epoch (`trainModel`: augmentation with the default
 *     AugmentConfig, features, SpecAugment, the step) on a synthetic corpus made once with
 *     `kws synth --per-word N` under `.bench/train-N` (batches made ahead on a second core, as for
 *     a real corpus); the second epoch is timed, from its first
 *     step to its last, and its ratio to (a) says how much the input pipeline costs.
 *     With more than one core (and not on the tensorflow backend), the same at the batch times the
 *     threads, on 1 thread and with `threads` (data-parallel).
 * (c) The peer: when `python3` with `torch` is installed (Debian: `apt-get install python3-torch`;
 *     never a dependency of kws-serve), `bench/train_torch.py` trains the same TC-ResNet8 at the
 *     same batch on one thread, and the ratio of (a) to it is printed.
 * Last line: one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureSynthCorpus, ROOT } from './synth-corpus.js';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../src/engine/tfjs/index.js';
import type { TfjsBackendName } from '../src/engine/index.js';
import { ARCHITECTURES } from '../src/model/index.js';
import { buildModel } from '../src/model/tfjs/index.js';
import { availableParallelism } from 'node:os';
import {
  DataParallelSteps,
  FusedAdamOptimizer,
  LocalReplica,
  threadReplicas,
  trainModel,
} from '../src/training/tfjs/index.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '10' },
    backend: { type: 'string', default: 'tensorflow' },
    'per-word': { type: 'string', default: '200' },
    epochs: { type: 'string', default: '2' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const root = ROOT;
const choice = await selectTfjsBackend(values.backend as TfjsBackendName);
console.log(
  `backend: ${choice.backend} (${choice.provider})${choice.skipped.length > 0 ? `; skipped: ${choice.skipped.join('; ')}` : ''}`,
);

// (a) The step alone.
const stepRates: Record<string, number> = {};
for (const architecture of ARCHITECTURES) {
  const model = buildModel(architecture, { frames: 98, bins: 40 });
  // The optimiser kws train uses.
  model.compile({ optimizer: new FusedAdamOptimizer(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, 98, 40, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 12, 'int32', 2), 12);
  await model.trainOnBatch(x, y);
  const start = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const seconds = (performance.now() - start) / 1000;
  stepRates[architecture] = Math.round((steps * batch) / seconds);
  console.log(
    `step alone  ${architecture.padEnd(18)} ${String(model.countParams()).padStart(8)} params  ${stepRates[architecture]} clips/s`,
  );
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
}

// (a') Data-parallel steps.
/** clips/s of `DataParallelSteps` over `threads` replicas (this thread and threads − 1 workers) at `rows` a step. */
async function dataParallelRate(threads: number, rows: number): Promise<number> {
  const model = buildModel('tc-resnet8', { frames: 98, bins: 40 });
  const options = { learningRate: 1e-3, outlierExposure: 0, frames: 98, bins: 40 };
  const others = threadReplicas(model, options, threads);
  const run = new DataParallelSteps(new LocalReplica(model, options), others, 98 * 40);
  const features = tf.tidy(() => tf.randomNormal([rows * 98 * 40], 0, 1, 'float32', 1).dataSync() as Float32Array);
  const targets = new Float32Array(rows * 12).map((_, i) => (i % 12 === Math.floor(i / 12) % 12 ? 1 : 0));
  const timed = Math.max(steps, 20);
  for (let i = 0; i < 2; i++) await run.step(features, targets, rows); // warm-up: threads start, kernels compile
  const start = performance.now();
  for (let i = 0; i < timed; i++) await run.step(features, targets, rows);
  const rate = Math.round((timed * rows) / ((performance.now() - start) / 1000));
  await run.close();
  model.dispose();
  return rate;
}
const cores = availableParallelism();
const threads = Math.min(cores, 4);
const dataParallel: Record<string, Record<string, number>> = {};
if (choice.backend !== 'tensorflow' && threads > 1) {
  for (const rows of [batch, batch * threads]) {
    const one = await dataParallelRate(1, rows);
    const many = await dataParallelRate(threads, rows);
    dataParallel[String(rows)] = { '1': one, [String(threads)]: many };
    console.log(
      `step alone  tc-resnet8 batch ${rows} (${rows / threads} a thread): 1 thread ${one} clips/s, ${threads} threads ${many} clips/s, ${(many / one).toFixed(2)}x`,
    );
  }
} else {
  console.log(
    `data-parallel steps not measured (${threads > 1 ? 'the tensorflow backend trains on 1 thread' : 'one core'})`,
  );
}

// (b) A real training epoch on a synthetic corpus.
const perWord = Number(values['per-word']);
const corpus = join(root, '.bench', `train-${perWord}`);
ensureSynthCorpus(
  corpus,
  ['--per-word', String(perWord), '--seed', '5'],
  existsSync(join(corpus, 'SYNTH.json')),
  `a synthetic corpus of ${perWord} speakers per word`,
);
const epochs = Number(values.epochs);
/** clips/s of the last of `epochs` epochs of `trainModel` on the corpus, timed from its first step to its last. */
async function endToEndRate(batchSize: number, trainThreads: number): Promise<{ rate: number; clips: number }> {
  const marks: Array<{ step: number; at: number }> = [];
  const result = await trainModel({
    dataDir: corpus,
    architecture: 'tc-resnet8',
    epochs,
    patience: epochs,
    batchSize,
    seed: 1,
    threads: trainThreads,
    // Batches made ahead on another core, as for any corpus of MIN_WORKER_CLIPS or more.
    batchWorkerMinClips: 0,
    onProgress: (p) => {
      if (p.phase === 'training' && p.epoch === epochs) marks.push({ step: p.step, at: performance.now() });
    },
  });
  result.model.dispose();
  const first = marks[0];
  const last = marks.at(-1);
  if (first === undefined || last === undefined || last.step === first.step)
    throw new Error('the timed epoch ran no step');
  return {
    rate: Math.round(((last.step - first.step) * batchSize) / ((last.at - first.at) / 1000)),
    clips: result.counts.training,
  };
}
const { rate: endToEnd, clips } = await endToEndRate(batch, 1);
console.log(
  `end to end  tc-resnet8 kws train epoch ${epochs} (${clips} clips, default augmentation): ${endToEnd} clips/s, ${((100 * endToEnd) / stepRates['tc-resnet8']!).toFixed(0)} % of the step alone`,
);
const endToEndParallel: Record<string, number> = {};
if (choice.backend !== 'tensorflow' && threads > 1) {
  const rows = batch * threads;
  endToEndParallel['1'] = (await endToEndRate(rows, 1)).rate;
  endToEndParallel[String(threads)] = (await endToEndRate(rows, threads)).rate;
  console.log(
    `end to end  tc-resnet8 batch ${rows}: 1 thread ${endToEndParallel['1']} clips/s, --threads ${threads} ${endToEndParallel[String(threads)]} clips/s, ${(endToEndParallel[String(threads)]! / endToEndParallel['1']!).toFixed(2)}x`,
  );
}

// (c) PyTorch, when installed.
// The first python3 that imports torch: the one on PATH (may be a pyenv without it), then Debian's.
const python = ['python3', '/usr/bin/python3']
  .map((command) =>
    spawnSync(
      command,
      [join(root, 'bench/train_torch.py'), '--batch', String(batch), '--steps', '20', '--threads', '1'],
      {
        encoding: 'utf8',
      },
    ),
  )
  .reduce((found, run) => (found.status === 0 ? found : run));
const torch =
  python.status === 0
    ? (JSON.parse(python.stdout.trim().split('\n').at(-1)!) as {
        torch: string;
        clipsPerSecond: Record<string, Record<string, number>>;
      })
    : null;
if (torch !== null) {
  for (const [layer, byThreads] of Object.entries(torch.clipsPerSecond)) {
    const rate = byThreads['1']!;
    console.log(
      `pytorch     tc-resnet8 (${layer}, torch ${torch.torch}, 1 thread): ${rate} clips/s; kws-serve's step alone is ${((100 * stepRates['tc-resnet8']!) / rate).toFixed(0)} % of it`,
    );
  }
} else {
  console.log(
    `pytorch     not measured (python3 with torch not found: ${python.stderr.trim().split('\n').at(-1) ?? ''})`,
  );
}
console.log(
  JSON.stringify({
    backend: choice.backend,
    batch,
    trainClipsPerSecond: stepRates,
    cores,
    dataParallelClipsPerSecond: dataParallel,
    endToEndClipsPerSecond: endToEnd,
    endToEndDataParallelClipsPerSecond: { batch: batch * threads, ...endToEndParallel },
    torchClipsPerSecond: torch?.clipsPerSecond ?? null,
  }),
);
