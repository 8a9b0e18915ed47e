// An unmodified third-party JSON-RPC 2.0 client (npm's json-rpc-2.0 over npm's
// ws) calling rpc_session_demo's server: add, echo, delay, fail, and what a
// client gets wrong (unknown method, bad params). Starts the server itself on
// an ephemeral port, reads the URL it prints, stops it with SIGTERM and
// checks that it exits cleanly.
//
//   node third_party_client.mjs <path to rpc_session_demo>

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { JSONRPCClient } from 'json-rpc-2.0';
import WebSocket from 'ws';

const demo = process.argv[2];
if (!demo) {
  console.error('usage: node third_party_client.mjs <rpc_session_demo>');
  process.exit(2);
}

const server = spawn(demo, ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const serverExit = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
const killer = setTimeout(() => {
  console.error('FAILED: timed out');
  server.kill('SIGKILL');
  process.exit(1);
}, 30000);

const url = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: server.stdout });
  lines.on('line', (line) => {
    if (line.startsWith('ws://')) resolve(line.trim());
  });
  server.on('exit', () => reject(new Error('server exited before printing its URL')));
});
console.log(`server: ${url}`);

const ws = new WebSocket(url);
await new Promise((resolve, reject) => {
  ws.once('open', resolve);
  ws.once('error', reject);
});

const client = new JSONRPCClient((request) => {
  ws.send(JSON.stringify(request));
});
ws.on('message', (data) => client.receive(JSON.parse(data.toString())));
ws.on('close', () => client.rejectAllPendingRequests('connection closed'));

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

let checks = 0;
function check(what, fn) {
  return Promise.resolve(fn()).then(() => {
    checks += 1;
    console.log(`ok ${what}`);
  });
}

await check('add positional', async () => assert.equal(await client.request('add', [2, 3]), 5));
await check('add named', async () => assert.equal(await client.request('add', { a: 1.5, b: 2.25 }), 3.75));
await check('echo object', async () => {
  const p = { hello: 'tandem', nested: { list: [1, 'two', null, true] }, unicode: 'žluťoučký 🦀' };
  assert.deepEqual(await client.request('echo', p), p);
});
await check('echo array', async () => assert.deepEqual(await client.request('echo', [1, [2, [3]]]), [1, [2, [3]]]));
await check('delay', async () => {
  const t0 = Date.now();
  assert.equal(await client.request('delay', { ms: 100, value: 'later' }), 'later');
  assert.ok(Date.now() - t0 >= 90, 'delay answered too early');
});
await check('concurrent delays', async () => {
  const t0 = Date.now();
  const values = await Promise.all(Array.from({ length: 100 }, (_, i) => client.request('delay', { ms: 200, value: i })));
  assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => i));
  assert.ok(Date.now() - t0 < 1000, `100 concurrent 200 ms delays took ${Date.now() - t0} ms`);
});
await check('fail', async () => {
  const e = await rejection(client.request('fail'));
  assert.ok(e.code <= -32000 && e.code >= -32099, `code ${e.code}`);
  assert.match(e.message, /fails/);
});
await check('unknown method', async () => assert.equal((await rejection(client.request('nope', []))).code, -32601));
await check('bad params', async () => assert.equal((await rejection(client.request('add', ['x', 1]))).code, -32602));
await check('notification', async () => {
  client.notify('add', [1, 2]); // no answer may come back for it
  assert.equal(await client.request('add', [40, 2]), 42);
});

ws.close();
server.kill('SIGTERM');
const { code, signal } = await serverExit;
clearTimeout(killer);
assert.equal(signal, null, `server died of ${signal}`);
assert.equal(code, 0, `server exit code ${code}`);
console.log(`PASSED: ${checks} checks; server stopped cleanly`);
