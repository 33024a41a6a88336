/**
 * `npm run bench:train [-- --batch 64 --steps 5]`: training throughput (clips/s) of each architecture
 * on the TF.js backend chosen at run time, on random 98 x 40 features (the data pipeline is not
 * timed). The first step (graph building, kernel warm-up) is excluded. Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend } from '../src/engine/tfjs/index.js';
import type { TfjsBackendName } from '../src/engine/index.js';
import { ARCHITECTURES } from '../src/model/index.js';
import { buildModel } from '../src/model/tfjs/index.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'tensorflow' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const choice = await selectTfjsBackend(values.backend as TfjsBackendName);
console.log(
  `backend: ${choice.backend} (${choice.provider})${choice.skipped.length > 0 ? `; skipped: ${choice.skipped.join('; ')}` : ''}`,
);
const results: Record<string, number> = {};
for (const architecture of ARCHITECTURES) {
  const model = buildModel(architecture, { frames: 98, bins: 40 });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, 98, 40, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 12, 'int32', 2), 12);
  await model.trainOnBatch(x, y);
  const start = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const seconds = (performance.now() - start) / 1000;
  results[architecture] = Math.round((steps * batch) / seconds);
  console.log(
    `${architecture.padEnd(18)} ${String(model.countParams()).padStart(8)} params  ${results[architecture]} clips/s`,
  );
  tf.dispose([x, y]);
  model.dispose();
}
console.log(JSON.stringify({ backend: choice.backend, batch, trainClipsPerSecond: results }));
