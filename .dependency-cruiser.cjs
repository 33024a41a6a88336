/**
 * Import rules for kws-serve (see ../shared/STYLE.md, "The shape of the code"):
 * no cycles, and imports point one way along the data path:
 *   errors, config -> audio -> features -> { data, model } -> engine -> { registry, inference, training }
 *   -> jobs -> { graphql, http, cli } -> main.ts
 * A layer may import only from its own rank or layers listed before it. Run by `npm test` (`npm run depcheck`).
 */
const order = [
  ['errors', 'config'],
  ['audio'],
  ['features'],
  ['data', 'model'],
  ['engine'],
  ['registry', 'inference', 'training'],
  ['jobs'],
  ['graphql', 'http', 'cli'],
];

/** For each layer, a rule forbidding imports from any layer of a later rank (siblings may import each other; cycles are caught below). */
const layerRules = order.flatMap((group, rank) =>
  group.map((layer) => {
    const forbidden = order.slice(rank + 1).flat();
    return {
      name: `layer-${layer}`,
      comment: `src/${layer} may import only from layers before it on the data path, not from ${[...forbidden, 'main.ts'].join(', ')}.`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: forbidden.length > 0 ? `^src/((${forbidden.join('|')})/|main\\.ts$)` : '^src/main\\.ts$' },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Circular imports hide the data path and break worker-thread entry points.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-deep-imports-across-layers',
      comment: 'Other layers import a layer only through its index.ts (its public face).',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
