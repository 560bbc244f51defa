// A small MCP server on the TypeScript SDK v2 (@modelcontextprotocol/server), serving revision
// 2026-07-28 (and 2025-era requests statelessly) over Streamable HTTP on loopback, for the interop
// tests of our client. Prints `listening url=<url>` on stderr once bound.
//
//   node ts_v2_mcp_server.mjs [--oauth]
//
// Tools: echo (its `region` argument mirrored as Mcp-Param-Region), add, confirm (asks for an
// elicitation through input_required, then answers with what came back), ask_twice (two rounds,
// the second with request state), and bad_header (an invalid x-mcp-header the client must leave
// out). A text resource, a prompt, and cache hints on the lists.
// GET /__requests returns what the endpoint received: [{method, headers}] for each POST.
// --oauth: the endpoint wants `Authorization: Bearer <token>` and the same origin plays a minimal
// OAuth authorization server (protected resource metadata, RFC 8414 metadata, dynamic client
// registration, an authorization endpoint that approves at once with a redirect, a token
// endpoint that checks the PKCE verifier).
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';

import {
  McpServer, acceptedContent, createMcpHandler, fromJsonSchema, inputRequired,
} from '@modelcontextprotocol/server';

const received = [];
const oauth = process.argv.includes('--oauth');
const issuedTokens = new Set();
const codes = new Map();  // code -> PKCE challenge

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

// The authorization server and the resource's metadata; true when it answered the request.
function serveOAuth(req, res, url, body) {
  const origin = url.origin;
  if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
    sendJson(res, 200, { resource: `${origin}/mcp`, authorization_servers: [origin],
      scopes_supported: ['mcp'] });
  } else if (url.pathname === '/.well-known/oauth-authorization-server') {
    sendJson(res, 200, {
      issuer: origin, authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`, registration_endpoint: `${origin}/register`,
      response_types_supported: ['code'], grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
    });
  } else if (url.pathname === '/register' && req.method === 'POST') {
    const metadata = JSON.parse(body.toString('utf8'));
    sendJson(res, 201, { ...metadata, client_id: `client-${randomUUID()}`,
      token_endpoint_auth_method: 'none' });
  } else if (url.pathname === '/authorize') {
    const code = randomUUID();
    codes.set(code, url.searchParams.get('code_challenge'));
    const back = new URL(url.searchParams.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state'));
    back.searchParams.set('iss', origin);
    res.writeHead(302, { location: back.href });
    res.end();
  } else if (url.pathname === '/token' && req.method === 'POST') {
    const form = new URLSearchParams(body.toString('utf8'));
    const challenge = codes.get(form.get('code'));
    const verifier = form.get('code_verifier') ?? '';
    const computed = createHash('sha256').update(verifier).digest('base64url');
    if (!challenge || challenge !== computed) {
      sendJson(res, 400, { error: 'invalid_grant' });
    } else {
      codes.delete(form.get('code'));
      const token = randomUUID();
      issuedTokens.add(token);
      sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
    }
  } else {
    return false;
  }
  return true;
}

function factory() {
  const server = new McpServer({ name: 'ts-v2-interop', version: '2.4.0' }, {
    capabilities: { tools: { listChanged: true }, resources: {}, prompts: {} },
    cacheHints: {
      'tools/list': { ttlMs: 60000, cacheScope: 'public' },
      'prompts/list': { ttlMs: 0, cacheScope: 'private' },
    },
  });
  server.registerTool('echo', {
    description: 'Echoes its text',
    inputSchema: fromJsonSchema({
      type: 'object',
      properties: {
        text: { type: 'string' },
        region: { type: 'string', 'x-mcp-header': 'Region' },
      },
      required: ['text'],
    }),
  }, async ({ text, region }) => ({
    content: [{ type: 'text', text: region ? `${text} (${region})` : text }],
  }));
  server.registerTool('add', {
    description: 'Adds two numbers',
    inputSchema: fromJsonSchema({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    }),
  }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  server.registerTool('confirm', {
    description: 'Asks the user to confirm, then reports the answer',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async (_args, ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm');
    if (!answer) {
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Proceed?',
            requestedSchema: {
              type: 'object',
              properties: { ok: { type: 'boolean', default: true } },
            },
          }),
        },
      });
    }
    return { content: [{ type: 'text', text: `confirmed: ${JSON.stringify(answer)}` }] };
  });
  server.registerTool('ask_twice', {
    description: 'Two rounds of input; the second carries request state',
    inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
  }, async (_args, ctx) => {
    const state = ctx.mcpReq.requestState();
    if (!state) {
      return inputRequired({
        inputRequests: { first: inputRequired.listRoots() },
        requestState: 'round-1',
      });
    }
    if (state === 'round-1') {
      return inputRequired({
        inputRequests: {
          second: inputRequired.elicit({
            message: 'Again?', requestedSchema: { type: 'object', properties: {} },
          }),
        },
        requestState: 'round-2',
      });
    }
    return { content: [{ type: 'text', text: `done after ${state}` }] };
  });
  server.registerTool('bad_header', {
    description: 'Has an x-mcp-header on a number: clients must leave it out',
    inputSchema: fromJsonSchema({
      type: 'object',
      properties: { score: { type: 'number', 'x-mcp-header': 'Score' } },
    }),
  }, async () => ({ content: [{ type: 'text', text: 'should not be called' }] }));
  server.registerResource('readme', 'test://readme', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'read me' }] }));
  server.registerPrompt('greet', {
    description: 'Greets someone',
    argsSchema: fromJsonSchema({
      type: 'object', properties: { name: { type: 'string' } }, required: ['name'],
    }),
  }, async ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}!` } }],
  }));
  return server;
}

const handler = createMcpHandler(factory);

const httpServer = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (req.method === 'GET' && url.pathname === '/__requests') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received));
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (oauth) {
      if (serveOAuth(req, res, url, body)) return;
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!issuedTokens.has(token)) {
        sendJson(res, 401, { error: 'invalid_token' }, {
          'www-authenticate':
            `Bearer resource_metadata="${url.origin}/.well-known/oauth-protected-resource/mcp"`,
        });
        return;
      }
    }
    if (req.method === 'POST') {
      let method;
      try { method = JSON.parse(body.toString('utf8')).method; } catch { /* not JSON */ }
      received.push({ method, headers: req.headers });
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const request = new Request(url, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      for await (const chunk of response.body) res.write(chunk);
    }
    res.end();
  } catch (error) {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(error));
  }
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address();
  process.stderr.write(`listening url=http://127.0.0.1:${port}/mcp\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => { httpServer.close(); handler.close().finally(() => process.exit(0)); });
}
