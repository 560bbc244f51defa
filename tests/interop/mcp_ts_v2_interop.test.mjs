// The MCP TypeScript SDK v2 client (@modelcontextprotocol/client, pinned in package-lock.json)
// against `bedrock-mcp mcp-server everything` over Streamable HTTP on revision 2026-07-28: the
// client is stateless (no initialize, no session), fulfils the server's input_required results
// with its elicitation/sampling/roots handlers and retries, and opens subscriptions/listen for
// list changes. The same server keeps serving the v1 SDK's 2025-11-25 sessions
// (mcp_ts_client_interop.test.mjs).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { startBinary } from './lib/harness.mjs';

let server;

before(async () => {
  server = await startBinary(['mcp-server', 'everything', '--transport', 'http', '--port', '0']);
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, server.stderr);
});

function textOf(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
}

// A v2 client that answers input requests like a host application would, and counts them.
async function connect(mode) {
  mode ??= { pin: '2026-07-28' };
  const asked = [];
  const client = new Client({ name: 'ts-sdk-v2-interop', version: '1.0.0' }, {
    capabilities: { sampling: {}, elicitation: {}, roots: {} },
    versionNegotiation: { mode },
  });
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(request.params.message);
    if (request.params.message.includes('color')) {
      return { action: 'accept', content: { color: 'green' } };
    }
    return { action: 'accept', content: { name: 'Alice' } };
  });
  client.setRequestHandler('sampling/createMessage', async () => {
    asked.push('sampling');
    return {
      role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model',
      stopReason: 'endTurn',
    };
  });
  client.setRequestHandler('roots/list', async () => {
    asked.push('roots');
    return { roots: [{ uri: 'file:///work', name: 'work' }] };
  });
  const transport = new StreamableHTTPClientTransport(new URL(server.url));
  await client.connect(transport);
  return { client, transport, asked };
}

// Runs `body` with a connected client and closes it afterwards.
async function withClient(mode, body) {
  const connection = await connect(mode);
  try {
    await body(connection);
  } finally {
    await connection.client.close();
  }
}

// Calls `tool` (no arguments) with a pinned client; its text and the input requests it answered.
async function callPinned(tool) {
  let text;
  let asked;
  await withClient(undefined, async ({ client, asked: seen }) => {
    text = textOf(await client.callTool({ name: tool, arguments: {} }));
    asked = seen;
  });
  return { text, asked };
}

test('a pinned 2026-07-28 client lists and calls tools without a session', async () => {
  const { client, transport } = await connect();
  try {
    assert.equal(transport.sessionId, undefined);
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    assert.equal(client.getServerVersion()?.name, 'bedrock-mcp-everything');
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['echo', 'add', 'test_input_required_result_elicitation',
      'test_header_param']) {
      assert.ok(names.includes(name), `${name} not in ${names}`);
    }
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hi there' } });
    assert.match(textOf(echoed), /hi there/);
    const added = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
    assert.match(textOf(added), /42/);
    // The tool mirrors `region` into Mcp-Param-Region; the server checks the header.
    const region = await client.callTool({
      name: 'test_header_param', arguments: { region: 'eu-central-1' },
    });
    assert.equal(textOf(region), 'region: eu-central-1');
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.length >= 5);
    const read = await client.readResource({ uri: 'test://static-text' });
    assert.ok(read.contents.length > 0);
  } finally {
    await client.close();
  }
});

test('the client fulfils an input_required elicitation and the retry completes', async () => {
  const { text, asked } = await callPinned('test_input_required_result_elicitation');
  assert.equal(text, 'Hello, Alice!');
  assert.deepEqual(asked, ['What is your name?']);
});

test('two rounds of input carry the first answer in the signed requestState', async () => {
  const { text, asked } = await callPinned('test_input_required_result_multi_round');
  assert.equal(text, 'Alice likes green');
  assert.equal(asked.length, 2);
});

test('elicitation, sampling and roots in one round', async () => {
  const { text, asked } = await callPinned('test_input_required_result_multiple_inputs');
  assert.equal(text, 'name: Alice; greeting: Paris; roots: file:///work');
  assert.equal(asked.length, 3);
});

test('an auto-negotiating client picks 2026-07-28 from server/discover', async () => {
  const { client, transport } = await connect('auto');
  try {
    assert.equal(transport.sessionId, undefined);
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const result = await client.callTool({
      name: 'test_input_required_result_elicitation', arguments: {},
    });
    assert.equal(textOf(result), 'Hello, Alice!');
  } finally {
    await client.close();
  }
});

test('a legacy-mode v2 client still gets a 2025-11-25 session', async () => {
  const { client, transport, asked } = await connect('legacy');
  try {
    assert.ok(transport.sessionId, 'no session id');
    assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
    const result = await client.callTool({
      name: 'test_input_required_result_elicitation', arguments: {},
    });
    // The same handler code asks over the session instead.
    assert.equal(textOf(result), 'Hello, Alice!');
    assert.deepEqual(asked, ['What is your name?']);
  } finally {
    await client.close();
  }
});
