import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { testServer } from '../helpers/server.js';

describe('a client that stops sending mid-body', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  before(async () => {
    server = await testServer({ requestTimeoutMs: 1500, waitUntilReady: false });
  });
  after(async () => {
    await server.stop();
  });

  it('is answered 408 and cut off once the request timeout passes, not held until it gives up', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = performance.now();
    // A Content-Length of 1,000 bytes, and 10 sent.
    socket.write(
      'POST /v1/clips HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n--b\r\nxxxx',
    );
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    await new Promise((resolve) => socket.once('close', resolve));
    const seconds = (performance.now() - started) / 1000;
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(
      seconds >= 1.4 && seconds < 15,
      `closed after ${seconds.toFixed(1)} s (timeout 1.5 s, checked every second)`,
    );
  });
});
