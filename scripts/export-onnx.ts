/**
 * Writes model.onnx for a version folder that lacks one (versions trained before ONNX export existed):
 *   npx tsx scripts/export-onnx.ts models/1
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectTfjsBackend } from '../src/engine/index.js';
import { exportOnnx, loadLayersModel } from '../src/registry/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: npx tsx scripts/export-onnx.ts MODEL_VERSION_DIR');
if (existsSync(join(dir, 'model.onnx'))) throw new Error(`${dir}/model.onnx exists already`);
await selectTfjsBackend('wasm');
const model = await loadLayersModel(dir);
writeFileSync(join(dir, 'model.onnx'), exportOnnx(model));
model.dispose();
console.log(`wrote ${join(dir, 'model.onnx')}`);
