// CI smoke check of the README's main command: `npm start` serves the bundled model; upload a real
// clip over HTTP, query it in GraphQL, then stop the server with SIGTERM. Exits non-zero on failure.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const clipPath = process.argv[2];
const port = process.env.PORT ?? '4000';
const url = `http://127.0.0.1:${port}`;
const server = spawn('npm', ['start', '--', '--port', port, '--log-level', 'warn'], {
  stdio: 'inherit',
  detached: true,
});
const stop = () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
};
try {
  let ready = false;
  for (let i = 0; i < 120 && !ready; i++) {
    ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 500));
  }
  if (!ready) throw new Error('the server was not ready within 60 s');
  const form = new FormData();
  form.append('clip', new Blob([readFileSync(clipPath)]), clipPath.split('/').pop());
  const upload = await (await fetch(`${url}/v1/clips`, { method: 'POST', body: form })).json();
  const id = upload.clips[0].id;
  const query = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ clip(id: "${id}") { filename prediction { label confidence modelVersion } } }` }),
  });
  const answer = await query.json();
  console.log(JSON.stringify(answer));
  if (answer.data?.clip?.prediction?.label === undefined) throw new Error('no prediction in the GraphQL answer');
} finally {
  stop();
}
