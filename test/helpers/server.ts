import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/http/index.js';
import type { RunningServer, ServerOptions } from '../../src/http/index.js';

export { BUNDLED_MODELS, modelRepository } from './models.js';

/** A server on a free port over a fresh data folder; `stop` closes it and removes its folders. */
export async function testServer(
  options: Partial<ServerOptions> = {},
): Promise<RunningServer & { dataDir: string; stop: () => Promise<void> }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kws-serve-'));
  const server = await startServer({
    port: 0,
    logLevel: 'silent',
    // Default repository: <dataDir>/models, the bundled versions readable from it; its aliases are this server's own.
    engine: { threads: 2 },
    ...options,
    dataDir,
  });
  return {
    ...server,
    dataDir,
    stop: async () => {
      await server.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A multipart body with `files` in the field `clip` (or `field`). */
export function clipForm(files: ReadonlyArray<{ name: string; bytes: Uint8Array }>, field = 'clip'): FormData {
  const form = new FormData();
  for (const file of files) form.append(field, new Blob([file.bytes]), file.name);
  return form;
}

/** Posts a GraphQL operation as JSON; returns the parsed body. */
export async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
}

/** The value of a Prometheus counter or gauge line (`name{labels} value`), 0 when absent. */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/**
 * Posts a GraphQL operation with file uploads (the GraphQL multipart request spec: `operations`,
 * `map`, one part per file) whose variable `files` lists them, with Apollo's CSRF preflight header;
 * returns the parsed body.
 */
export async function graphqlUpload(
  url: string,
  query: string,
  files: ReadonlyArray<{ name: string; bytes: Uint8Array }>,
): Promise<{ data?: Record<string, unknown> | null; errors?: Array<{ message: string }> }> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { files: files.map(() => null) } }));
  form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
  files.forEach((file, i) => form.append(String(i), new Blob([file.bytes]), file.name));
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    body: form,
    headers: { 'Apollo-Require-Preflight': 'true' },
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
}
