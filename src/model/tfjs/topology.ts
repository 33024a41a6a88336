/** Class names of tfjs-layers regularizers, which no layer's constraint can be. */
const REGULARIZER_CLASSES: ReadonlySet<string> = new Set(['L1L2', 'L1', 'L2']);

/** The keys under which a layer config names its depthwise kernel's constraint (`toJSON` and `getConfig` spellings). */
const DEPTHWISE_CONSTRAINT_KEYS = ['depthwise_constraint', 'depthwiseConstraint'] as const;

/**
 * Repairs, in place, a layers-model topology (`model.json`'s `modelTopology`, or
 * `LayersModel.toJSON(null, false)`) written by tfjs-layers 4.22, whose `DepthwiseConv2D.getConfig`
 * serialises the depthwise kernel's *regularizer* under `depthwise_constraint` (tensorflow/tfjs pull
 * request 8564, open): a model built with an L2 regularizer on a depthwise kernel (as
 * `matchboxnet-3x1x64` is) would load with that regularizer applied as a constraint, and its first
 * prediction fails with "shape of the new value () and previous value ... must match". Every
 * `DepthwiseConv2D` constraint whose class is a regularizer's becomes null; the regularizer itself
 * is written correctly beside it and kept. Anything else is left as it is.
 *
 * @returns The same object, for chaining.
 */
export function repairTopology<T>(topology: T): T {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (
      record['class_name'] === 'DepthwiseConv2D' &&
      typeof record['config'] === 'object' &&
      record['config'] !== null
    ) {
      const config = record['config'] as Record<string, unknown>;
      for (const key of DEPTHWISE_CONSTRAINT_KEYS) {
        const constraint = config[key] as { class_name?: unknown } | null | undefined;
        if (typeof constraint?.class_name === 'string' && REGULARIZER_CLASSES.has(constraint.class_name))
          config[key] = null;
      }
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(topology);
  return topology;
}
