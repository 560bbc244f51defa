// The reference server of the mcp bench section: an McpServer from the MCP TypeScript SDK v1
// (@modelcontextprotocol/sdk, pinned in package-lock.json) with the same `echo` tool as
// `bedrock-mcp mcp-server everything` (returns "Echo: <message>"), served over stdio or Streamable
// HTTP, set up as the SDK's own examples do.
//
//   node bench/peers/mcp_ts_server.mjs --transport stdio
//   node bench/peers/mcp_ts_server.mjs --transport http [--port 0] [--json-response]
//
// http: stateful sessions (one McpServer and StreamableHTTPServerTransport per Mcp-Session-Id, the
// SDK's recommended setup; answers as SSE streams, the SDK's default, or with --json-response as
// JSON bodies, as our server answers a plain request), on plain node:http (no Express, so the figures are the SDK's own), at
// /mcp on 127.0.0.1. Once bound it prints `listening url=http://127.0.0.1:<port>/mcp` on stderr,
// as our server does.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const { values: args } = parseArgs({
  options: {
    transport: { type: 'string', default: 'stdio' },
    port: { type: 'string', default: '0' },
    'json-response': { type: 'boolean', default: false },
  },
});

function makeServer() {
  const server = new McpServer({ name: 'ts-sdk-bench-server', version: '1.0.0' });
  server.registerTool('echo', {
    description: 'Echoes back the message it is given',
    inputSchema: { message: z.string().describe('Message to echo') },
  }, async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }));
  return server;
}

if (args.transport === 'stdio') {
  await makeServer().connect(new StdioServerTransport());
} else if (args.transport === 'http') {
  const sessions = new Map();  // Mcp-Session-Id -> transport

  const readJson = (req) => new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });

  const httpServer = createServer(async (req, res) => {
    try {
      if (!req.url.startsWith('/mcp')) {
        res.writeHead(404).end();
        return;
      }
      const sessionId = req.headers['mcp-session-id'];
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      let transport = sessionId ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (sessionId || req.method !== 'POST' || !isInitializeRequest(body)) {
          res.writeHead(sessionId ? 404 : 400, { 'content-type': 'application/json' })
              .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'No valid session' },
                                    id: null }));
          return;
        }
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: args['json-response'],
          onsessioninitialized: (id) => sessions.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
        };
        await makeServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  httpServer.keepAliveTimeout = 60_000;
  httpServer.listen(Number(args.port), '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stderr.write(`listening url=http://127.0.0.1:${port}/mcp\n`);
  });
  const stop = () => {
    httpServer.close(() => process.exit(0));
    httpServer.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  console.error('usage: mcp_ts_server.mjs --transport stdio|http [--port N]');
  process.exit(2);
}
