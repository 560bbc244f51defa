// Benchmark peer for bench/gateway: seed 000's Converse tool-use loop written the way a team would
// write it on the official JavaScript SDKs (AWS SDK v3 + MCP TypeScript SDK v1 + Node's http
// server), behind the same OpenAI-style /v1/chat/completions route as `bedrock-mcp serve`.
// It exists only so the gateway benchmark compares like with like in one run; it is not product
// code and has no auth, no users and no history.
//
//   AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:PORT AWS_REGION=us-east-1 \
//   AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//   node bench/peers/gateway_peer.mjs --port 0 --mcp-url http://127.0.0.1:N/mcp
//   node bench/peers/gateway_peer.mjs --port 0 --mcp-command /path/to/server --mcp-args a,b
//
// Prints `listening url=http://127.0.0.1:<port>` on stderr once bound (the harness waits for it).
import http from 'node:http';
import { parseArgs } from 'node:util';

import { NodeHttpHandler } from '@smithy/node-http-handler';

import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const { values: options } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'mcp-url': { type: 'string' },
    'mcp-command': { type: 'string' },
    'mcp-args': { type: 'string', default: '' },
    'max-turns': { type: 'string', default: '20' },
  },
});

const maxTurns = Number(options['max-turns']);
// The SDK's Bedrock clients default to HTTP/2, which the emulator (like our gateway's client) does
// not speak: give it the SDK's own HTTP/1.1 handler, with a keep-alive pool large enough for every
// concurrent request (the default agent allows 50 sockets, fewer than the benchmark's 64 clients).
const bedrock = new BedrockRuntimeClient({
  maxAttempts: 3,
  requestHandler: new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
  }),
});

const mcp = new Client({ name: 'gateway-peer', version: '1.0.0' });
const transport = options['mcp-url']
  ? new StreamableHTTPClientTransport(new URL(options['mcp-url']))
  : new StdioClientTransport({
      command: options['mcp-command'],
      args: options['mcp-args'] ? options['mcp-args'].split(',') : [],
    });
await mcp.connect(transport);
const { tools } = await mcp.listTools();
const toolConfig = {
  tools: tools.map((tool) => ({
    toolSpec: {
      name: tool.name,
      description: tool.description || tool.name,
      inputSchema: { json: tool.inputSchema },
    },
  })),
};

// OpenAI chat messages -> Bedrock Converse messages and system prompt (text only).
function toBedrock(openaiMessages) {
  const system = [];
  const messages = [];
  for (const message of openaiMessages) {
    const text = typeof message.content === 'string'
      ? message.content
      : (message.content ?? []).filter((p) => p.type === 'text').map((p) => p.text).join('\n');
    if (message.role === 'system') system.push({ text });
    else messages.push({ role: message.role, content: [{ text }] });
  }
  return { system, messages };
}

async function runTools(content) {
  const calls = content.filter((block) => block.toolUse).map((block) => block.toolUse);
  const results = await Promise.all(calls.map(async (call) => {
    try {
      const result = await mcp.callTool({ name: call.name, arguments: call.input });
      const text = result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
      return { toolResult: { toolUseId: call.toolUseId, content: [{ text }],
                             status: result.isError ? 'error' : 'success' } };
    } catch (error) {
      return { toolResult: { toolUseId: call.toolUseId, content: [{ text: String(error) }],
                             status: 'error' } };
    }
  }));
  return { role: 'user', content: results };
}

async function converseLoop(model, system, messages) {
  for (let turn = 0; turn < maxTurns; turn++) {
    const response = await bedrock.send(new ConverseCommand({
      modelId: model, system, messages, toolConfig,
      inferenceConfig: { maxTokens: 4096, temperature: 0 },
    }));
    const output = response.output.message;
    messages.push(output);
    if (response.stopReason !== 'tool_use') {
      return { text: output.content.filter((b) => b.text).map((b) => b.text).join(''),
               usage: response.usage, stopReason: response.stopReason };
    }
    messages.push(await runTools(output.content));
  }
  return { text: '', usage: {}, stopReason: 'max_turns' };
}

async function converseStreamLoop(model, system, messages, write) {
  for (let turn = 0; turn < maxTurns; turn++) {
    const response = await bedrock.send(new ConverseStreamCommand({
      modelId: model, system, messages, toolConfig,
      inferenceConfig: { maxTokens: 4096, temperature: 0 },
    }));
    const content = [];
    let current = null;
    let stopReason = 'end_turn';
    for await (const event of response.stream) {
      if (event.contentBlockStart?.start?.toolUse) {
        const { toolUseId, name } = event.contentBlockStart.start.toolUse;
        current = { toolUse: { toolUseId, name, input: '' } };
      } else if (event.contentBlockDelta) {
        const delta = event.contentBlockDelta.delta;
        if (delta.text !== undefined) {
          if (!current) current = { text: '' };
          current.text += delta.text;
          write({ content: delta.text });
        } else if (delta.toolUse) {
          current.toolUse.input += delta.toolUse.input;
        }
      } else if (event.contentBlockStop) {
        if (current?.toolUse) current.toolUse.input = JSON.parse(current.toolUse.input || '{}');
        if (current) content.push(current);
        current = null;
      } else if (event.messageStop) {
        stopReason = event.messageStop.stopReason;
      }
    }
    messages.push({ role: 'assistant', content });
    if (stopReason !== 'tool_use') return stopReason;
    messages.push(await runTools(content));
  }
  return 'max_turns';
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const server = http.createServer(async (request, response) => {
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":"not found"}');
    return;
  }
  try {
    const body = JSON.parse(await readBody(request));
    const { system, messages } = toBedrock(body.messages);
    const id = `chatcmpl-${Date.now()}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta, finish = null) => response.write(`data: ${JSON.stringify({
        id, object: 'chat.completion.chunk', created, model: body.model,
        choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
      const stopReason = await converseStreamLoop(body.model, system, messages, chunk);
      chunk({}, stopReason === 'max_tokens' ? 'length' : 'stop');
      response.end('data: [DONE]\n\n');
      return;
    }
    const result = await converseLoop(body.model, system, messages);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({
      id, object: 'chat.completion', created, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: result.text },
                  finish_reason: result.stopReason === 'max_tokens' ? 'length' : 'stop' }],
      usage: { prompt_tokens: result.usage.inputTokens ?? 0,
               completion_tokens: result.usage.outputTokens ?? 0,
               total_tokens: result.usage.totalTokens ?? 0 },
    }));
  } catch (error) {
    if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: String(error) } }));
  }
});
server.keepAliveTimeout = 60000;
server.listen(Number(options.port), options.host, () => {
  const { address, port } = server.address();
  process.stderr.write(`listening url=http://${address}:${port}\n`);
});
const shutdown = async () => {
  server.close();
  await mcp.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
