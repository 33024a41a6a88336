// Builds the browser apps of src/web into dist/web (run by `npm run build`): the dashboard
// (GET /dashboard) and the offline API explorer (GET /graphql from a browser). esbuild bundles each
// app with its libraries (Observable Plot; GraphiQL and React) and CSS, so the pages request nothing
// from any other host. `node scripts/build-web.mjs [outDir]` (default dist/web).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
const apps = [
  { name: 'dashboard', entry: 'main.ts' },
  { name: 'explorer', entry: 'main.tsx' },
];
for (const app of apps) {
  const dir = join(out, app.name);
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'web', app.name, app.entry)],
    outfile: join(dir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'src', 'web', app.name, 'index.html'), join(dir, 'index.html'));
}
console.log(`web apps built into ${out}: ${apps.map((a) => a.name).join(', ')}`);
