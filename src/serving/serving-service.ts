import { averageViews, DEFAULT_TTA } from '../engine/index.js';
import type { EnginePool, PreparedClip, TtaSpec } from '../engine/index.js';
import { KwsError, toSerializedError } from '../errors/index.js';
import { DEFAULT_FEATURE_CONFIG, featureShape } from '../features/index.js';
import type { ErrorCode } from '../errors/index.js';
import { decide, DynamicBatcher, validateThresholds } from '../inference/index.js';
import type { BatcherOptions, BatchReport, Thresholds, UnknownScore } from '../inference/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { sanitizeFilename } from '../storage/index.js';
import type { ClipRecord, ClipStore, StoredPrediction } from '../storage/index.js';
import { toPredictionView } from './prediction-view.js';
import type { ClipScores, PredictionView } from './prediction-view.js';
import { VersionResolver } from './version-resolver.js';
import type { ServingVersion } from './version-resolver.js';

/** Options of the {@link ServingService}. */
export interface ServingOptions {
  /** The dynamic batcher's options (max batch size, max queue delay, queue length, timeout). Default: `DEFAULT_BATCHER_OPTIONS`. */
  readonly batcher: Partial<BatcherOptions>;
  /** Longest audio accepted, ms. Default 10000. */
  readonly maxDurationMs: number;
  /** Called after every inference batch (metrics). Default: none. */
  readonly onBatch: (report: BatchReport) => void;
  /** Called with every answer to an upload, REST or GraphQL (metrics: answers by label and reason). Default: none. */
  readonly onAnswer: (view: PredictionView) => void;
  /**
   * Keep uploaded clips (files and rows, with their predictions). Default true; false for a
   * stateless serving replica (`kws serve --stateless`): uploads are answered and forgotten.
   */
  readonly storeClips: boolean;
}

/** Threshold overrides a request may carry; omitted fields use the version's calibrated values. */
export interface ThresholdOverrides {
  readonly unknownThreshold?: number | null;
  readonly silenceThresholdDbfs?: number | null;
  /** Which score decides `unknown` (default: the version's calibrated choice). */
  readonly unknownScore?: UnknownScore | null;
  /** Energy score above which a clip is `unknown`, with `unknownScore: 'energy'`. */
  readonly unknownEnergyThreshold?: number | null;
  /** false: the non-speech rule does not apply (default: it does). */
  readonly nonSpeechRule?: boolean | null;
}

/** One clip's model output: `[classes]` softmax probabilities and its energy score (NaN when none). */
export interface ClipOutput {
  readonly probabilities: Float32Array;
  readonly energy: number;
  /** For a model of every word, the index of its most probable word in the version's vocabulary. */
  readonly topWord?: number;
}

/** One file of an upload: stored and classified, or refused with a code. */
export type UploadOutcome =
  | {
      readonly ok: true;
      /** The stored clip; null on a stateless replica, which stores nothing. */
      readonly clip: ClipRecord | null;
      readonly prediction: PredictionView;
    }
  | { readonly ok: false; readonly filename: string; readonly code: ErrorCode; readonly message: string };

/** Whether the service can answer predictions now. */
export interface Readiness {
  readonly ready: boolean;
  /** The version `production` names, when one is ready. */
  readonly version: number | null;
  /** The runtime it was warmed on, e.g. `onnxruntime-node cpu`. */
  readonly provider: string | null;
  /** Why it is not ready. */
  readonly reason: string | null;
}

/** A log-mel spectrogram for display (see {@link ServingService.spectrogram}). */
export interface Spectrogram {
  readonly frames: number;
  readonly melBins: number;
  /** Hop length, ms. */
  readonly hopMs: number;
  /** The clip's duration before it was fitted to 1 s, ms. */
  readonly durationMs: number;
  /** `[frames, melBins]` log mel energies (natural log), row-major, rounded to 0.01. */
  readonly values: readonly number[];
}

/**
 * The serving core: stores uploaded clips, computes features off the event loop (the engine pool),
 * sends them through the process-wide {@link DynamicBatcher} keyed by model version, applies the
 * unknown/silence thresholds and caches each (clip, version) model output in the clip store.
 * Which version serves is read from the registry through a {@link VersionResolver}, so promoting a version drops nothing:
 * requests already queued finish on the version they were queued for.
 */
export class ServingService {
  readonly batcher: DynamicBatcher<Float32Array, ClipOutput>;
  private readonly options: ServingOptions;
  private readonly resolver: VersionResolver;
  private state: Readiness = { ready: false, version: null, provider: null, reason: 'starting' };
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly registry: ModelRegistry,
    readonly store: ClipStore,
    private readonly pool: EnginePool,
    options: Partial<ServingOptions> = {},
  ) {
    this.options = {
      batcher: {},
      maxDurationMs: 10_000,
      onBatch: () => undefined,
      onAnswer: () => undefined,
      storeClips: true,
      ...options,
    };
    this.resolver = new VersionResolver(registry);
    this.batcher = new DynamicBatcher(
      (key, items) => this.runBatch(Number(key), items),
      this.options.batcher,
      undefined,
      this.options.onBatch,
    );
  }

  /**
   * The log-mel spectrogram of a clip for display (the dashboard): the product's default front end
   * (40 mel bins, 25 ms Hann windows every 10 ms, 20-7,600 Hz, natural-log energies; see
   * `DEFAULT_FEATURE_CONFIG`) of the clip fitted to 1 s, computed in an engine thread.
   *
   * @throws AudioDecodeError for bytes that are not usable audio.
   */
  async spectrogram(bytes: Uint8Array): Promise<Spectrogram> {
    const config = DEFAULT_FEATURE_CONFIG;
    const { features, durationMs } = await this.pool.prepare(bytes, config, {
      maxDurationMs: this.options.maxDurationMs,
    });
    const { frames, bins } = featureShape(config);
    return {
      frames,
      melBins: bins,
      hopMs: (config.hopSamples / config.sampleRateHz) * 1000,
      durationMs,
      values: Array.from(features, (v) => Math.round(v * 100) / 100),
    };
  }

  /** Loads and warms the production version on every engine thread; readiness follows. */
  async start(): Promise<Readiness> {
    try {
      const serving = this.version();
      const provider = await this.pool.warmUp(serving.dir, serving.geometry);
      this.state = { ready: true, version: serving.version, provider, reason: null };
    } catch (error) {
      this.state = { ready: false, version: null, provider: null, reason: toSerializedError(error).message };
    }
    return this.state;
  }

  /**
   * Readiness for `/readyz`. Once ready, `version` is the one `production` names now, as requests
   * resolve it (re-read at most every `RESOLVE_TTL_MS`): a version promoted by another process (a
   * replica's peer, `kws models promote`) shows here, and serves, within that delay.
   */
  readiness(): Readiness {
    if (!this.state.ready) return this.state;
    try {
      const version = this.version().version;
      if (version !== this.state.version) this.state = { ...this.state, version };
    } catch {
      // production unreadable for a moment (being promoted): keep what was last served
    }
    return this.state;
  }

  /** Marks the service not ready (`/readyz` 503) while requests in flight drain; inference still runs. */
  drain(): void {
    this.state = { ...this.state, ready: false, reason: 'shutting down' };
  }

  /** Refuses new inference and fails what is still queued with `NOT_READY` (shutdown). */
  stop(): void {
    this.drain();
    this.batcher.close();
  }

  /**
   * A ready version by number, or `production` when omitted (see {@link VersionResolver}).
   *
   * @throws KwsError `NOT_FOUND`, `NOT_READY`, `INVALID_ARGUMENT` as `ModelRegistry.resolve`.
   */
  version(ref?: number | null): ServingVersion {
    return this.resolver.resolve(ref);
  }

  /**
   * Promotes a ready version to an alias (default `production`) without dropping a request: the
   * version is loaded and warmed on every engine thread first, then the alias moves; clips already
   * queued finish on the version they were queued for. Rollback is promoting an older version.
   *
   * @throws KwsError `NOT_FOUND`, `INVALID_ARGUMENT` (not ready, bad alias), `MALFORMED` (model does not load).
   */
  async promote(version: number, alias = 'production'): Promise<void> {
    const serving = this.version(version);
    const provider = await this.pool.warmUp(serving.dir, serving.geometry);
    this.registry.setAlias(alias, version);
    this.refreshVersions();
    if (alias === 'production') this.state = { ready: true, version, provider, reason: null };
  }

  /**
   * Removes an alias other than `production` (see `ModelRegistry.removeAlias`).
   *
   * @returns The version it named.
   * @throws KwsError `NOT_FOUND` for an unknown alias, `INVALID_ARGUMENT` for `production`.
   */
  removeAlias(alias: string): number {
    const version = this.registry.removeAlias(alias);
    this.refreshVersions();
    return version;
  }

  /** Archives a ready version that no alias names (see `ModelRegistry.archive`). */
  archive(version: number): void {
    this.registry.archive(version);
    this.refreshVersions();
  }

  /** Forgets resolved references, so that the next request reads aliases and states again (after a promotion). */
  refreshVersions(): void {
    this.resolver.refresh();
  }

  /**
   * The thresholds a request runs with: the version's calibrated ones, overridden field by field.
   *
   * @throws KwsError `INVALID_ARGUMENT` for an unknown threshold outside [0, 1], a silence threshold
   *   above 0 dBFS, an energy threshold that is not finite, or the energy rule without a threshold.
   */
  thresholds(version: number | ServingVersion, overrides: ThresholdOverrides = {}): Thresholds {
    const base = (typeof version === 'number' ? this.version(version) : version).thresholds;
    const energy = overrides.unknownEnergyThreshold;
    if (energy !== undefined && energy !== null && !Number.isFinite(energy))
      throw new KwsError(
        'INVALID_ARGUMENT',
        `unknownEnergyThreshold must be a finite energy score, got ${String(energy)}`,
      );
    return validateThresholds({
      unknownThreshold: overrides.unknownThreshold ?? base.unknownThreshold,
      silenceThresholdDbfs: overrides.silenceThresholdDbfs ?? base.silenceThresholdDbfs,
      unknownScore: overrides.unknownScore ?? base.unknownScore ?? 'maxSoftmax',
      unknownEnergyThreshold:
        overrides.unknownEnergyThreshold ?? base.unknownEnergyThreshold ?? Number.POSITIVE_INFINITY,
      nonSpeechRule: overrides.nonSpeechRule ?? base.nonSpeechRule ?? true,
    });
  }

  /**
   * Decodes, stores and classifies one uploaded file. Bad audio is refused with its code and not
   * stored; so is a file that cannot be written (`FILE_UNWRITABLE`): both come back as an outcome
   * with `ok: false`, not thrown.
   *
   * @throws KwsError `INVALID_ARGUMENT` for a bad version or thresholds, `OVERLOADED`, `TIMEOUT`,
   *   `NOT_READY` (the clip's file is removed again).
   */
  async classifyUpload(
    bytes: Uint8Array,
    filename: string | undefined,
    request: {
      readonly modelVersion?: number | null;
      readonly thresholds?: ThresholdOverrides;
      /** The API key uploading it (its owner); null or absent for a server without keys. */
      readonly ownerKeyId?: number | null;
      /**
       * Test-time augmentation: the answer averages the clip and its `DEFAULT_TTA` views (each
       * batched like any clip); false: none; absent or null: the version's own (`kws calibrate
       * --tta`). The stored prediction is the version's own answer (the clip alone, or the mean of
       * the version's views).
       */
      readonly tta?: boolean | null;
    } = {},
  ): Promise<UploadOutcome> {
    return this.track(() => this.classifyUploadNow(bytes, filename, request));
  }

  /**
   * Resolves when no upload or prediction is being computed, or after `timeoutMs` (shutdown waits on
   * it before the engine threads stop, so work already accepted finishes).
   */
  async idle(timeoutMs = 10_000): Promise<void> {
    if (this.active === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work();
    } finally {
      if (--this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async classifyUploadNow(
    bytes: Uint8Array,
    filename: string | undefined,
    request: {
      readonly modelVersion?: number | null;
      readonly thresholds?: ThresholdOverrides;
      readonly ownerKeyId?: number | null;
      readonly tta?: boolean | null;
    },
  ): Promise<UploadOutcome> {
    const started = performance.now();
    const serving = this.version(request.modelVersion);
    const thresholds = this.thresholds(serving, request.thresholds);
    const name = sanitizeFilename(filename);
    // Absent: the version's own TTA (kws calibrate --tta); true: DEFAULT_TTA; false: none.
    const versionTta = serving.manifest.tta ?? null;
    const tta = request.tta === false ? null : request.tta === true ? (versionTta ?? DEFAULT_TTA) : versionTta;
    // The views computed: the answer's, or the version's own (its stored prediction is the mean of those).
    const views = tta ?? versionTta;
    let prepared: PreparedClip;
    try {
      // The worker thread also writes the bytes (only if they decode): file creation stays off the event loop.
      prepared = await this.pool.prepare(bytes, serving.manifest.featureConfig, {
        maxDurationMs: this.options.maxDurationMs,
        ...(this.options.storeClips ? { saveAs: this.store.newFileTarget() } : {}),
        tta: views,
      });
    } catch (error) {
      const { code, message } = toSerializedError(error);
      if (code === 'INTERNAL') throw error;
      return { ok: false, filename: name, code, message };
    }
    const saved = prepared.saved;
    if (saved === null && this.options.storeClips)
      throw new KwsError('INTERNAL', 'the engine did not write the uploaded clip');
    let output: StoredPrediction;
    let answered: ClipOutput;
    let clip: ClipRecord | null = null;
    try {
      // With TTA, the clip's views join the batcher's queue beside it and other requests' clips.
      const outputs = await Promise.all(
        [prepared.features, ...prepared.views].map((features) =>
          this.batcher.submit(String(serving.version), features),
        ),
      );
      const plain = outputs[0]!;
      const mean = views === null ? plain : averageClipOutputs(outputs, serving.geometry.classes);
      // What is stored is the version's own answer: the mean of its views for a version calibrated with TTA.
      output = this.record(0, serving, versionTta === null ? plain : mean, prepared, performance.now() - started);
      answered = tta === null ? plain : mean;
      if (saved !== null)
        clip = await this.store.insert(
          saved.file,
          bytes.length,
          {
            filename: name,
            sha256: saved.sha256,
            container: prepared.container,
            codec: prepared.codec,
            sourceSampleRateHz: prepared.sourceSampleRateHz,
            durationMs: prepared.durationMs,
            ownerKeyId: request.ownerKeyId ?? null,
          },
          output,
        );
    } catch (error) {
      if (saved !== null) this.store.discardFile(saved.file); // refused (OVERLOADED, TIMEOUT, NOT_READY) or not recorded: nothing names it
      throw error;
    }
    const prediction = {
      ...output,
      clipId: clip?.id ?? 0,
      probabilities: Array.from(answered.probabilities),
      energy: answered.energy,
      tta,
    };
    const view = this.view(prediction, thresholds);
    this.options.onAnswer(view);
    return { ok: true, clip, prediction: view };
  }

  /**
   * Model outputs for (clip, version) pairs, from the store or computed in one batched pass for the
   * missing ones and those stored without a signal shape (the DataLoader batch function). One
   * result or error per key, in order.
   */
  async predictions(
    keys: ReadonlyArray<{ readonly clipId: number; readonly modelVersion: number }>,
  ): Promise<Array<StoredPrediction | Error>> {
    const cached = this.store.predictions(keys);
    // A row stored before signal shapes were kept is computed again, so that the non-speech rule
    // applies to it as to a new upload (once: the new row replaces it).
    const missing = keys.flatMap((key, i) => {
      const row = cached[i];
      return row === null || row === undefined || row.shape === null || row.shape === undefined ? [{ key, i }] : [];
    });
    // The cache write is part of the tracked work: shutdown waits for it (see idle()).
    const computed = await this.track(async () => {
      const outputs = await this.computeAll(missing.map((m) => m.key));
      this.store.savePredictions(outputs.filter((c): c is StoredPrediction => !(c instanceof Error)));
      return outputs;
    });
    const results: Array<StoredPrediction | Error> = keys.map((_, i) => cached[i] as StoredPrediction);
    missing.forEach((m, k) => (results[m.i] = computed[k] as StoredPrediction | Error));
    return results;
  }

  /**
   * Model outputs for clips that have none stored: every clip's features are computed first (in the
   * engine threads, in parallel), then all of them are submitted to the batcher in one turn of the
   * event loop, so that one query's clips share inference batches however the feature work is
   * scheduled. One result or error per key, in order. `latencyMs` is the query's: from the call to
   * the clip's model output.
   */
  private async computeAll(
    keys: ReadonlyArray<{ readonly clipId: number; readonly modelVersion: number }>,
  ): Promise<Array<StoredPrediction | Error>> {
    const started = performance.now();
    const asError = (error: unknown): Error =>
      error instanceof Error ? error : new KwsError('INTERNAL', String(error));
    const prepared = await Promise.all(
      keys.map(async (key) => {
        try {
          const serving = this.version(key.modelVersion);
          const clip = await this.pool.prepare(await this.store.bytes(key.clipId), serving.manifest.featureConfig, {
            maxDurationMs: this.options.maxDurationMs,
            tta: serving.manifest.tta ?? null,
          });
          return { clipId: key.clipId, serving, clip };
        } catch (error) {
          return asError(error);
        }
      }),
    );
    return Promise.all(
      prepared.map(async (p) => {
        if (p instanceof Error) return p;
        try {
          // A version calibrated with TTA answers the mean of its views.
          const outputs = await Promise.all(
            [p.clip.features, ...p.clip.views].map((f) => this.batcher.submit(String(p.serving.version), f)),
          );
          const output = outputs.length === 1 ? outputs[0]! : averageClipOutputs(outputs, p.serving.geometry.classes);
          return this.record(p.clipId, p.serving, output, p.clip, performance.now() - started);
        } catch (error) {
          return asError(error);
        }
      }),
    );
  }

  private record(
    clipId: number,
    serving: ServingVersion,
    output: ClipOutput,
    { rmsDbfs, shape }: Pick<PreparedClip, 'rmsDbfs' | 'shape'>,
    latencyMs: number,
  ): StoredPrediction {
    const label = decide(output.probabilities, rmsDbfs, serving.thresholds, 0, output.energy, shape).label;
    const vocabulary = serving.manifest.words?.vocabulary;
    return {
      clipId,
      modelVersion: serving.version,
      probabilities: Array.from(output.probabilities),
      rmsDbfs,
      shape,
      energy: output.energy,
      label,
      latencyMs,
      ...(vocabulary === undefined || output.topWord === undefined
        ? {}
        : { topWord: vocabulary[output.topWord] ?? null }),
    };
  }

  /**
   * Applies thresholds to a stored model output (see {@link toPredictionView}). A stored prediction
   * without `tta` of a version calibrated with TTA is that version's mean of views, and says so.
   */
  view(stored: StoredPrediction & Pick<ClipScores, 'tta'>, thresholds: Thresholds): PredictionView {
    if (stored.tta === undefined) {
      const own = this.versionTtaOf(stored.modelVersion);
      if (own !== null) return toPredictionView({ ...stored, tta: own }, thresholds);
    }
    return toPredictionView(stored, thresholds);
  }
  /** A version's own TTA, or null (also for a version that no longer resolves). */
  private versionTtaOf(version: number): TtaSpec | null {
    try {
      return this.version(version).manifest.tta ?? null;
    } catch {
      return null;
    }
  }

  /** The batcher's runner: one engine call for a batch of one version's features. */
  private async runBatch(version: number, items: readonly Float32Array[]): Promise<ClipOutput[]> {
    const serving = this.version(version);
    const { frames, bins, classes } = serving.geometry;
    const size = frames * bins;
    const features = new Float32Array(items.length * size);
    items.forEach((item, i) => features.set(item, i * size));
    const out = await this.pool.infer(serving.target, features, items.length, true);
    return items.map((_, i) => ({
      probabilities: out.probabilities.slice(i * classes, (i + 1) * classes),
      energy: out.energy[i] as number,
      ...(out.topWord === undefined ? {} : { topWord: out.topWord[i] as number }),
    }));
  }
}

/** The mean of one clip's views' outputs (see `averageViews`). */
function averageClipOutputs(outputs: readonly ClipOutput[], classes: number): ClipOutput {
  const probabilities = new Float32Array(outputs.length * classes);
  outputs.forEach((o, v) => probabilities.set(o.probabilities, v * classes));
  const mean = averageViews(
    { probabilities, energy: Float32Array.from(outputs, (o) => o.energy), logits: null },
    outputs.length,
    classes,
  );
  const first = outputs[0];
  return {
    probabilities: mean.probabilities,
    energy: mean.energy[0] as number,
    ...(first?.topWord === undefined ? {} : { topWord: first.topWord }),
  };
}
