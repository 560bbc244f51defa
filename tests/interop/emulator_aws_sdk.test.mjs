// The real AWS JS SDK v3 against `bedrock-mcp emulator`: every Bedrock Runtime and Agent Runtime
// operation the emulator serves is called through @aws-sdk/client-bedrock-runtime and
// @aws-sdk/client-bedrock-agent-runtime, which must accept every response; auth failures and
// throttling surface as the SDK's own exceptions. The emulator and the clients share static
// credentials through the standard AWS_* variables.
//
// The Bedrock clients default to HTTP/2; the emulator speaks HTTP/1.1, so each client is given
// the SDK's NodeHttpHandler (bedrock-protocols.md §8).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import {
  BedrockAgentRuntimeClient, InvokeAgentCommand, RetrieveCommand,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { sourceDir, startBinary } from './lib/harness.mjs';

const CREDENTIALS = {
  accessKeyId: 'AKIDEMULATORTEST0001',
  secretAccessKey: 'emulator/Secret+Key/For/Interop/Tests000',
  sessionToken: 'EMULATOR-SESSION-TOKEN',
};
const API_KEY = 'emulator-bedrock-api-key-0001';
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const PROFILE_ARN =
    'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0';
const TITAN = 'amazon.titan-embed-text-v2:0';
const WEATHER_TOOL = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather for a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } },
                           required: ['city'] } },
  },
};

// A tool the example script has no rule for, so the built-in default behaviour answers.
const CITY_TOOL = {
  toolSpec: {
    name: 'city_facts',
    description: 'Facts about a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } },
  },
};

let emulator;
let docsDir;

function runtime(options = {}) {
  return new BedrockRuntimeClient({
    region: 'us-east-1', endpoint: emulator.url, credentials: CREDENTIALS,
    requestHandler: new NodeHttpHandler(), maxAttempts: 1, ...options,
  });
}

function agentRuntime(options = {}) {
  return new BedrockAgentRuntimeClient({
    region: 'us-west-2', endpoint: emulator.url, credentials: CREDENTIALS,
    requestHandler: new NodeHttpHandler(), maxAttempts: 1, ...options,
  });
}

// Adds `x-emulator-fault` to every request the client sends (before signing, so it is signed
// like any other header, and before the retry loop, so retries carry it too).
function withFault(client, fault) {
  client.middlewareStack.add((next) => async (args) => {
    args.request.headers['x-emulator-fault'] = fault;
    return next(args);
  }, { step: 'build', name: 'emulatorFault' });
  return client;
}

const decoder = new TextDecoder();

before(async () => {
  docsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-kb-'));
  fs.writeFileSync(path.join(docsDir, 'france.txt'),
                   'Paris is the capital of France.\n\nThe Eiffel Tower stands in Paris.\n');
  fs.writeFileSync(path.join(docsDir, 'germany.md'),
                   '# Germany\n\nBerlin is the capital of Germany.\n');
  fs.writeFileSync(path.join(docsDir, 'germany.md.metadata.json'),
                   JSON.stringify({ metadataAttributes: { lang: 'de' } }));
  fs.writeFileSync(path.join(docsDir, 'cooking.txt'),
                   'Bread needs flour, water, yeast and salt.\n');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
                AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
                AWS_SESSION_TOKEN: CREDENTIALS.sessionToken, AWS_BEARER_TOKEN_BEDROCK: API_KEY };
  // The shipped example script: its rules only fire on their trigger phrases, so the default
  // behaviour (echo, named tool calls, summaries) still answers everything else.
  const script = path.join(sourceDir, 'conf/emulator-script.json');
  emulator = await startBinary(['emulator', '--port', '0', '--docs', docsDir, '--script', script],
                               { env });
});

after(async () => {
  await emulator?.stop();
  if (docsDir) fs.rmSync(docsDir, { recursive: true, force: true });
});

describe('Bedrock Runtime', () => {
  test('Converse echoes the user and reports usage', async () => {
    const out = await runtime().send(new ConverseCommand({
      modelId: CLAUDE,
      messages: [{ role: 'user', content: [{ text: 'Hello emulator' }] }],
      system: [{ text: 'You are terse.' }],
      inferenceConfig: { maxTokens: 256, temperature: 0.2 },
    }));
    assert.equal(out.output.message.role, 'assistant');
    assert.equal(out.output.message.content[0].text, 'Hello emulator');
    assert.equal(out.stopReason, 'end_turn');
    assert.ok(out.usage.inputTokens > 0 && out.usage.outputTokens > 0);
    assert.equal(out.usage.totalTokens, out.usage.inputTokens + out.usage.outputTokens);
    assert.ok(out.metrics.latencyMs > 0);
    assert.match(out.$metadata.requestId, /^[0-9a-f-]{36}$/);
  });

  test('Converse with an inference-profile ARN calls a tool, then answers with its result',
       async () => {
    const client = runtime();
    const messages = [{ role: 'user',
                        content: [{ text: 'Use city_facts with {"city": "Paris"} please' }] }];
    const first = await client.send(new ConverseCommand({
      modelId: PROFILE_ARN, messages, toolConfig: { tools: [CITY_TOOL] },
    }));
    assert.equal(first.stopReason, 'tool_use');
    const use = first.output.message.content.find((b) => b.toolUse).toolUse;
    assert.equal(use.name, 'city_facts');
    assert.deepEqual(use.input, { city: 'Paris' });
    assert.match(use.toolUseId, /^tooluse_[A-Za-z0-9]{22}$/);
    messages.push(first.output.message);
    messages.push({ role: 'user', content: [{ toolResult: {
      toolUseId: use.toolUseId, content: [{ json: { population: 2100000 } }],
      status: 'success' } }] });
    const second = await client.send(new ConverseCommand({
      modelId: PROFILE_ARN, messages, toolConfig: { tools: [CITY_TOOL] },
    }));
    assert.equal(second.stopReason, 'end_turn');
    assert.match(second.output.message.content[0].text, /city_facts tool returned.*"population":2100000/);
  });

  test('ConverseStream streams text in several deltas, then metadata', async () => {
    const out = await runtime().send(new ConverseStreamCommand({
      modelId: CLAUDE,
      messages: [{ role: 'user', content: [{ text: 'Stream this sentence back to me, please.' }] }],
    }));
    const kinds = [];
    let text = '';
    let usage;
    for await (const event of out.stream) {
      const kind = Object.keys(event).find((k) => event[k] !== undefined);
      kinds.push(kind);
      if (event.contentBlockDelta) text += event.contentBlockDelta.delta.text;
      if (event.metadata) usage = event.metadata.usage;
    }
    assert.equal(text, 'Stream this sentence back to me, please.');
    assert.equal(kinds[0], 'messageStart');
    assert.ok(kinds.filter((k) => k === 'contentBlockDelta').length >= 2, kinds.join(','));
    assert.deepEqual(kinds.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
    assert.ok(usage.outputTokens > 0);
  });

  test('ConverseStream streams a tool call as a start and input fragments', async () => {
    const out = await runtime().send(new ConverseStreamCommand({
      modelId: CLAUDE,
      messages: [{ role: 'user',
                   content: [{ text: 'call get_weather {"city":"Lyon","unit":"celsius"}' }] }],
      toolConfig: { tools: [WEATHER_TOOL] },
    }));
    let start;
    let input = '';
    let fragments = 0;
    let stopReason;
    for await (const event of out.stream) {
      if (event.contentBlockStart?.start?.toolUse) start = event.contentBlockStart;
      if (event.contentBlockDelta?.delta?.toolUse) {
        input += event.contentBlockDelta.delta.toolUse.input;
        fragments++;
      }
      if (event.messageStop) stopReason = event.messageStop.stopReason;
    }
    assert.equal(start.start.toolUse.name, 'get_weather');
    assert.ok(fragments >= 2);
    assert.deepEqual(JSON.parse(input), { city: 'Lyon', unit: 'celsius' });
    assert.equal(stopReason, 'tool_use');
  });

  test('ConverseStream reasoning when thinking is enabled', async () => {
    const out = await runtime().send(new ConverseStreamCommand({
      modelId: CLAUDE,
      messages: [{ role: 'user', content: [{ text: 'Think first' }] }],
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    }));
    let reasoning = '';
    let signature;
    for await (const event of out.stream) {
      const r = event.contentBlockDelta?.delta?.reasoningContent;
      if (r?.text) reasoning += r.text;
      if (r?.signature) signature = r.signature;
    }
    assert.match(reasoning, /Think first/);
    assert.ok(signature);
  });

  test('InvokeModel with a Claude Messages body', async () => {
    const body = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 100,
                   messages: [{ role: 'user', content: [{ type: 'text', text: 'hi claude' }] }] };
    const out = await runtime().send(new InvokeModelCommand({
      modelId: CLAUDE, contentType: 'application/json', accept: 'application/json',
      body: JSON.stringify(body),
    }));
    const message = JSON.parse(decoder.decode(out.body));
    assert.equal(message.type, 'message');
    assert.equal(message.model, 'claude-3-haiku-20240307');
    assert.deepEqual(message.content, [{ type: 'text', text: 'hi claude' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.ok(message.usage.input_tokens > 0);
    assert.equal(out.contentType, 'application/json');
  });

  test('InvokeModelWithResponseStream with Claude streams Anthropic events', async () => {
    const body = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 100,
                   messages: [{ role: 'user', content: 'a longer message to stream back' }] };
    const out = await runtime().send(new InvokeModelWithResponseStreamCommand({
      modelId: CLAUDE, contentType: 'application/json', body: JSON.stringify(body),
    }));
    const types = [];
    let text = '';
    let metrics;
    for await (const event of out.body) {
      const chunk = JSON.parse(decoder.decode(event.chunk.bytes));
      types.push(chunk.type);
      if (chunk.delta?.type === 'text_delta') text += chunk.delta.text;
      if (chunk.type === 'message_stop') metrics = chunk['amazon-bedrock-invocationMetrics'];
    }
    assert.equal(text, 'a longer message to stream back');
    assert.equal(types[0], 'message_start');
    assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
    assert.ok(metrics.outputTokenCount > 0);
  });

  test('InvokeModel with Titan Text Embeddings V2: similar texts are closer', async () => {
    const client = runtime();
    const embed = async (inputText) => {
      const out = await client.send(new InvokeModelCommand({
        modelId: TITAN, contentType: 'application/json', accept: 'application/json',
        body: JSON.stringify({ inputText, dimensions: 256, normalize: true,
                               embeddingTypes: ['float'] }),
      }));
      const json = JSON.parse(decoder.decode(out.body));
      assert.equal(json.embedding.length, 256);
      assert.deepEqual(json.embeddingsByType.float, json.embedding);
      assert.ok(json.inputTextTokenCount > 0);
      return json.embedding;
    };
    const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
    const a = await embed('The capital of France is Paris');
    const b = await embed('Paris is the capital city of France');
    const c = await embed('Bread needs flour and yeast');
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-4);
    assert.ok(dot(a, b) > dot(a, c) + 0.2, `${dot(a, b)} vs ${dot(a, c)}`);
    assert.deepEqual(await embed('The capital of France is Paris'), a);
  });

  test('an unknown model is a ValidationException', async () => {
    await assert.rejects(
      runtime().send(new ConverseCommand({
        modelId: 'acme.unknown-model-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      })),
      (e) => e.name === 'ValidationException' && e.$metadata.httpStatusCode === 400 &&
             /model identifier is invalid/.test(e.message));
  });

  test('a conversation starting with the assistant is a ValidationException', async () => {
    await assert.rejects(
      runtime().send(new ConverseCommand({
        modelId: CLAUDE, messages: [{ role: 'assistant', content: [{ text: 'hi' }] }],
      })),
      (e) => e.name === 'ValidationException' && /must start with a user message/.test(e.message));
  });
});

describe('Agent Runtime', () => {
  test('Retrieve ranks the relevant chunk first, with location and metadata', async () => {
    const out = await agentRuntime().send(new RetrieveCommand({
      knowledgeBaseId: 'KB12345678',
      retrievalQuery: { text: 'What is the capital of France?' },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 2 } },
    }));
    assert.equal(out.retrievalResults.length, 2);
    const [top, next] = out.retrievalResults;
    assert.match(top.content.text, /Paris is the capital of France/);
    assert.equal(top.content.type, 'TEXT');
    assert.equal(top.location.type, 'S3');
    assert.match(top.location.s3Location.uri, /^s3:\/\/.+\/france\.txt$/);
    assert.equal(top.metadata['x-amz-bedrock-kb-source-uri'], top.location.s3Location.uri);
    assert.ok(top.score > next.score && top.score <= 1);
  });

  test('Retrieve applies a metadata filter', async () => {
    const out = await agentRuntime().send(new RetrieveCommand({
      knowledgeBaseId: 'KB12345678',
      retrievalQuery: { text: 'capital' },
      retrievalConfiguration: { vectorSearchConfiguration: {
        numberOfResults: 5, filter: { equals: { key: 'lang', value: 'de' } } } },
    }));
    assert.equal(out.retrievalResults.length, 1);
    assert.match(out.retrievalResults[0].content.text, /Berlin/);
    assert.equal(out.retrievalResults[0].metadata.lang, 'de');
  });

  test('InvokeAgent answers from the knowledge base with citations', async () => {
    const out = await agentRuntime().send(new InvokeAgentCommand({
      agentId: 'AGENT12345', agentAliasId: 'TSTALIASID', sessionId: 'session-1',
      inputText: 'Where is the Eiffel Tower?', enableTrace: true,
    }));
    assert.equal(out.sessionId, 'session-1');
    assert.equal(out.contentType, 'application/json');
    let text = '';
    let citations = [];
    let traces = 0;
    for await (const event of out.completion) {
      if (event.chunk) {
        text += decoder.decode(event.chunk.bytes);
        citations = citations.concat(event.chunk.attribution?.citations ?? []);
      }
      if (event.trace) traces++;
    }
    assert.match(text, /Eiffel Tower/);
    assert.ok(traces >= 1);
    assert.ok(citations.length >= 1);
    const ref = citations[0].retrievedReferences[0];
    assert.match(ref.location.s3Location.uri, /france\.txt$/);
    assert.equal(citations[0].generatedResponsePart.textResponsePart.text, text);
  });
});

describe('scripted model (conf/emulator-script.json)', () => {
  test('a weather question calls the tool, and its result is templated into the answer',
       async () => {
    const client = runtime();
    const messages = [{ role: 'user', content: [{ text: "What's the weather in Paris?" }] }];
    const first = await client.send(new ConverseCommand({
      modelId: CLAUDE, messages, toolConfig: { tools: [WEATHER_TOOL] },
    }));
    assert.equal(first.stopReason, 'tool_use');
    assert.equal(first.output.message.content[0].text, 'Let me check the weather in Paris.');
    const use = first.output.message.content[1].toolUse;
    assert.deepEqual(use.input, { city: 'Paris', unit: 'celsius' });
    messages.push(first.output.message);
    messages.push({ role: 'user', content: [{ toolResult: {
      toolUseId: use.toolUseId, content: [{ json: { tempC: 21, sky: 'clear' } }] } }] });
    const second = await client.send(new ConverseCommand({
      modelId: CLAUDE, messages, toolConfig: { tools: [WEATHER_TOOL] },
    }));
    assert.equal(second.output.message.content[0].text, 'It is 21 °C and clear in Paris.');
  });

  test('one answer may call several tools at once', async () => {
    const out = await runtime().send(new ConverseCommand({
      modelId: CLAUDE, toolConfig: { tools: [WEATHER_TOOL] },
      messages: [{ role: 'user', content: [{ text: 'Compare the weather in Oslo and Rome' }] }],
    }));
    const cities = out.output.message.content.filter((b) => b.toolUse)
        .map((b) => b.toolUse.input.city);
    assert.deepEqual(cities, ['Oslo', 'Rome']);
  });

  test('a rule may throttle', async () => {
    await assert.rejects(
      runtime().send(new ConverseCommand({
        modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'simulate throttling' }] }],
      })),
      (e) => e.name === 'ThrottlingException');
  });

  test('InvokeAgent returns control for a tool, then answers with its result', async () => {
    const client = agentRuntime();
    const ids = { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID', sessionId: 'weather-1' };
    const first = await client.send(new InvokeAgentCommand({
      ...ids, inputText: "What's the weather in Paris?",
    }));
    let control;
    for await (const event of first.completion) if (event.returnControl) control = event.returnControl;
    const input = control.invocationInputs[0].functionInvocationInput;
    assert.equal(input.function, 'get_weather');
    assert.deepEqual(input.parameters, [{ name: 'city', type: 'string', value: 'Paris' }]);
    const second = await client.send(new InvokeAgentCommand({
      ...ids,
      sessionState: {
        invocationId: control.invocationId,
        returnControlInvocationResults: [{ functionResult: {
          actionGroup: input.actionGroup, function: 'get_weather',
          responseBody: { TEXT: { body: '{"tempC":19,"sky":"cloudy"}' } } } }],
      },
    }));
    let text = '';
    for await (const event of second.completion) {
      if (event.chunk) text += decoder.decode(event.chunk.bytes);
    }
    assert.equal(text, 'It is 19 °C and cloudy in Paris.');
  });
});

describe('authentication', () => {
  test('a Bedrock API key (bearer) is accepted on Bedrock Runtime', async () => {
    const client = runtime({ credentials: undefined, token: { token: API_KEY },
                             authSchemePreference: ['httpBearerAuth'] });
    const out = await client.send(new ConverseCommand({
      modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'bearer hello' }] }],
    }));
    assert.equal(out.output.message.content[0].text, 'bearer hello');
  });

  test('a wrong Bedrock API key is a 403', async () => {
    const client = runtime({ credentials: undefined, token: { token: 'wrong-key' },
                             authSchemePreference: ['httpBearerAuth'] });
    await assert.rejects(
      client.send(new ConverseCommand({
        modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'x' }] }],
      })),
      (e) => e.$metadata.httpStatusCode === 403);
  });

  test('a wrong secret is a 403 InvalidSignatureException', async () => {
    const client = runtime({ credentials: { ...CREDENTIALS, secretAccessKey: 'wrong-secret' } });
    await assert.rejects(
      client.send(new ConverseCommand({
        modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      })),
      (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
  });

  test('an unknown access key is a 403 UnrecognizedClientException', async () => {
    const client = agentRuntime({ credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' } });
    await assert.rejects(
      client.send(new RetrieveCommand({ knowledgeBaseId: 'KB1', retrievalQuery: { text: 'x' } })),
      (e) => e.name === 'UnrecognizedClientException' && e.$metadata.httpStatusCode === 403);
  });
});

describe('faults', () => {
  test('a throttled request is retried by the SDK and then succeeds', async () => {
    const client = withFault(runtime({ maxAttempts: 3 }), 'throttle;attempts=1');
    const out = await client.send(new ConverseCommand({
      modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'retry me' }] }],
    }));
    assert.equal(out.output.message.content[0].text, 'retry me');
    assert.equal(out.$metadata.attempts, 2);
  });

  test('throttling on every attempt surfaces as ThrottlingException', async () => {
    const client = withFault(runtime(), 'throttle');
    await assert.rejects(
      client.send(new ConverseCommand({
        modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'x' }] }],
      })),
      (e) => e.name === 'ThrottlingException' && e.$metadata.httpStatusCode === 429);
  });

  test('a 503 is ServiceUnavailableException', async () => {
    const client = withFault(runtime(), 'error503');
    await assert.rejects(
      client.send(new InvokeModelCommand({ modelId: TITAN, body: '{"inputText":"x"}' })),
      (e) => e.name === 'ServiceUnavailableException' && e.$fault === 'server');
  });

  test('an exception frame mid-stream raises ModelStreamErrorException', async () => {
    const client = withFault(runtime(), 'exception-mid-stream;after=2');
    const out = await client.send(new ConverseStreamCommand({
      modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'a fairly long text' }] }],
    }));
    let events = 0;
    await assert.rejects(async () => {
      for await (const event of out.stream) { if (event) events++; }
    }, (e) => e.name === 'ModelStreamErrorException' && e.originalStatusCode === 500);
    assert.equal(events, 2);
  });

  test('a corrupt frame fails the stream with a checksum error', async () => {
    const client = withFault(runtime(), 'corrupt-frame');
    const out = await client.send(new ConverseStreamCommand({
      modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'corrupt me please' }] }],
    }));
    await assert.rejects(async () => {
      for await (const event of out.stream) { assert.ok(event); }
    }, /checksum/i);
  });
});
