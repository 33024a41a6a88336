/**
 * `npm run bench:onnx [-- --batch 64 --runs 20]`: onnxruntime-node CPU inference of each architecture
 * exported to ONNX (random weights; the graph, not the values, sets the cost). Prints ms per clip;
 * last line one JSON object.
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { disableOnnxRuntimeTelemetry } from '../src/config/index.js';
import { selectTfjsBackend } from '../src/engine/tfjs/index.js';
import { ARCHITECTURES } from '../src/model/index.js';
import { buildModel } from '../src/model/tfjs/index.js';
import { exportOnnx } from '../src/engine/tfjs/index.js';

disableOnnxRuntimeTelemetry(); // as every kws-serve process does (src/config/onnxruntime-env.ts)

const { values } = parseArgs({
  options: { batch: { type: 'string', default: '64' }, runs: { type: 'string', default: '20' } },
});
const batch = Number(values.batch);
const runs = Number(values.runs);
await selectTfjsBackend('wasm');
const results: Record<string, number> = {};
for (const architecture of ARCHITECTURES) {
  const model = buildModel(architecture, { frames: 98, bins: 40 });
  const session = await ort.InferenceSession.create(exportOnnx(model), { intraOpNumThreads: 1 });
  model.dispose();
  const input = new ort.Tensor(
    'float32',
    Float32Array.from({ length: batch * 98 * 40 }, (_, i) => Math.sin(i)),
    [batch, 98, 40, 1],
  );
  await session.run({ features: input });
  const start = performance.now();
  for (let i = 0; i < runs; i++) await session.run({ features: input });
  results[architecture] = (performance.now() - start) / runs / batch;
  console.log(`${architecture.padEnd(18)} ${results[architecture]!.toFixed(3)} ms/clip (batch ${batch}, 1 thread)`);
}
console.log(JSON.stringify({ batch, onnxMsPerClip: results }));
