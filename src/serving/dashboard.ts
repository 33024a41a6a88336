import { existsSync } from 'node:fs';
import { LABELS } from '../labels/index.js';
import { listTestClips, scanSpeechCommands } from '../data/index.js';
import type { Label } from '../labels/index.js';
import type { Split } from '../data/index.js';
import type { EmbeddedChunk, EnginePool, ScoredChunk } from '../engine/index.js';
import { describeValue, KwsError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { toPredictionView } from './prediction-view.js';
import { checkPerSource, evenSample } from './cluster-map.js';
import type { ClusterMap, ClusterPoint, ClusterSource } from './cluster-map.js';
import { readServingVersion } from './version-resolver.js';
import type { ServingVersion } from './version-resolver.js';

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

/** Clips per engine task of a dashboard query. */
const CHUNK = 64;

/** Most clips an interactive dashboard query scores; larger folders go through `scoreTestSet`. */
export const MAX_DASHBOARD_CLIPS = 20_000;

/**
 * The mistakes dashboard (after the talk the project comes from): scores clips with a version in the
 * engine's worker threads and ranks them. Results are cached per (version, source) for the process,
 * since versions are immutable (a folder's later changes need a restart to show).
 */
export class Dashboard {
  private readonly cache = new Map<string, Promise<ScoredClip[]>>();
  private readonly maps = new Map<string, Promise<ClusterMap>>();
  private lane: Promise<void> = Promise.resolve();

  /**
   * @param readable Whether a file of a named folder may be read, links resolved (the server's
   *   allowed roots, `JobRunner.mayRead`); a file that links outside them is left out. Default: any.
   */
  constructor(
    private readonly registry: ModelRegistry,
    private readonly pool: EnginePool,
    private readonly readable: (path: string) => boolean = () => true,
  ) {}

  /**
   * Clips of a split of a version's own dataset (or of `dataDir`, split by the version's dataset
   * options) that it gets wrong, most confidently wrong first, then the least confident right ones;
   * `first` of them. With `trueLabel` and/or `label`, only the clips of that cell of the confusion
   * matrix (true row, predicted column). Generated silence examples are not files and are left out.
   *
   * @param options.dataDir A labelled folder (already checked against the allowed roots); default the
   *   version's training data.
   * @throws KwsError `NOT_FOUND` for an unknown version, `FILE_NOT_FOUND` when its dataset has moved,
   *   `INVALID_ARGUMENT` for a split with more than {@link MAX_DASHBOARD_CLIPS} clips.
   */
  async hardExamples(
    version: number,
    split: Split,
    first: number,
    options: {
      readonly dataDir?: string | null;
      readonly trueLabel?: Label | null;
      readonly label?: Label | null;
    } = {},
  ): Promise<ScoredClip[]> {
    const record = readServingVersion(this.registry, version);
    const dataDir = options.dataDir ?? record.manifest.training.dataDir;
    const key = `${record.version}\thard\t${split}\t${dataDir}`;
    let scored = this.cache.get(key);
    if (scored === undefined) {
      const named = options.dataDir !== undefined && options.dataDir !== null;
      scored = (async () => this.score(record.version, (await this.labelled(record, dataDir, named))[split]))();
      this.remember(key, scored);
    }
    const clips = (await scored).filter(
      (c) =>
        (options.trueLabel === undefined || options.trueLabel === null || c.trueLabel === options.trueLabel) &&
        (options.label === undefined || options.label === null || c.label === options.label),
    );
    const wrong = clips.filter((c) => c.label !== c.trueLabel).sort((a, b) => b.confidence - a.confidence);
    const right = clips.filter((c) => c.label === c.trueLabel).sort((a, b) => a.confidence - b.confidence);
    return [...wrong, ...right].slice(0, checkFirst(first));
  }

  /**
   * A 2-D map of a version's embeddings (the layer its classifier reads; see `EmbeddingLayer`) for
   * up to `perSource` clips of each split of a labelled dataset and of a test folder, projected by
   * PCA, with the version's answer for each clip. The sample is spread evenly over the sorted names,
   * so the same arguments give the same map.
   *
   * @param options.dataDir A labelled folder (checked against the allowed roots); default the
   *   version's training data when it is on this machine, else none.
   * @param options.testDir An unlabelled folder of clips (checked); default none.
   * @throws KwsError `INVALID_ARGUMENT` for a bad `perSource` or when there is nothing to map,
   *   `NOT_FOUND` for an unknown version, `FILE_NOT_FOUND` for a folder that is gone, `MALFORMED`
   *   when the version's model cannot be loaded. Folders are checked against the allowed roots by
   *   the caller (`PATH_NOT_ALLOWED`); their files that link outside them are left out (`readable`).
   */
  async clusterMap(
    version: number,
    options: { readonly dataDir?: string | null; readonly testDir?: string | null; readonly perSource: number },
  ): Promise<ClusterMap> {
    const perSource = checkPerSource(options.perSource);
    const record = readServingVersion(this.registry, version);
    const own = record.manifest.training.dataDir;
    const dataDir = options.dataDir ?? (existsSync(own) ? own : null);
    const sampled: Array<{ clip: string; path: string; trueLabel: Label | null; source: ClusterSource }> = [];
    if (dataDir !== null) {
      const splits = await this.labelled(record, dataDir, dataDir !== own);
      for (const split of ['training', 'validation', 'testing'] as const)
        sampled.push(...evenSample(splits[split], perSource, (c) => c.clip).map((c) => ({ ...c, source: split })));
    }
    if (options.testDir !== undefined && options.testDir !== null) {
      const files = await this.testFiles(options.testDir);
      sampled.push(...evenSample(files, perSource, (c) => c.clip).map((c) => ({ ...c, source: 'test' as const })));
    }
    if (sampled.length === 0)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `nothing to map: version ${record.version}'s training data (${own}) is not on this machine; name a dataDir or a testDir`,
      );
    const key = JSON.stringify([record.version, dataDir, options.testDir ?? null, perSource]);
    const cached = this.maps.get(key);
    if (cached !== undefined) return cached;
    const map = this.embedAndProject(record, sampled);
    this.maps.set(key, map);
    map.catch(() => this.maps.delete(key)); // a failure is not cached
    while (this.maps.size > 8) this.maps.delete(this.maps.keys().next().value as string);
    return map;
  }

  private async embedAndProject(
    record: ServingVersion,
    sampled: ReadonlyArray<{ clip: string; path: string; trueLabel: Label | null; source: ClusterSource }>,
  ): Promise<ClusterMap> {
    const { manifest, target } = record;
    const parts = await this.inChunks(sampled, (paths) => this.pool.embedChunk(paths, manifest.featureConfig, target));
    return this.project(record, sampled, parts);
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
      scored = (async () => this.score(record.version, await this.testFiles(dir)))();
      this.remember(key, scored);
    }
    return scored;
  }

  /** The clips of an unlabelled test folder, sorted by name. */
  private async testFiles(dir: string): Promise<Array<{ clip: string; path: string; trueLabel: null }>> {
    const files: Array<{ clip: string; path: string; trueLabel: null }> = [];
    for await (const clip of listTestClips(dir)) {
      if (!this.readable(clip.path)) continue;
      files.push({ clip: clip.fname, path: clip.path, trueLabel: null });
      if (files.length > MAX_DASHBOARD_CLIPS)
        throw new KwsError(
          'INVALID_ARGUMENT',
          `${dir} holds more than ${MAX_DASHBOARD_CLIPS} clips; score it with scoreTestSet instead`,
        );
    }
    return files.sort((x, y) => (x.clip < y.clip ? -1 : 1));
  }

  /** The word clips of each split of a labelled folder, split by the version's dataset options. */
  private async labelled(
    record: ServingVersion,
    dataDir: string,
    named: boolean,
  ): Promise<Record<Split, Array<{ clip: string; path: string; trueLabel: Label }>>> {
    if (!existsSync(dataDir))
      throw new KwsError(
        'FILE_NOT_FOUND',
        `version ${record.version} was trained on ${dataDir}, which is not on this machine: name a labelled folder (dataDir), or use lowConfidenceClips on a test folder`,
      );
    const dataset = await scanSpeechCommands(
      dataDir,
      (record.manifest.training.options['dataset'] ?? {}) as Parameters<typeof scanSpeechCommands>[1],
    );
    // A folder named in the request is checked file by file; the version's own training data is not.
    const inside = named ? this.readable : () => true;
    const words = (split: Split): Array<{ clip: string; path: string; trueLabel: Label }> =>
      dataset.examples[split].flatMap((e) =>
        e.kind === 'word' && inside(e.path) ? [{ clip: e.relativePath, path: e.path, trueLabel: e.label }] : [],
      );
    return { training: words('training'), validation: words('validation'), testing: words('testing') };
  }

  /**
   * Runs `run` over the clips' paths {@link CHUNK} at a time, one dashboard query at a time: the
   * engine threads are shared with live uploads, which then wait behind at most one chunk (about
   * 40 ms), not the whole folder.
   *
   * @returns The chunks' results in order (clip i is in result floor(i / CHUNK), row i % CHUNK).
   */
  private async inChunks<T>(
    clips: ReadonlyArray<{ readonly path: string }>,
    run: (paths: string[]) => Promise<T>,
  ): Promise<T[]> {
    const parts: T[] = [];
    const work = this.lane.then(async () => {
      for (let start = 0; start < clips.length; start += CHUNK)
        parts.push(await run(clips.slice(start, start + CHUNK).map((c) => c.path)));
    });
    this.lane = work.catch(() => undefined);
    await work;
    return parts;
  }

  /** The sampled clips that decoded, placed by PCA of their embeddings, with the version's answers. */
  private async project(
    { version, thresholds }: ServingVersion,
    sampled: ReadonlyArray<{ clip: string; path: string; trueLabel: Label | null; source: ClusterSource }>,
    parts: readonly EmbeddedChunk[],
  ): Promise<ClusterMap> {
    const dims = parts.find((p) => p.dims > 0)?.dims ?? 0;
    const kept: Array<{ index: number; part: EmbeddedChunk; j: number }> = [];
    sampled.forEach((_, index) => {
      const part = parts[Math.floor(index / CHUNK)] as EmbeddedChunk;
      const j = index % CHUNK;
      if (!part.failures.some((f) => f.index === j)) kept.push({ index, part, j });
    });
    const embeddings = new Float32Array(kept.length * dims);
    kept.forEach(({ part, j }, k) => embeddings.set(part.embeddings.subarray(j * dims, (j + 1) * dims), k * dims));
    const { x, y, explained } = await this.pool.project(embeddings, kept.length, dims);
    const points = kept.map(({ index, part, j }, k): ClusterPoint => {
      const c = sampled[index] as (typeof sampled)[number];
      const view = toPredictionView(
        {
          probabilities: part.probabilities.subarray(j * LABELS.length, (j + 1) * LABELS.length),
          rmsDbfs: part.rmsDbfs[j] as number,
          energy: part.energy[j] as number,
          shape: part.shapes[j] ?? null,
          modelVersion: version,
          latencyMs: 0,
        },
        thresholds,
      );
      return { ...c, label: view.label, confidence: view.confidence, x: x[k] as number, y: y[k] as number };
    });
    return {
      version,
      layer: parts[0]?.layer ?? 'logits',
      dimensions: dims,
      explainedVariance: explained,
      points,
      failed: sampled.length - kept.length,
    };
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
    const parts: ScoredChunk[] = await this.inChunks(clips, (paths) =>
      this.pool.scoreChunk(paths, manifest.featureConfig, model),
    );
    return clips.map((c, i) => {
      const part = parts[Math.floor(i / CHUNK)];
      const j = i % CHUNK;
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
          shape: part.shapes[j] ?? null,
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
