import { existsSync } from 'node:fs';
import { LABELS } from '../labels/index.js';
import { listTestClips, scanSpeechCommands } from '../data/index.js';
import type { Label } from '../labels/index.js';
import type { Split } from '../data/index.js';
import type { EnginePool, ScoredChunk } from '../engine/index.js';
import { describeValue, KwsError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { toPredictionView } from './prediction-view.js';
import { readServingVersion } from './version-resolver.js';

/** One clip scored by one version, with its calibrated thresholds applied. */
export interface ScoredClip {
  /** The clip's name: `<word>/<file>` in a dataset, the file name in a test folder. */
  readonly clip: string;
  readonly path: string;
  /** The dataset's label, when known. */
  readonly trueLabel: Label | null;
  readonly label: Label;
  /** Max-softmax probability. */
  readonly confidence: number;
  /** `[12]` probabilities in label order; empty when the clip did not decode. */
  readonly probabilities: readonly number[];
  /** Error code when the clip did not decode. */
  readonly error: string | null;
}

/** Most clips an interactive dashboard query scores; larger folders go through `scoreTestSet`. */
export const MAX_DASHBOARD_CLIPS = 20_000;

/**
 * The mistakes dashboard (after the talk the project comes from): scores clips with a version in the
 * engine's worker threads and ranks them. Results are cached per (version, source) for the process,
 * since versions are immutable (a folder's later changes need a restart to show).
 */
export class Dashboard {
  private readonly cache = new Map<string, Promise<ScoredClip[]>>();
  private lane: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly pool: EnginePool,
  ) {}

  /**
   * Clips of a version's own training or validation split that it gets wrong, most confidently wrong
   * first, then the least confident right ones; `first` of them.
   *
   * @throws KwsError `NOT_FOUND` for an unknown version, `FILE_NOT_FOUND` when its dataset has moved,
   *   `INVALID_ARGUMENT` for a split with more than {@link MAX_DASHBOARD_CLIPS} clips.
   */
  async hardExamples(
    version: number,
    split: Extract<Split, 'training' | 'validation'>,
    first: number,
  ): Promise<ScoredClip[]> {
    const record = readServingVersion(this.registry, version);
    const { manifest } = record;
    const key = `${record.version}\thard\t${split}`;
    let scored = this.cache.get(key);
    if (scored === undefined) {
      scored = (async () => {
        if (!existsSync(manifest.training.dataDir))
          throw new KwsError(
            'FILE_NOT_FOUND',
            `version ${record.version} was trained on ${manifest.training.dataDir}, which is not on this machine: hard examples read the version's own training data (lowConfidenceClips works on any test folder)`,
          );
        const dataset = await scanSpeechCommands(
          manifest.training.dataDir,
          (manifest.training.options['dataset'] ?? {}) as Parameters<typeof scanSpeechCommands>[1],
        );
        const words = dataset.examples[split].flatMap((e) =>
          e.kind === 'word' ? [{ clip: e.relativePath, path: e.path, trueLabel: e.label }] : [],
        );
        return this.score(record.version, words);
      })();
      this.remember(key, scored);
    }
    const clips = await scored;
    const wrong = clips.filter((c) => c.label !== c.trueLabel).sort((a, b) => b.confidence - a.confidence);
    const right = clips.filter((c) => c.label === c.trueLabel).sort((a, b) => a.confidence - b.confidence);
    return [...wrong, ...right].slice(0, checkFirst(first));
  }

  /** The clips of a test folder with the lowest max-softmax probability under a version. */
  async lowConfidence(version: number, dir: string, first: number): Promise<ScoredClip[]> {
    const clips = await this.folder(version, dir);
    return [...clips].sort((a, b) => a.confidence - b.confidence).slice(0, checkFirst(first));
  }

  /** Clips of a test folder whose label differs between two versions, most confident disagreements first. */
  async diff(
    versionA: number,
    versionB: number,
    dir: string,
    first: number,
  ): Promise<Array<{ a: ScoredClip; b: ScoredClip }>> {
    const [a, b] = await Promise.all([this.folder(versionA, dir), this.folder(versionB, dir)]);
    const byClip = new Map(b.map((c) => [c.clip, c]));
    return a
      .flatMap((clip) => {
        const other = byClip.get(clip.clip);
        return other !== undefined && other.label !== clip.label ? [{ a: clip, b: other }] : [];
      })
      .sort((x, y) => Math.max(y.a.confidence, y.b.confidence) - Math.max(x.a.confidence, x.b.confidence))
      .slice(0, checkFirst(first));
  }

  private async folder(version: number, dir: string): Promise<ScoredClip[]> {
    const record = this.registry.resolve(version);
    const key = `${record.version}\tdir\t${dir}`;
    let scored = this.cache.get(key);
    if (scored === undefined) {
      scored = (async () => {
        const files: Array<{ clip: string; path: string; trueLabel: null }> = [];
        for await (const clip of listTestClips(dir)) {
          files.push({ clip: clip.fname, path: clip.path, trueLabel: null });
          if (files.length > MAX_DASHBOARD_CLIPS)
            throw new KwsError(
              'INVALID_ARGUMENT',
              `${dir} holds more than ${MAX_DASHBOARD_CLIPS} clips; score it with scoreTestSet instead`,
            );
        }
        return this.score(
          record.version,
          files.sort((x, y) => (x.clip < y.clip ? -1 : 1)),
        );
      })();
      this.remember(key, scored);
    }
    return scored;
  }

  private remember(key: string, scored: Promise<ScoredClip[]>): void {
    this.cache.set(key, scored);
    scored.catch(() => this.cache.delete(key)); // a failure is not cached
    while (this.cache.size > 16) this.cache.delete(this.cache.keys().next().value as string);
  }

  private async score(
    version: number,
    clips: ReadonlyArray<{ clip: string; path: string; trueLabel: Label | null }>,
  ): Promise<ScoredClip[]> {
    if (clips.length > MAX_DASHBOARD_CLIPS)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `${clips.length} clips are more than the ${MAX_DASHBOARD_CLIPS} a dashboard query scores`,
      );
    const { manifest, thresholds, target: model } = readServingVersion(this.registry, version);
    // One small chunk at a time, and one dashboard query at a time: the engine threads are shared
    // with live uploads, which then wait behind at most one chunk (about 40 ms), not the whole folder.
    const chunk = 64;
    const parts: ScoredChunk[] = [];
    const run = this.lane.then(async () => {
      for (let k = 0; k * chunk < clips.length; k++)
        parts.push(
          await this.pool.scoreChunk(
            clips.slice(k * chunk, (k + 1) * chunk).map((c) => c.path),
            manifest.featureConfig,
            model,
          ),
        );
    });
    this.lane = run.catch(() => undefined);
    await run;
    return clips.map((c, i) => {
      const part = parts[Math.floor(i / chunk)];
      const j = i % chunk;
      const failure = part?.failures.find((f) => f.index === j);
      if (part === undefined || failure !== undefined)
        return {
          ...c,
          label: 'unknown' as Label,
          confidence: 0,
          probabilities: [],
          error: failure?.code ?? 'INTERNAL',
        };
      const probabilities = part.probabilities.subarray(j * LABELS.length, (j + 1) * LABELS.length);
      const view = toPredictionView(
        {
          probabilities,
          rmsDbfs: part.rmsDbfs[j] as number,
          energy: part.energy[j] as number,
          modelVersion: version,
          latencyMs: 0,
        },
        thresholds,
      );
      return {
        ...c,
        label: view.label,
        confidence: view.confidence,
        probabilities: Array.from(probabilities),
        error: null,
      };
    });
  }
}

function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > 1000)
    throw new KwsError('INVALID_ARGUMENT', `first must be from 1 to 1000, got ${describeValue(first)}`);
  return first;
}
