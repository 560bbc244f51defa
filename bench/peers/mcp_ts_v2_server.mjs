// The 2026-07-28 reference server of the mcp bench section: an McpServer from the MCP TypeScript
// SDK v2 (@modelcontextprotocol/server, pinned in package-lock.json) with the same `echo` tool as
// `bedrock-mcp mcp-server everything` (returns "Echo: <message>"), served over Streamable HTTP the
// way the SDK documents for Node: `createMcpHandler(factory)` (stateless: the factory builds a
// server per request, 2026-07-28 and the 2025-era stateless fallback on one endpoint) wrapped with
// `toNodeHandler` from @modelcontextprotocol/node on plain node:http (no framework, so the figures
// are the SDK's own), at /mcp on 127.0.0.1.
//
//   node bench/peers/mcp_ts_v2_server.mjs [--port 0]
//
// Once bound it prints `listening url=http://127.0.0.1:<port>/mcp` on stderr, as our server does.
// GET /__stats answers {"posts": N, "legacy_posts": M}: POSTs without the Mcp-Method header that
// every 2026-07-28 request carries; the bench checks that a 2026-07-28 run sent none.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

function factory() {
  const server = new McpServer({ name: 'ts-sdk-v2-bench-server', version: '1.0.0' });
  server.registerTool('echo', {
    description: 'Echoes back the message it is given',
    inputSchema: z.object({ message: z.string().describe('Message to echo') }),
  }, async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }));
  return server;
}

const handler = createMcpHandler(factory);
const serveMcp = toNodeHandler(handler);
const stats = { posts: 0, legacy_posts: 0 };

const httpServer = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (!req.url.startsWith('/mcp')) {
    res.writeHead(404).end();
    return;
  }
  if (req.method === 'POST') {
    stats.posts++;
    if (req.headers['mcp-method'] === undefined) stats.legacy_posts++;
  }
  serveMcp(req, res);
});
httpServer.keepAliveTimeout = 60_000;
httpServer.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = httpServer.address();
  process.stderr.write(`listening url=http://127.0.0.1:${port}/mcp\n`);
});
const stop = () => {
  httpServer.close(() => handler.close().finally(() => process.exit(0)));
  httpServer.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
