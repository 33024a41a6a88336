/**
 * `npm run bench:score [-- --clips N --threads T --models-dir DIR --model V]`: bulk scoring of a synthetic Kaggle test set.
 *
 * Makes (or reuses, under .bench/score-N) a synthetic test set of N clips (default 158,538) with
 * `kws synth`, scores it with a version (default the bundled production one; `--model` and
 * `--models-dir` name another, an ensemble say) through the same code as `kws score`, and prints
 * wall time, clips/s and peak RSS; then, in the same run, the engine alone (inference on
 * precomputed features, batches of 256) and decode + features alone (same threads, no model), and end to end again with test-time augmentation (`DEFAULT_TTA`).
 * Last line: one JSON object.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, syntheticTestSet } from './synth-corpus.js';
import { DEFAULT_TTA, describeTta, EnginePool } from '../src/engine/index.js';
import { scoreTestSet } from '../src/jobs/index.js';
import { ModelRegistry, versionGeometry } from '../src/registry/index.js';
import { ScoreCheckpointStore } from '../src/storage/index.js';

const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '158538' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'chunk-size': { type: 'string', default: '256' },
    'models-dir': { type: 'string' },
    model: { type: 'string' },
  },
});
const clips = Number(values.clips);
const threads = Number(values.threads);
const chunkSize = Number(values['chunk-size']);
const root = ROOT;
const set = syntheticTestSet(clips);
const audio = join(set, 'test', 'audio');

const work = mkdtempSync(join(tmpdir(), 'kws-bench-score-'));
const registry = ModelRegistry.open(values['models-dir'] ?? join(root, 'models'), {
  createModelsDir: false,
  inMemoryIndex: true,
});
const version = registry.resolve(
  values.model === undefined ? undefined : /^\d+$/.test(values.model) ? Number(values.model) : values.model,
);
const manifest = registry.manifest(version.version);
const checkpoints = ScoreCheckpointStore.open(':memory:');
const pool = new EnginePool({ threads });
const model = {
  modelDir: version.dir,
  geometry: versionGeometry(manifest),
  temperature: manifest.calibration.temperature ?? 1,
};
await pool.warmUp(model.modelDir, model.geometry);
const started = performance.now();
const summary = await scoreTestSet(registry, pool, checkpoints, {
  dir: join(set, 'test'),
  out: join(work, 'submission.csv'),
  probabilitiesOut: join(work, 'probabilities.csv'),
  chunkSize,
  checkpointKey: 'bench',
  modelVersion: version.version,
});
const wallSeconds = (performance.now() - started) / 1000;
const clipsPerSecond = Math.round(summary.total / wallSeconds);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(
  `scored ${summary.total} clips in ${wallSeconds.toFixed(1)} s: ${clipsPerSecond} clips/s, ${summary.failed} failed, peak RSS ${peakRssMb} MB (${threads} threads, chunks of ${chunkSize}, ${pool.provider})`,
);

// Same threads, a sample of the set: decode + features only, then inference only.
const sample = readdirSync(audio)
  .sort()
  .slice(0, Math.min(clips, 20_000))
  .map((f) => join(audio, f));
const chunks: string[][] = [];
for (let i = 0; i < sample.length; i += chunkSize) chunks.push(sample.slice(i, i + chunkSize));
let t = performance.now();
const inFlight: Array<Promise<unknown>> = [];
for (const chunk of chunks) {
  inFlight.push(pool.scoreChunk(chunk, manifest.featureConfig, null));
  if (inFlight.length >= threads + 1) await inFlight.shift();
}
await Promise.all(inFlight);
const featuresOnlyClipsPerSecond = Math.round(sample.length / ((performance.now() - t) / 1000));
const features = new Float32Array(chunkSize * model.geometry.frames * model.geometry.bins).map(
  (_, i) => Math.sin(i) * 4 - 6,
);
t = performance.now();
let inferred = 0;
while (performance.now() - t < 5000) {
  await Promise.all(Array.from({ length: threads }, () => pool.infer(model, features, chunkSize)));
  inferred += chunkSize * threads;
}
const engineOnlyClipsPerSecond = Math.round(inferred / ((performance.now() - t) / 1000));
// End to end again with test-time augmentation (the clip, ±100 ms and +6 dB: 4 views a clip).
t = performance.now();
const withTta = await scoreTestSet(registry, pool, checkpoints, {
  dir: join(set, 'test'),
  out: join(work, 'submission-tta.csv'),
  probabilitiesOut: join(work, 'probabilities-tta.csv'),
  chunkSize,
  tta: DEFAULT_TTA,
  checkpointKey: 'bench-tta',
  modelVersion: version.version,
});
const ttaClipsPerSecond = Math.round(withTta.total / ((performance.now() - t) / 1000));
await pool.close();
checkpoints.close();
registry.close();
rmSync(work, { recursive: true, force: true });
const floor = Math.min(engineOnlyClipsPerSecond, featuresOnlyClipsPerSecond);
console.log(
  `engine only ${engineOnlyClipsPerSecond} clips/s; decode + features only ${featuresOnlyClipsPerSecond} clips/s; end to end = ${Math.round((clipsPerSecond / floor) * 100)} % of the slower stage`,
);
console.log(
  `with TTA (${describeTta(DEFAULT_TTA)}): ${ttaClipsPerSecond} clips/s, ${(clipsPerSecond / ttaClipsPerSecond).toFixed(2)}x the time`,
);
console.log(
  JSON.stringify({
    modelVersion: version.version,
    clips: summary.total,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    clipsPerSecond,
    engineOnlyClipsPerSecond,
    featuresOnlyClipsPerSecond,
    ttaClipsPerSecond,
    peakRssMb,
  }),
);
