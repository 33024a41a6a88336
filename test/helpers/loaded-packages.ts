import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from './signals.js';

/**
 * The npm packages a fresh Node process loads when it runs `script` as an ES module (on its main
 * thread, and in the worker threads it starts, which inherit the hook): every URL the module resolver
 * hands out is recorded by a `module.register` resolve hook, and reduced to its package name
 * (`@scope/name` or `name`). `script` may import project files by absolute file URL.
 */
export function packagesLoadedBy(script: string): string[] {
  const dir = tempDir('kws-loaded-');
  const log = join(dir, 'resolved.txt');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
  );
  writeFileSync(log, '');
  // A module file rather than `--input-type=module -e`: worker threads inherit the process's flags,
  // and with `--input-type` among them a worker cannot load its own entry file.
  writeFileSync(join(dir, 'probe.mjs'), script);
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--import', 'tsx', join(dir, 'probe.mjs')],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) throw new Error(`the probe exited with ${String(result.status)}: ${result.stderr}`);
  const resolved = readFileSync(log, 'utf8').split('\n');
  const names = new Set<string>();
  for (const url of resolved) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}
