// A scripted stand-in for `bedrock-mcp serve` that speaks the demo API (shared reference
// demo-api.md) and serves the built web UI: the UI's own tests use it for the cases the real
// gateway cannot be made to produce on demand (a cut stream, a huge tool result, an approval), and
// `BEDROCK_GATEWAY_URL=<its url> vite ui` uses it for development.
//
//   const gateway = await startFakeGateway({ staticDir, apiKey: 'k' });
//   ... browse gateway.url ...; gateway.requests holds every chat request body
//   await gateway.close();
//
// The answer is chosen by a word in the last user message: "markdown", "think", "tool", "image",
// "slow", "cut", "huge", "fail", "approve", "error"; anything else gets an echo.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
                '.svg': 'image/svg+xml', '.png': 'image/png' };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function lastUserText(messages) {
  const last = [...(messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.filter((p) => p.type === 'text').map((p) => p.text).join(' ');
}

export async function startFakeGateway({ staticDir, apiKey = '', port = 0 } = {}) {
  const users = new Map();  // user id -> {servers: Map, history: []}
  const streams = new Map();  // stream id -> {stopped}
  const approvals = new Map();  // approval id -> resolve(bool)
  const requests = [];
  let counter = 0;

  const user = (id) => {
    if (!users.has(id)) users.set(id, { servers: new Map([['demo', { server_name: 'Demo tools', status: 'connected' }]]) });
    return users.get(id);
  };

  const json = (res, status, value, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };

  const readBody = (req) => new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => resolve(body));
  });

  async function chat(req, res, userId, body) {
    requests.push({ userId, body });
    const streamId = `stream_${userId}_${Date.now()}${counter++}`;
    const state = { stopped: false };
    streams.set(streamId, state);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Stream-ID': streamId });
    const chunk = (delta, finish = null, extras) => {
      const choice = { index: 0, delta, finish_reason: finish };
      if (extras) choice.message_extras = extras;
      res.write(`data: ${JSON.stringify({ id: `chat${Date.now()}`, object: 'chat.completion.chunk',
                                          created: Math.floor(Date.now() / 1000), model: body.model,
                                          choices: [choice] })}\n\n`);
    };
    const text = async (value, pieces = 8, delay = 15) => {
      const size = Math.max(1, Math.ceil(value.length / pieces));
      for (let i = 0; i < value.length; i += size) {
        if (state.stopped) return;
        chunk({ content: value.slice(i, i + size) });
        await sleep(delay);
      }
    };
    const end = (reason = 'end_turn') => {
      chunk({}, reason);
      res.write('data: [DONE]\n\n');
      res.end();
    };
    const stopped = () => {
      chunk({}, null);
      chunk({}, 'stop_requested');
      res.write('data: [DONE]\n\n');
      res.end();
    };
    const toolRound = (calls) => {
      chunk({}, 'tool_use');
      chunk({}, 'tool_use', { tool_use: JSON.stringify(calls) });
      chunk({ role: 'assistant' });
    };
    const ask = lastUserText(body.messages).toLowerCase();
    chunk({ role: 'assistant' });
    if (ask.includes('slow')) {
      for (let i = 1; i <= 600 && !state.stopped; i++) {
        chunk({ content: `word${i} ` });
        await sleep(50);
      }
      return state.stopped ? stopped() : end();
    }
    if (ask.includes('cut')) {
      await text('This answer will be cut off in the middle', 4);
      res.socket.destroy();
      return;
    }
    if (ask.includes('error')) {
      chunk({ content: 'Error: model: ThrottlingException: Too many requests' }, 'error');
      res.end();
      return;
    }
    if (ask.includes('think')) {
      chunk({ content: '<thinking>The user wants me to think. ' });
      await sleep(20);
      chunk({ content: 'Let me consider it carefully.' });
      await sleep(20);
      chunk({ content: '</thinking>I thought about it: **42**.' });
      return end();
    }
    if (ask.includes('tool') || ask.includes('image') || ask.includes('huge') || ask.includes('fail')) {
      await text("I'll call a tool.", 2);
      chunk({ content: '<tool_input>{"message": ' });
      chunk({ content: '"hello"}' });
      chunk({ content: '</tool_input>' });
      const call = { toolUseId: 'tooluse_1', name: 'demo___echo', input: { message: 'hello' } };
      let result;
      if (ask.includes('huge')) {
        result = { toolUseId: 'tooluse_1', content: [{ text: 'x'.repeat(2 * 1024 * 1024) }] };
      } else if (ask.includes('fail')) {
        result = { toolUseId: 'tooluse_1', content: [{ text: 'demo___echo tool call is failed. error:boom' }], status: 'error' };
      } else {
        result = { toolUseId: 'tooluse_1', content: [{ text: '{"echo":"hello","count":1}' },
                                                     { image: { format: 'png', source: { base64: PNG_1x1 } } }] };
      }
      toolRound([call, result]);
      await text('The tool answered.', 2);
      return end();
    }
    if (ask.includes('approve')) {
      const id = `ap${counter++}`;
      chunk({}, null, { approval: { id, server: 'demo', tool: 'delete_file', arguments: { path: '/tmp/x' }, tool_use_id: 'tooluse_ap' } });
      const approved = await new Promise((resolve) => {
        approvals.set(id, resolve);
        setTimeout(() => resolve(null), 30000);
      });
      const call = { toolUseId: 'tooluse_ap', name: 'demo___delete_file', input: { path: '/tmp/x' } };
      const result = approved
        ? { toolUseId: 'tooluse_ap', content: [{ text: 'deleted' }] }
        : { toolUseId: 'tooluse_ap', content: [{ text: 'The user denied this tool call.' }], status: 'error' };
      toolRound([call, result]);
      await text(approved ? 'Done, it is deleted.' : 'Understood, I did not delete it.', 2);
      return end();
    }
    if (ask.includes('markdown')) {
      await text('## Result\n\n| name | value |\n|---|---|\n| a | 1 |\n| b | 2 |\n\n```python\ndef f(x):\n    return x + 1\n```\n\nDone.', 10);
      return end();
    }
    await text(`You said: ${lastUserText(body.messages)}`, 4);
    return end();
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const route = url.pathname;
    if (!route.startsWith('/v1/')) {
      const file = path.join(staticDir ?? '.', route === '/' ? 'index.html' : path.normalize(route));
      if (!staticDir || !file.startsWith(staticDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        return json(res, 404, { error: { message: 'not found' } });
      }
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      return fs.createReadStream(file).pipe(res);
    }
    const auth = req.headers.authorization ?? '';
    if (apiKey && auth !== `Bearer ${apiKey}`) {
      return json(res, 403, { detail: auth ? 'Could not validate credentials' : 'Not authenticated' });
    }
    const userId = req.headers['x-user-id'] ?? apiKey;
    const text = await readBody(req);
    let body = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        return json(res, 400, { errno: 422, msg: 'body is not JSON' });
      }
    }
    const me = user(userId);
    let match;
    if (req.method === 'GET' && route === '/v1/list/models') {
      return json(res, 200, { models: [{ model_id: 'fake.model-a', model_name: 'Fake model A' },
                                       { model_id: 'fake.model-b', model_name: 'Fake model B' }] });
    }
    if (req.method === 'GET' && route === '/v1/list/mcp_server') {
      return json(res, 200, { servers: [...me.servers].map(([server_id, s]) => ({ server_id, ...s })) });
    }
    if (req.method === 'POST' && route === '/v1/add/mcp_server') {
      const [id, config] = Object.entries(body.config_json?.mcpServers ?? {})[0] ?? [body.server_id, body];
      if (me.servers.has(id)) return json(res, 200, { errno: -1, msg: 'MCP server id exists for this user!', data: {} });
      if (config.command === 'false') {
        me.servers.set(id, { server_name: id, status: 'failed', error: 'the server exited with status 1 before initialize',
                             stderr_tail: 'Error: Cannot find module \'nope\'\n    at Module._resolveFilename' });
        return json(res, 200, { errno: -1, msg: 'MCP server connect failed: the server exited with status 1', data: {} });
      }
      me.servers.set(id, { server_name: body.server_desc || id, status: 'connected' });
      return json(res, 200, { errno: 0, msg: 'The server already been added!', data: { tools: [] } });
    }
    if (req.method === 'DELETE' && (match = /^\/v1\/remove\/mcp_server\/(.+)$/.exec(route))) {
      const id = decodeURIComponent(match[1]);
      if (!me.servers.delete(id)) return json(res, 200, { errno: -1, msg: 'MCP server not found for this user!', data: {} });
      return json(res, 200, { errno: 0, msg: 'Server removed successfully', data: {} });
    }
    if (req.method === 'POST' && route === '/v1/remove/history') {
      return json(res, 200, { errno: 0, msg: 'removed history' });
    }
    if (req.method === 'POST' && (match = /^\/v1\/stop\/stream\/(.+)$/.exec(route))) {
      const state = streams.get(decodeURIComponent(match[1]));
      if (state) state.stopped = true;
      return json(res, 200, { errno: 0, msg: 'Stream stopping initiated' });
    }
    if (req.method === 'POST' && (match = /^\/v1\/approve\/(.+)$/.exec(route))) {
      const resolve = approvals.get(decodeURIComponent(match[1]));
      if (!resolve) return json(res, 404, { errno: -1, msg: 'no such approval' });
      approvals.delete(decodeURIComponent(match[1]));
      resolve(body.approved === true);
      return json(res, 200, { errno: 0, msg: 'ok' });
    }
    if (req.method === 'POST' && route === '/v1/chat/completions') return chat(req, res, userId, body);
    return json(res, 404, { error: { message: `no route ${req.method} ${route}` } });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

// `node tests/interop/lib/fake_gateway.mjs [dir] [port]`: run it by hand for UI development.
if (import.meta.url === `file://${process.argv[1]}`) {
  const staticDir = path.resolve(process.argv[2] ?? 'ui/dist');
  const gateway = await startFakeGateway({ staticDir, port: Number(process.argv[3] ?? 0) });
  console.error(`listening url=${gateway.url}`);
}
