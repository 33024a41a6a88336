/**
 * Import rules for kws-serve (see README "Architecture" and ../shared/STYLE.md, "The shape of the code"):
 * no cycles, and imports point one way along the data path:
 *   errors, config, labels -> audio -> features -> { data, model } -> synth -> engine -> storage
 *   -> { registry, inference, training } -> { serving, jobs } -> { graphql, http, cli } -> main.ts
 * A layer may import only from its own rank or layers listed before it. `storage` sits below
 * `registry` because the registry opens SQLite through it. `synth` (the synthetic corpus) is imported
 * by `cli` only (lazily, for `kws synth`); batch/ holds the worker-thread entries, which import
 * layers through their index.ts. Run by `npm test` (`npm run depcheck`).
 */
const order = [
  ['errors', 'config', 'labels'],
  ['audio'],
  ['features'],
  ['data', 'model'],
  ['synth'],
  ['engine'],
  ['storage'],
  ['registry', 'inference', 'training'],
  ['serving', 'jobs'],
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
      comment:
        "Other layers import a layer only through its index.ts (its public face), or through <layer>/tfjs/index.ts, the TF.js half of engine, model and training: a layer's index.ts never loads TF.js, so that ONNX serving does not.",
      severity: 'error',
      from: { path: '^(src/([^/]+)/|batch/|bench/|scripts/)' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$2/', '^src/[^/]+/index\\.ts$', '^src/[^/]+/tfjs/index\\.ts$'] },
    },
    {
      name: 'synth-only-in-cli',
      comment:
        'The synthesizer (eSpeak NG, 24 MB, GPL) is for `kws synth` and scripts only; the server never loads it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(synth|cli)/' },
      to: { path: '^src/synth/' },
    },
    {
      name: 'batch-entries-are-thin',
      comment:
        'batch/ holds worker-thread entries only; src never imports them (it starts them through config/workers.ts).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^batch/' },
    },
    {
      name: 'web-is-a-browser-app',
      comment:
        'src/web holds the browser apps (dashboard, API explorer), bundled by scripts/build-web.mjs: they talk to the server over HTTP only (the labels too, from the schema), and no server code imports them.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/(?!web/)' },
    },
    {
      name: 'nothing-imports-web',
      comment: 'The server serves the built pages as files; it never imports their sources.',
      severity: 'error',
      from: { path: '^(src/(?!web/)|batch/|bench/)' },
      to: { path: '^src/web/' },
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
