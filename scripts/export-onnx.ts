/**
 * Writes model.onnx for a version folder that lacks one (versions trained before ONNX export existed),
 * or, with --force, rewrites it from the same TF.js weights (versions exported before the `logits`
 * output existed):
 *   npx tsx scripts/export-onnx.ts models/1 [--force]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectTfjsBackend } from '../src/engine/tfjs/index.js';
import { exportOnnx } from '../src/engine/tfjs/index.js';
import { loadLayersModel } from '../src/engine/tfjs/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: npx tsx scripts/export-onnx.ts MODEL_VERSION_DIR');
if (existsSync(join(dir, 'model.onnx')) && !process.argv.includes('--force'))
  throw new Error(`${dir}/model.onnx exists already (--force rewrites it)`);
await selectTfjsBackend('wasm');
const model = await loadLayersModel(dir);
writeFileSync(join(dir, 'model.onnx'), exportOnnx(model));
model.dispose();
console.log(`wrote ${join(dir, 'model.onnx')}`);
