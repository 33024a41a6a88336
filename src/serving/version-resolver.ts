import { describeValue, KwsError } from '../errors/index.js';
import type { ModelGeometry, ModelTarget } from '../engine/index.js';
import type { Thresholds } from '../inference/index.js';
import { restoreThresholds, versionGeometry } from '../registry/index.js';
import type { ModelRegistry, VersionManifest } from '../registry/index.js';

/**
 * How long a resolved version reference (`production`, a number) is reused before the registry is
 * read again, ms: a version promoted or made by another process serves within this time.
 */
export const RESOLVE_TTL_MS = 1000;

/** A ready model version as serving, scoring and the dashboard use it (manifests are immutable, so cacheable). */
export interface ServingVersion {
  readonly version: number;
  readonly dir: string;
  readonly manifest: VersionManifest;
  /** The calibrated thresholds stored with the version. */
  readonly thresholds: Thresholds;
  /** `[frames, bins]` features in, `classes` probabilities out. */
  readonly geometry: ModelGeometry;
  /** What the engine runs: the folder, the geometry and the version's temperature (1 when it has none). */
  readonly target: ModelTarget;
}

/**
 * Reads a ready version (number, alias, or `production` when omitted) from the registry with its
 * manifest, thresholds and model geometry.
 *
 * @throws KwsError `NOT_FOUND`, `NOT_READY`, `INVALID_ARGUMENT` as `ModelRegistry.resolve`;
 *   `MALFORMED` for a stored temperature that is not a finite number above 0.
 */
export function readServingVersion(registry: ModelRegistry, ref?: number | string | null): ServingVersion {
  const record = registry.resolve(ref ?? undefined);
  const manifest = registry.manifest(record.version);
  const geometry = versionGeometry(manifest);
  const temperature = manifest.calibration.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0 && Number.isFinite(temperature))) {
    throw new KwsError(
      'MALFORMED',
      `version ${record.version}'s calibration.temperature must be a finite number above 0, got ${describeValue(temperature)}`,
    );
  }
  const target = { modelDir: record.dir, geometry, temperature };
  return {
    version: record.version,
    dir: record.dir,
    manifest,
    thresholds: restoreThresholds(manifest.thresholds),
    geometry,
    target,
  };
}

/**
 * The serving version behind a reference, cached: `production` (or a number) is resolved against
 * the registry at most once every {@link RESOLVE_TTL_MS}, and each version's manifest is read once
 * (versions are immutable). A version promoted by another process serves within the TTL; after a
 * promotion in this process, {@link refresh} makes the next call read the aliases again.
 */
export class VersionResolver {
  private readonly versions = new Map<number, ServingVersion>();
  private readonly resolved = new Map<number | 'production', { serving: ServingVersion; until: number }>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly ttlMs = RESOLVE_TTL_MS,
  ) {}

  /**
   * A ready version by number, or `production` when `ref` is omitted.
   *
   * @throws KwsError `NOT_FOUND`, `NOT_READY`, `INVALID_ARGUMENT` as `ModelRegistry.resolve`.
   */
  resolve(ref?: number | null): ServingVersion {
    const key = ref ?? 'production';
    const now = performance.now();
    const hit = this.resolved.get(key);
    if (hit !== undefined && hit.until > now) return hit.serving;
    const record = this.registry.resolve(ref ?? undefined);
    let serving = this.versions.get(record.version);
    if (serving === undefined) {
      serving = readServingVersion(this.registry, record.version);
      this.versions.set(record.version, serving);
    }
    this.resolved.set(key, { serving, until: now + this.ttlMs });
    return serving;
  }

  /** Forgets resolved references (not the immutable manifests), so the next call reads aliases again. */
  refresh(): void {
    this.resolved.clear();
  }
}
