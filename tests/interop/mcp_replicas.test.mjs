// A stateless (2026-07-28) MCP server scales across replicas with no shared store: two
// `bedrock-mcp mcp-server everything` processes that share the requestState key
// (BEDROCK_MCP_STATE_SECRET) behind a test client that sends every request to the other replica
// than the one before, as a round-robin load balancer would. Each request is self-contained, and a
// multi-round-trip retry lands on the other replica and still completes. A third process with its
// own key refuses the state.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startBinary } from './lib/harness.mjs';

const kSecret = 'replica-test-secret-0123456789abcdef';
let replicas = [];
let stranger;

before(async () => {
  const shared = { env: { ...process.env, BEDROCK_MCP_STATE_SECRET: kSecret } };
  const args = ['mcp-server', 'everything', '--transport', 'http', '--port', '0'];
  replicas = await Promise.all([startBinary(args, shared), startBinary(args, shared)]);
  const own = { ...process.env };
  delete own.BEDROCK_MCP_STATE_SECRET;
  stranger = await startBinary(args, { env: own });
});

after(async () => {
  for (const r of [...replicas, stranger]) {
    if (r) assert.equal(await r.stop(), 0, r.stderr);
  }
});

// A load balancer that alternates between the replicas, request by request.
let next = 0;
let nextId = 1;
function pick() {
  const url = replicas[next % replicas.length].url;
  next += 1;
  return url;
}

// One 2026-07-28 request with the spec's headers and _meta; the JSON-RPC answer.
async function rpc(url, method, params = {}) {
  const body = {
    jsonrpc: '2.0', id: nextId++, method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'replica-test', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': { elicitation: {}, sampling: {}, roots: {} },
      },
    },
  };
  const headers = {
    'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method,
  };
  if (typeof params.name === 'string') headers['Mcp-Name'] = params.name;
  if (typeof params.uri === 'string') headers['Mcp-Name'] = params.uri;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.equal(response.headers.get('mcp-session-id'), null, 'a stateless answer has no session');
  const text = await response.text();
  if (response.headers.get('content-type')?.includes('text/event-stream')) {
    const last = text.split('\n').filter((l) => l.startsWith('data: ')).pop();
    return JSON.parse(last.slice('data: '.length));
  }
  return JSON.parse(text);
}

test('requests alternate between the replicas and each is served', async () => {
  const seen = new Set();
  for (let i = 0; i < 6; i += 1) {
    const url = pick();
    seen.add(url);
    const answer = await rpc(url, 'tools/call', { name: 'echo', arguments: { message: `m${i}` } });
    assert.match(answer.result.content[0].text, new RegExp(`m${i}`));
  }
  assert.equal(seen.size, 2);
  const discovered = await rpc(pick(), 'server/discover');
  assert.equal(discovered.result.supportedVersions[0], '2026-07-28');
});

test('a multi-round-trip retry lands on the other replica and completes', async () => {
  const tool = 'test_input_required_result_multi_round';
  const first = pick();
  const r1 = (await rpc(first, 'tools/call', { name: tool, arguments: {} })).result;
  assert.equal(r1.resultType, 'input_required');
  const second = pick();
  assert.notEqual(second, first);
  const r2 = (await rpc(second, 'tools/call', {
    name: tool, arguments: {}, requestState: r1.requestState,
    inputResponses: { step1: { action: 'accept', content: { name: 'Ann' } } },
  })).result;
  assert.equal(r2.resultType, 'input_required');
  assert.ok(r2.inputRequests.step2);
  const third = pick();
  assert.equal(third, first);
  const r3 = (await rpc(third, 'tools/call', {
    name: tool, arguments: {}, requestState: r2.requestState,
    inputResponses: { step2: { action: 'accept', content: { color: 'blue' } } },
  })).result;
  assert.equal(r3.resultType, 'complete');
  assert.equal(r3.content[0].text, 'Ann likes blue');
});

test('a server with another key refuses the state', async () => {
  const tool = 'test_input_required_result_request_state';
  const r1 = (await rpc(pick(), 'tools/call', { name: tool, arguments: {} })).result;
  const retry = {
    name: tool, arguments: {}, requestState: r1.requestState,
    inputResponses: { confirm: { action: 'accept', content: { ok: true } } },
  };
  const refused = await rpc(stranger.url, 'tools/call', retry);
  assert.equal(refused.error?.code, -32602, JSON.stringify(refused));
  const accepted = (await rpc(pick(), 'tools/call', retry)).result;
  assert.equal(accepted.content[0].text, 'state-ok: ok=true');
});
