/**
 * `npm run bench:features [-- --clips N] [--dir DIR]`: decode + fit + log-mel throughput on one core
 * (this thread), over real 1 s Speech Commands WAVs (default ../shared/data/real/pico-testset-v0.02),
 * read into memory first so that disk speed is not measured. Prints per-stage figures and, last, one
 * JSON line: {"clips", "decodeClipsPerSecond", "featuresClipsPerSecond", "clipsPerSecond"}.
 * Target (issue 2): at least 5,000 clips/s for decode + features on one core.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudio, fitToLength } from '../src/audio/index.js';
import { FeatureExtractor } from '../src/features/index.js';

const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '20000' },
    dir: { type: 'string', default: resolve(import.meta.dirname, '../../shared/data/real/pico-testset-v0.02') },
  },
});
const target = Number(values.clips);

function listWavs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listWavs(path);
    return name.endsWith('.wav') ? [path] : [];
  });
}

const files = listWavs(values.dir).sort();
if (files.length === 0) throw new Error(`no .wav files under ${values.dir}`);
const inputs = files.map((f) => readFileSync(f));
const extractor = new FeatureExtractor();
const out = new Float32Array(extractor.clipSize);

async function run(clips: number, stage: 'decode' | 'features' | 'both', fitted: Float32Array[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < clips; i++) {
    if (stage === 'features') {
      extractor.compute(fitted[i % fitted.length] as Float32Array, out);
      continue;
    }
    const decoded = await decodeAudio(inputs[i % inputs.length] as Uint8Array);
    const clip = fitToLength(decoded.samples, 16_000);
    if (stage === 'both') extractor.compute(clip, out);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const fitted = await Promise.all(
  inputs.slice(0, 500).map(async (b) => fitToLength((await decodeAudio(b)).samples, 16_000)),
);
await run(2_000, 'both', fitted); // warm-up: JIT and resampler/decoder initialisation
const decodeSeconds = await run(target, 'decode', fitted);
const featureSeconds = await run(target, 'features', fitted);
const bothSeconds = await run(target, 'both', fitted);
const rate = (seconds: number): number => Math.round(target / seconds);
console.log(`files: ${files.length} WAVs from ${values.dir}, ${target} clips per stage, one thread`);
console.log(`decode + fit:        ${rate(decodeSeconds)} clips/s`);
console.log(`log-mel 98x40:       ${rate(featureSeconds)} clips/s`);
console.log(`decode + features:   ${rate(bothSeconds)} clips/s (target 5000)`);
console.log(
  JSON.stringify({
    clips: target,
    decodeClipsPerSecond: rate(decodeSeconds),
    featuresClipsPerSecond: rate(featureSeconds),
    clipsPerSecond: rate(bothSeconds),
  }),
);
