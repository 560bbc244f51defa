// The gateway's non-chat API against the real binary, with real MCP servers from npm
// (@modelcontextprotocol/server-everything over stdio): models, adding, listing and removing
// servers as two users in the demo's exact request shapes, persistence across a restart, and the
// errors for bad JSON, oversize bodies and missing or wrong keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBinary, sourceDir } from './lib/harness.mjs';

const everything = path.join(sourceDir, 'node_modules/.bin/mcp-server-everything');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-gateway-'));
const configPath = path.join(dir, 'config.json');
const KEY = 'shared-test-key';
const ALICE_KEY = 'alice-only-key';

fs.writeFileSync(configPath, JSON.stringify({
  server: { listen: '127.0.0.1:0' },
  models: [
    { model_id: 'us.amazon.nova-pro-v1:0', model_name: 'Amazon Nova Pro' },
    { model_id: 'gpt-4o-mini', model_name: 'GPT-4o mini', provider: 'openai',
      base_url: 'http://127.0.0.1:9/v1' },
  ],
  mcpServers: {
    everything: { command: everything, args: ['stdio'], description: 'Everything (global)' },
    off: { command: everything, status: 0 },
  },
  auth: { api_keys: [KEY, { key: ALICE_KEY, user: 'alice' }] },
  policy: { stdio_commands: [everything] },
  store: { path: path.join(dir, 'store.db') },
  limits: { max_request_bytes: 4096 },
}));

let gateway;
const start = async () => {
  gateway = await startBinary(['serve', '--config', configPath], { timeoutMs: 30000 });
};

before(start);
after(async () => {
  if (gateway) await gateway.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(method, route, { user, key = KEY, body, rawBody } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (user) headers['X-User-ID'] = user;
  const response = await fetch(gateway.url + route, {
    method, headers, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: JSON.parse(text) };
}

const ids = async (user, key = KEY) =>
  (await call('GET', '/v1/list/mcp_server', { user, key })).json.servers.map((s) => s.server_id);

test('lists models in the demo shape and the OpenAI shape', async () => {
  const demo = await call('GET', '/v1/list/models', { user: 'u' });
  assert.equal(demo.status, 200);
  assert.deepEqual(demo.json, { models: [
    { model_id: 'us.amazon.nova-pro-v1:0', model_name: 'Amazon Nova Pro' },
    { model_id: 'gpt-4o-mini', model_name: 'GPT-4o mini' },
  ] });
  const openai = await call('GET', '/v1/models', { user: 'u' });
  assert.equal(openai.json.object, 'list');
  assert.deepEqual(openai.json.data.map((m) => m.id), ['us.amazon.nova-pro-v1:0', 'gpt-4o-mini']);
});

test('lists the enabled global servers by description', async () => {
  const { json } = await call('GET', '/v1/list/mcp_server', { user: 'carol' });
  assert.deepEqual(json.servers.map((s) => [s.server_id, s.server_name]),
                   [['everything', 'Everything (global)']]);
});

test('two users add, list and remove their own servers only', async () => {
  const added = await call('POST', '/v1/add/mcp_server', { user: 'alice', key: ALICE_KEY, body: {
    server_id: '', server_desc: 'My everything',
    config_json: { mcpServers: { mine: { command: everything, args: ['stdio'], env: {} } } },
  } });
  assert.equal(added.status, 200);
  assert.equal(added.json.errno, 0, added.json.msg);
  const names = added.json.data.tools.map((t) => t.toolSpec.name);
  assert.ok(names.includes('mine___echo'), names.join(','));
  assert.equal(typeof added.json.data.tools[0].toolSpec.inputSchema.json, 'object');

  // The field form (broken in the demo) works too.
  const bobs = await call('POST', '/v1/add/mcp_server', { user: 'bob', body: {
    server_id: 'bobs', server_desc: 'Bob\'s', command: everything, args: ['stdio'], env: {},
  } });
  assert.equal(bobs.json.errno, 0, bobs.json.msg);

  assert.deepEqual(await ids('alice', ALICE_KEY), ['everything', 'mine']);
  assert.deepEqual(await ids('bob'), ['everything', 'bobs']);
  // The key bound to alice is alice whatever X-User-ID says; the shared key is whoever it says.
  assert.deepEqual(await ids('bob', ALICE_KEY), ['everything', 'mine']);

  const stolen = await call('DELETE', '/v1/remove/mcp_server/mine', { user: 'bob' });
  assert.deepEqual(stolen.json, { errno: -1, msg: 'MCP server not found for this user!', data: {} });
  const duplicate = await call('POST', '/v1/add/mcp_server', { user: 'bob', body: {
    server_id: 'bobs', command: everything, args: ['stdio'] } });
  assert.equal(duplicate.json.msg, 'MCP server id exists for this user!');

  const removed = await call('DELETE', '/v1/remove/mcp_server/bobs', { user: 'bob' });
  assert.deepEqual(removed.json, { errno: 0, msg: 'Server removed successfully', data: {} });
  assert.deepEqual(await ids('bob'), ['everything']);
});

test('a command outside the policy is refused with errno -1', async () => {
  const refused = await call('POST', '/v1/add/mcp_server', { user: 'dave', body: {
    config_json: { mcpServers: { sh: { command: 'bash', args: ['-c', 'id'] } } } } });
  assert.equal(refused.status, 200);
  assert.equal(refused.json.errno, -1);
  assert.match(refused.json.msg, /not allowed/);
});

test('remove/history answers like the demo, with no-cache headers', async () => {
  const response = await fetch(`${gateway.url}/v1/remove/history`, {
    method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'X-User-ID': 'erin' },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-cache, no-store, must-revalidate');
  assert.deepEqual(await response.json(), { errno: 0, msg: 'remove history from empty session' });
});

test('bad JSON, oversize bodies and missing or wrong keys get clear errors', async () => {
  const bad = await call('POST', '/v1/add/mcp_server', { user: 'u', rawBody: '{"server_id": ' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.errno, 400);
  assert.match(bad.json.msg, /not valid JSON/);

  const big = await call('POST', '/v1/add/mcp_server', {
    user: 'u', body: { server_id: 'x', server_desc: 'd'.repeat(10000) } });
  assert.equal(big.status, 413);
  assert.equal(big.json.errno, 413);

  const missing = await call('GET', '/v1/list/models', { key: '' });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
  assert.equal(missing.json.detail, 'Not authenticated');

  const wrong = await call('GET', '/v1/list/models', { key: 'nope' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.detail, 'Could not validate credentials');
  assert.ok(!gateway.stderr.includes('nope'), 'a presented key is never logged');
  assert.ok(!gateway.stderr.includes(KEY), 'a configured key is never logged');
});

test('added servers survive a restart and still work', async () => {
  assert.ok((await ids('alice', ALICE_KEY)).includes('mine'));
  const code = await gateway.stop();
  assert.equal(code, 0, gateway.stderr);
  assert.match(gateway.stderr, /gateway stopped/);
  await start();
  assert.deepEqual(await ids('alice', ALICE_KEY), ['everything', 'mine']);
  assert.deepEqual(await ids('bob'), ['everything']);
  const again = await call('POST', '/v1/add/mcp_server', { user: 'alice', key: ALICE_KEY, body: {
    config_json: { mine: { command: everything, args: ['stdio'] } } } });
  assert.equal(again.json.msg, 'MCP server id exists for this user!');
});
