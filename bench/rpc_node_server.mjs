// The reference a user would pick instead of tandem: a node JSON-RPC 2.0
// server built on npm's ws + json-rpc-2.0 (installed in tests/node by
// scripts/setup), serving `add` on ws://127.0.0.1:PORT/rpc. Prints the URL
// once listening, like `rpc_session_demo serve`.
//
//   node bench/rpc_node_server.mjs [port]

import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/node/package.json', import.meta.url));
const { JSONRPCServer } = require('json-rpc-2.0');
const { WebSocketServer } = require('ws');

const server = new JSONRPCServer();
server.addMethod('add', ([a, b]) => a + b);

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), path: '/rpc' });
wss.on('connection', (socket) => {
  socket.on('message', async (data) => {
    const response = await server.receive(JSON.parse(data.toString()));
    if (response) socket.send(JSON.stringify(response));
  });
});
wss.on('listening', () => {
  console.log(`ws://127.0.0.1:${wss.address().port}/rpc`);
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
