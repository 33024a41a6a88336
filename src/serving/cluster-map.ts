import type { EmbeddingLayer } from '../engine/index.js';
import { KwsError } from '../errors/index.js';
import type { Label } from '../labels/index.js';

/** Where a clip of a cluster map comes from: a split of a labelled dataset, or an unlabelled test folder. */
export type ClusterSource = 'training' | 'validation' | 'testing' | 'test';

/** One clip of a cluster map: its place in 2-D and what the version answered. */
export interface ClusterPoint {
  readonly clip: string;
  readonly path: string;
  readonly source: ClusterSource;
  /** The dataset's label; null in a test folder. */
  readonly trueLabel: Label | null;
  readonly label: Label;
  /** Max-softmax probability. */
  readonly confidence: number;
  /** First two principal components of the embedding. */
  readonly x: number;
  readonly y: number;
}

/** A 2-D map of a version's embeddings for a sample of clips (the dashboard's Clusters view). */
export interface ClusterMap {
  readonly version: number;
  readonly layer: EmbeddingLayer;
  /** Dimensions of the embedding before projection. */
  readonly dimensions: number;
  /** Share of the embeddings' variance each of the two axes explains, fractions. */
  readonly explainedVariance: readonly [number, number];
  readonly points: readonly ClusterPoint[];
  /** Sampled clips that did not decode (left off the map). */
  readonly failed: number;
}

/** Most clips a cluster map samples from each source. */
export const MAX_CLUSTER_PER_SOURCE = 500;

/**
 * `count` items spread evenly over `items` sorted by `key` (every k-th): the same sample on every
 * call, whatever order the folder listed them in.
 */
export function evenSample<T>(items: readonly T[], count: number, key: (item: T) => string): T[] {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (sorted.length <= count) return sorted;
  return Array.from({ length: count }, (_, i) => sorted[Math.floor((i * sorted.length) / count)] as T);
}

/**
 * Checks the sample size of a cluster map.
 *
 * @throws KwsError `INVALID_ARGUMENT` unless 1 to {@link MAX_CLUSTER_PER_SOURCE}.
 */
export function checkPerSource(perSource: number): number {
  if (!Number.isInteger(perSource) || perSource < 1 || perSource > MAX_CLUSTER_PER_SOURCE)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `perSource must be an integer from 1 to ${MAX_CLUSTER_PER_SOURCE}, got ${String(perSource)}`,
    );
  return perSource;
}
