/**
 * `npm run bench:train [-- --batch 64 --steps 10 --backend tensorflow --per-word 200 --epochs 2]`:
 * training throughput, in clips/s, three ways in one run.
 *
 * (a) The training step alone, per architecture, on the TF.js backend chosen at run time, on random
 *     98 x 40 features (the first step, graph building and kernel warm-up, is excluded).
 * (b) End to end: clips/s of a real `kws train` epoch (`trainModel`: augmentation with the default
 *     AugmentConfig, features, SpecAugment, the step) on a synthetic corpus made once with
 *     `kws synth --per-word N` under `.bench/train-N` (batches made ahead on a second core, as for
 *     a real corpus); the second epoch is timed, from its first
 *     step to its last, and its ratio to (a) says how much the input pipeline costs.
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
import { FusedAdamOptimizer, trainModel } from '../src/training/tfjs/index.js';

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
const marks: Array<{ epoch: number; step: number; at: number }> = [];
const result = await trainModel({
  dataDir: corpus,
  architecture: 'tc-resnet8',
  epochs,
  patience: epochs,
  batchSize: batch,
  seed: 1,
  // Batches made ahead on the second core, as for any corpus of MIN_WORKER_CLIPS or more.
  batchWorkerMinClips: 0,
  onProgress: (p) => {
    if (p.phase === 'training' && p.epoch === epochs)
      marks.push({ epoch: p.epoch, step: p.step, at: performance.now() });
  },
});
const first = marks[0];
const last = marks.at(-1);
if (first === undefined || last === undefined || last.step === first.step)
  throw new Error('the timed epoch ran no step');
const endToEnd = Math.round(((last.step - first.step) * batch) / ((last.at - first.at) / 1000));
console.log(
  `end to end  tc-resnet8 kws train epoch ${epochs} (${result.counts.training} clips, default augmentation): ${endToEnd} clips/s, ${((100 * endToEnd) / stepRates['tc-resnet8']!).toFixed(0)} % of the step alone`,
);
result.model.dispose();

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
    endToEndClipsPerSecond: endToEnd,
    torchClipsPerSecond: torch?.clipsPerSecond ?? null,
  }),
);
