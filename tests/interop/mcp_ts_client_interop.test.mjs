// The MCP TypeScript SDK v1 client (@modelcontextprotocol/sdk, pinned in package-lock.json)
// against `bedrock-mcp mcp-server everything` on every transport: stdio (the SDK spawns our
// binary), Streamable HTTP and the legacy 2024-11-05 HTTP+SSE transport. Each transport runs the
// same tour of the protocol; older clients are answered in their own revision.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { binary, startBinary } from './lib/harness.mjs';

// Resolves with the first value `predicate` accepts among those pushed into the returned `push`,
// or rejects after `ms`.
function waiter(predicate, ms = 10_000) {
  let resolve;
  const seen = [];
  const promise = new Promise((res, reject) => {
    resolve = res;
    setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(seen)}`)), ms).unref();
  });
  const push = (value) => {
    seen.push(value);
    if (predicate(value)) resolve(value);
  };
  return { promise, push };
}

function textOf(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
}

// A client that answers sampling, elicitation and roots requests like a host application would.
function makeClient() {
  const client = new Client({ name: 'ts-sdk-interop', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
    role: 'assistant',
    content: { type: 'text', text: `echoing: ${request.params.messages[0].content.text}` },
    model: 'test-model',
    stopReason: 'endTurn',
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({
    action: 'accept',
    content: { username: 'testuser', email: 'test@example.com' },
  }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: 'file:///work', name: 'work' }],
  }));
  return client;
}

const transports = {
  stdio: async () => new StdioClientTransport({
    command: binary, args: ['mcp-server', 'everything', '--transport', 'stdio'], stderr: 'pipe',
  }),
  http: async (servers) => new StreamableHTTPClientTransport(new URL(servers.http.url)),
  sse: async (servers) => new SSEClientTransport(new URL(servers.sse.url)),
};

const servers = {};

before(async () => {
  servers.http = await startBinary(['mcp-server', 'everything', '--transport', 'http',
                                    '--port', '0']);
  servers.sse = await startBinary(['mcp-server', 'everything', '--transport', 'sse',
                                   '--port', '0']);
});

after(async () => {
  for (const server of Object.values(servers)) {
    assert.equal(await server.stop(), 0, server.stderr);
  }
});

for (const [name, makeTransport] of Object.entries(transports)) {
  describe(`TS SDK client over ${name}`, () => {
    let client;

    before(async () => {
      client = makeClient();
      await client.connect(await makeTransport(servers));
    });

    after(async () => {
      await client?.close();
    });

    test('initialize negotiates 2025-11-25 and advertises every capability', () => {
      assert.equal(client.getServerVersion().name, 'bedrock-mcp-everything');
      const caps = client.getServerCapabilities();
      assert.ok(caps.tools, JSON.stringify(caps));
      assert.equal(caps.resources?.subscribe, true);
      assert.ok(caps.prompts);
      assert.ok(caps.logging);
      assert.ok(caps.completions);
      if (name !== 'stdio') assert.ok(client.getInstructions());
    });

    test('tools: list, call with text and structured content, tool errors', async () => {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const expected of ['echo', 'add', 'test_simple_text', 'test_sampling']) {
        assert.ok(names.includes(expected), names.join(', '));
      }
      assert.ok(tools.every((t) => t.description && t.inputSchema?.type === 'object'));

      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi' } })),
          'Echo: hi');
      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      assert.equal(sum.structuredContent.sum, 5);
      assert.equal(textOf(sum), 'The sum of 2 and 3 is 5');

      const failed = await client.callTool({ name: 'test_error_handling', arguments: {} });
      assert.equal(failed.isError, true);
      await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }),
          /unknown tool/);

      const mixed = await client.callTool({ name: 'test_multiple_content_types' });
      assert.deepEqual(mixed.content.map((c) => c.type), ['text', 'image', 'resource']);
      const links = await client.callTool({ name: 'get_resource_links', arguments: { count: 2 } });
      assert.equal(links.content.filter((c) => c.type === 'resource_link').length, 2);
    });

    test('resources: list, read, templates, subscribe and unsubscribe', async () => {
      const { resources } = await client.listResources();
      assert.ok(resources.some((r) => r.uri === 'test://static-text'));
      const text = await client.readResource({ uri: 'test://static-text' });
      assert.equal(text.contents[0].text, 'This is the content of the static text resource.');
      const blob = await client.readResource({ uri: 'test://static-binary' });
      assert.equal(blob.contents[0].mimeType, 'image/png');
      assert.ok(blob.contents[0].blob.length > 0);

      const { resourceTemplates } = await client.listResourceTemplates();
      assert.equal(resourceTemplates[0].uriTemplate, 'test://template/{id}/data');
      const templated = await client.readResource({ uri: 'test://template/7/data' });
      assert.equal(JSON.parse(templated.contents[0].text).id, '7');
      await assert.rejects(client.readResource({ uri: 'test://nowhere' }), /not found/i);

      const updated = waiter((n) => n.params.uri === 'test://watched-resource');
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, updated.push);
      assert.deepEqual(await client.subscribeResource({ uri: 'test://watched-resource' }), {});
      await client.callTool({ name: 'update_watched_resource',
                              arguments: { text: `changed over ${name}` } });
      await updated.promise;
      const watched = await client.readResource({ uri: 'test://watched-resource' });
      assert.equal(watched.contents[0].text, `changed over ${name}`);
      assert.deepEqual(await client.unsubscribeResource({ uri: 'test://watched-resource' }), {});
    });

    test('prompts: list and get with arguments, embedded resources and images', async () => {
      const { prompts } = await client.listPrompts();
      assert.ok(prompts.every((p) => p.description));
      const withArgs = prompts.find((p) => p.name === 'test_prompt_with_arguments');
      assert.deepEqual(withArgs.arguments.map((a) => [a.name, a.required]),
          [['arg1', true], ['arg2', true]]);
      const got = await client.getPrompt({ name: 'test_prompt_with_arguments',
                                           arguments: { arg1: 'one', arg2: 'two' } });
      assert.equal(got.messages[0].content.text, "Prompt with arguments: arg1='one', arg2='two'");
      const embedded = await client.getPrompt({ name: 'test_prompt_with_embedded_resource',
                                                arguments: { resourceUri: 'test://x' } });
      assert.equal(embedded.messages[0].content.resource.uri, 'test://x');
      const image = await client.getPrompt({ name: 'test_prompt_with_image' });
      assert.equal(image.messages[0].content.type, 'image');
      await assert.rejects(client.getPrompt({ name: 'test_prompt_with_arguments',
                                              arguments: { arg1: 'only' } }), /arg2/);
    });

    test('completion of prompt arguments and template variables', async () => {
      const prompt = await client.complete({
        ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'par' },
      });
      assert.deepEqual(prompt.completion.values, ['paris', 'park', 'party']);
      const template = await client.complete({
        ref: { type: 'ref/resource', uri: 'test://template/{id}/data' },
        argument: { name: 'id', value: '1' },
      });
      assert.deepEqual(template.completion.values, ['1', '123']);
    });

    test('logging: setLevel filters the messages a tool logs', async () => {
      const logs = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
      await client.setLoggingLevel('warning');
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      await client.ping();  // anything sent before the result has arrived by now
      assert.deepEqual(logs, []);
      await client.setLoggingLevel('debug');
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      await client.ping();
      assert.deepEqual(logs.map((l) => l.data), [
        'Tool execution started', 'Tool processing data', 'Tool execution completed']);
      assert.ok(logs.every((l) => l.level === 'info' && l.logger === 'everything'));
    });

    test('progress notifications reach onprogress in order', async () => {
      const progress = [];
      const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} },
          undefined, { onprogress: (p) => progress.push(p) });
      // The SDK runs notification handlers a microtask late but drops the call's progress
      // handler as soon as the result arrives, so when the last notification and the result
      // come in one read (often, on every transport) it discards that notification as having
      // an "unknown token". The first two are 50 ms apart from everything else.
      const values = progress.map((p) => p.progress);
      assert.deepEqual(values, [0, 50, 100].slice(0, Math.max(values.length, 2)));
      assert.ok(progress.every((p) => p.total === 100 && p.message));
      assert.ok(textOf(result).length > 0);
    });

    test('sampling, elicitation and roots round trips', async () => {
      const sampled = await client.callTool({ name: 'test_sampling',
                                              arguments: { prompt: 'ping?' } });
      assert.equal(textOf(sampled), 'LLM response: echoing: ping?');
      const elicited = await client.callTool({ name: 'test_elicitation',
                                               arguments: { message: 'who are you?' } });
      assert.match(textOf(elicited), /action=accept/);
      assert.match(textOf(elicited), /testuser/);
      const roots = await client.callTool({ name: 'list_roots', arguments: {} });
      assert.match(textOf(roots), /file:\/\/\/work/);
    });

    test('cancellation: aborting a call cancels it and the session stays usable', async () => {
      const controller = new AbortController();
      const started = waiter(() => true);
      const call = client.callTool(
          { name: 'long_running_operation', arguments: { duration: 30, steps: 300 } },
          undefined, { signal: controller.signal, onprogress: started.push });
      await started.promise;
      controller.abort('test cancels');
      await assert.rejects(call, /cancel|abort/i);
      assert.equal(textOf(await client.callTool({ name: 'echo',
                                                   arguments: { message: 'still here' } })),
          'Echo: still here');
    });

    if (name === 'http') {
      test('a stream the server closes mid-call is resumed with Last-Event-ID', async () => {
        const result = await client.callTool({ name: 'test_reconnection', arguments: {} });
        assert.match(textOf(result), /Reconnection test completed successfully/);
      });
    }
  });
}

// --- Older clients are answered in their own revision. ---

async function postJson(url, body, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json',
               Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

function initializeRequest(protocolVersion) {
  return { jsonrpc: '2.0', id: 1, method: 'initialize',
           params: { protocolVersion, capabilities: {},
                     clientInfo: { name: 'old-client', version: '0.1' } } };
}

test('a 2025-03-26 client over Streamable HTTP gets its own revision, without titles', async () => {
  const url = servers.http.url;
  const init = await postJson(url, initializeRequest('2025-03-26'));
  assert.equal(init.status, 200);
  const session = init.headers.get('mcp-session-id');
  assert.ok(session);
  assert.equal((await init.json()).result.protocolVersion, '2025-03-26');
  const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-03-26' };
  assert.equal((await postJson(url, { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers)).status, 202);
  const list = await (await postJson(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      headers)).json();
  const add = list.result.tools.find((t) => t.name === 'add');
  assert.equal(add.title, undefined);  // tool titles arrived in 2025-06-18
  assert.equal(add.outputSchema, undefined);
  assert.equal(add.annotations.readOnlyHint, true);  // annotations did exist
  const call = await (await postJson(url, { jsonrpc: '2.0', id: 3, method: 'tools/call',
      params: { name: 'add', arguments: { a: 1, b: 1 } } }, headers)).json();
  assert.equal(call.result.structuredContent, undefined);
  assert.equal(call.result.content[0].text, 'The sum of 1 and 1 is 2');
  await fetch(url, { method: 'DELETE', headers });
});

test('a 2024-11-05 client over stdio gets its own revision', async () => {
  const child = spawn(binary, ['mcp-server', 'everything'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buffered = '';
  const lines = [];
  const waiting = [];
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)));
      buffered = buffered.slice(newline + 1);
      waiting.shift()?.();
    }
  });
  const next = async () => {
    while (lines.length === 0) await new Promise((resolve) => waiting.push(resolve));
    return lines.shift();
  };
  const send = (message) => child.stdin.write(`${JSON.stringify(message)}\n`);
  try {
    send(initializeRequest('2024-11-05'));
    const init = await next();
    assert.equal(init.result.protocolVersion, '2024-11-05');
    assert.equal(init.result.capabilities.completions, undefined);  // 2025-03-26+
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call',
           params: { name: 'test_audio_content', arguments: {} } });
    const audio = await next();
    assert.equal(audio.result.content[0].type, 'text');  // no audio content before 2025-03-26
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call',
           params: { name: 'get_resource_links', arguments: { count: 1 } } });
    const links = await next();
    assert.ok(links.result.content.every((c) => c.type === 'text'));
  } finally {
    child.stdin.end();
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
});
