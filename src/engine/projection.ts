import { PCA } from 'ml-pca';

/**
 * Projects `[n, dims]` embeddings to their first two principal components (PCA, centred, not
 * scaled; ml-pca, by the eigenvectors of the `[dims, dims]` covariance matrix: O(n·dims² + dims³)). Fewer than two clips, or one dimension, give zeros on the missing axes.
 *
 * @returns `[n]` x and y, and the share of variance each axis explains.
 */
export function projectToPlane(
  embeddings: Float32Array,
  n: number,
  dims: number,
): { x: Float64Array; y: Float64Array; explained: [number, number] } {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  if (n < 2 || dims < 1) return { x, y, explained: [0, 0] };
  const rows = Array.from({ length: n }, (_, i) => Array.from(embeddings.subarray(i * dims, (i + 1) * dims)));
  const pca = new PCA(rows, { center: true, scale: false, method: 'covarianceMatrix' });
  const components = Math.min(2, dims, n);
  const projected = pca.predict(rows, { nComponents: components });
  for (let i = 0; i < n; i++) {
    x[i] = projected.get(i, 0);
    if (components > 1) y[i] = projected.get(i, 1);
  }
  const variance = pca.getExplainedVariance();
  return { x, y, explained: [variance[0] ?? 0, components > 1 ? (variance[1] ?? 0) : 0] };
}
