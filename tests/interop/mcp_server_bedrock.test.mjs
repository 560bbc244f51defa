// `bedrock-mcp mcp-server bedrock` (stdio) used by the MCP TypeScript SDK v1 client against
// `bedrock-mcp emulator`: every tool and resource, a streamed answer with progress notifications, a
// cancelled stream, and a repeated call answered from the cache (the emulator sees no second
// request). The server gets the emulator's endpoints and the same static AWS keys in its env.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { binary, startBinary } from './lib/harness.mjs';

const KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIDBEDROCKTOOLSTEST1',
  AWS_SECRET_ACCESS_KEY: 'bedrock/tools/Secret+Key/For/Interop0000',
  AWS_REGION: 'us-east-1',
};
const KB = 'KBTOOLS001';

let emulator;
let tmpDir;
let client;
let transport;
let serverStderr = '';
let serverEnv;

const textOf = (result) => result.content.filter((c) => c.type === 'text').map((c) => c.text)
    .join('');
const converseCalls = () => (emulator.stderr.match(/operation=converse(\s|$)/gm) ?? []).length;

// Polls `predicate` (a real signal: a log line) until it holds or 10 s pass.
async function waitFor(predicate) {
  const deadline = Date.now() + 10000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setImmediate(resolve));
    await client.ping();
  }
}

async function cacheStats() {
  const read = await client.readResource({ uri: 'bedrock://cache/stats' });
  return JSON.parse(read.contents[0].text);
}

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-tools-'));
  const docs = path.join(tmpDir, 'docs');
  fs.mkdirSync(docs);
  fs.writeFileSync(path.join(docs, 'france.txt'), 'Paris is the capital of France.\n');
  fs.writeFileSync(path.join(docs, 'bread.txt'), 'Bread needs flour, water, yeast and salt.\n');
  // Small, slow stream pieces so a streamed answer has many progress notifications and a
  // cancellation arrives while the model is still generating.
  const config = path.join(tmpDir, 'emulator.json');
  const script = path.join(tmpDir, 'script.json');
  fs.writeFileSync(script, JSON.stringify({ rules: [
    { when: { contains: 'simulate throttling' }, respond: { fault: 'throttle' } },
  ] }));
  fs.writeFileSync(config, JSON.stringify({ docs, script,
                                            stream: { chunkBytes: 8, delayMs: 40 } }));
  const env = { ...process.env, ...KEYS };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_BEARER_TOKEN_BEDROCK;
  emulator = await startBinary(['emulator', '--port', '0', '--config', config,
                                '--log-level', 'debug'], { env });

  serverEnv = { ...env, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
                AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url, AWS_MAX_ATTEMPTS: '1' };
  transport = new StdioClientTransport({
    command: binary,
    args: ['mcp-server', 'bedrock', '--transport', 'stdio', '--knowledge-base', KB,
           '--model', 'anthropic.claude-3-haiku-20240307-v1:0'],
    env: serverEnv,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk) => { serverStderr += chunk; });
  client = new Client({ name: 'bedrock-tools-interop', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  await emulator?.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('mcp-server bedrock over stdio', () => {
  test('lists every tool, the knowledge base and the cache stats', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(),
                     ['bedrock_specialist', 'converse', 'converse_stream', 'embed_text',
                      'invoke_agent', 'knowledge_base_search']);
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    assert.ok(uris.includes('bedrock://cache/stats'));
    assert.ok(uris.includes(`bedrock://knowledge-bases/${KB}`));
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate),
                     ['bedrock://knowledge-bases/{knowledgeBaseId}/search/{query}']);
  });

  test('a specialist answers with its system prompt', async () => {
    const result = await client.callTool({
      name: 'bedrock_specialist',
      arguments: { specialist: 'code_reviewer', content: 'int main() { return 0; }' },
    });
    assert.equal(result.isError ?? false, false, textOf(result));
    assert.match(textOf(result), /int main/);  // the emulator's model echoes the user text
  });

  test('an unknown specialist is a tool error listing the available ones', async () => {
    const result = await client.callTool({
      name: 'bedrock_specialist', arguments: { specialist: 'poet', content: 'x' },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result),
                 /Available: code_reviewer, legal_analyst, translator_es, data_scientist/);
  });

  test('converse, then the identical call is a cache hit the emulator never sees', async () => {
    const args = { system: 'Be brief.', messages: [{ role: 'user', content: 'cache me please' }],
                   inference_config: { maxTokens: 200, temperature: 0.2 } };
    const before = await cacheStats();
    const callsBefore = converseCalls();
    const first = await client.callTool({ name: 'converse', arguments: args });
    assert.equal(first.isError ?? false, false, textOf(first));
    assert.equal(first.structuredContent.cached, false);
    const second = await client.callTool({ name: 'converse', arguments: args });
    assert.equal(second.structuredContent.cached, true);
    assert.equal(textOf(second), textOf(first));
    assert.equal((await cacheStats()).hits, before.hits + 1);
    // Another model never gets that answer. Its call is also the fence for the emulator's log:
    // lines come in request order, so once its line is there, a second request would be too.
    const other = await client.callTool({
      name: 'converse', arguments: { ...args, model_id: 'amazon.nova-lite-v1:0' },
    });
    assert.equal(other.structuredContent.cached, false);
    await waitFor(() => /operation=converse\s.*model=amazon\.nova-lite/.test(emulator.stderr));
    assert.equal(converseCalls(), callsBefore + 2);
  });

  test('a streamed answer arrives as progress notifications before the whole text', async () => {
    const progress = [];
    const prompt = 'Stream this sentence back to me in several small pieces please.';
    const result = await client.callTool(
        { name: 'converse_stream', arguments: { prompt } }, undefined,
        { onprogress: (p) => progress.push(p), timeout: 30000 });
    assert.equal(result.isError ?? false, false, textOf(result));
    assert.equal(textOf(result), prompt);
    assert.ok(progress.length >= 2, `progress: ${JSON.stringify(progress)}`);
    assert.ok(progress.every((p) => typeof p.message === 'string'));
  });

  test('cancelling a streamed answer stops the model stream', async () => {
    const controller = new AbortController();
    let first;
    const started = new Promise((resolve) => { first = resolve; });
    const call = client.callTool(
        { name: 'converse_stream', arguments: { prompt: 'long answer '.repeat(40) } }, undefined,
        { signal: controller.signal, onprogress: () => first() });
    await started;
    controller.abort('test cancels');
    await assert.rejects(call, /cancel|abort/i);
    await waitFor(() => /stream cancelled/.test(serverStderr));
  });

  test('knowledge_base_search returns content, score and source', async () => {
    const result = await client.callTool({
      name: 'knowledge_base_search', arguments: { query: 'capital of France', num_results: 2 },
    });
    assert.equal(result.isError ?? false, false, textOf(result));
    const found = result.structuredContent;
    assert.equal(found.knowledgeBaseId, KB);
    assert.ok(found.results.length >= 1);
    assert.match(found.results[0].content, /Paris/);
    assert.equal(typeof found.results[0].score, 'number');
    assert.match(found.results[0].source, /france\.txt/);
  });

  test('knowledge base resources: the listed one and the query template', async () => {
    const info = await client.readResource({ uri: `bedrock://knowledge-bases/${KB}` });
    assert.equal(JSON.parse(info.contents[0].text).id, KB);
    const read = await client.readResource({
      uri: `bedrock://knowledge-bases/${KB}/search/${encodeURIComponent('bread flour')}`,
    });
    const found = JSON.parse(read.contents[0].text);
    assert.equal(found.query, 'bread flour');
    assert.match(found.results[0].content, /flour/);
  });

  test('embed_text embeds many texts with the requested dimensions', async () => {
    const result = await client.callTool({
      name: 'embed_text', arguments: { texts: ['hello', 'world'], dimensions: 256 },
    });
    assert.equal(result.isError ?? false, false, textOf(result));
    const { embeddings } = result.structuredContent;
    assert.equal(embeddings.length, 2);
    assert.equal(embeddings[0].embedding.length, 256);
    assert.notDeepEqual(embeddings[0].embedding, embeddings[1].embedding);
  });

  test('embed_text refuses unsupported dimensions', async () => {
    const result = await client.callTool({
      name: 'embed_text', arguments: { text: 'x', dimensions: 300 },
    });
    assert.equal(result.isError, true);
  });

  test('invoke_agent returns the answer with citations', async () => {
    const result = await client.callTool({
      name: 'invoke_agent',
      arguments: { agent_id: 'AGENT00001', session_id: 's-1', input: 'capital of France?' },
    });
    assert.equal(result.isError ?? false, false, textOf(result));
    assert.equal(result.structuredContent.sessionId, 's-1');
    assert.ok(result.structuredContent.completion.length > 0);
    assert.ok(Array.isArray(result.structuredContent.citations));
  });

  test('a throttled model is a tool error naming the throttling', async () => {
    const result = await client.callTool({
      name: 'converse', arguments: { prompt: 'please simulate throttling now' },
    });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Throttling/);
  });

  test('an unknown tool is a protocol error', async () => {
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /no_such_tool/);
  });

  test('a missing required argument is a protocol error', async () => {
    await assert.rejects(client.callTool({ name: 'bedrock_specialist',
                                           arguments: { specialist: 'code_reviewer' } }),
                         /content/);
  });

  test('the cache stats resource counts hits and misses', async () => {
    const stats = await cacheStats();
    assert.equal(stats.enabled, true);
    assert.ok(stats.hits >= 1);
    assert.ok(stats.misses >= 1);
  });
});

describe('mcp-server bedrock over Streamable HTTP', () => {
  test('tools answer and streamed progress arrives over HTTP too', async () => {
    const server = await startBinary(['mcp-server', 'bedrock', '--transport', 'http', '--port', '0',
                                      '--knowledge-base', KB,
                                      '--model', 'anthropic.claude-3-haiku-20240307-v1:0'],
                                     { env: serverEnv });
    const http = new Client({ name: 'bedrock-tools-interop-http', version: '1.0.0' });
    try {
      await http.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      const answer = await http.callTool({ name: 'converse', arguments: { prompt: 'over http' } });
      assert.equal(textOf(answer), 'over http');
      const found = await http.callTool({ name: 'knowledge_base_search',
                                          arguments: { query: 'capital of France' } });
      assert.match(found.structuredContent.results[0].content, /Paris/);
      const progress = [];
      const streamed = await http.callTool(
          { name: 'converse_stream', arguments: { prompt: 'a streamed answer over http' } },
          undefined, { onprogress: (p) => progress.push(p) });
      assert.equal(textOf(streamed), 'a streamed answer over http');
      // The TS SDK may drop a progress notification that shares a read with the result.
      assert.ok(progress.length >= 1);
    } finally {
      await http.close();
      await server.stop();
    }
  });
});
