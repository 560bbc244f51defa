// The official `openai` npm client against the emulator's OpenAI-compatible API
// (/v1/chat/completions, /v1/models): plain and streamed completions, tools, usage, API keys,
// throttling retried by the client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import OpenAI from 'openai';

import { startBinary } from './lib/harness.mjs';

const API_KEY = 'emulator-openai-key-0001';
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const TOOLS = [{
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

let emulator;

function client(options = {}) {
  return new OpenAI({ apiKey: API_KEY, baseURL: `${emulator.url}/v1`, maxRetries: 0, ...options });
}

before(async () => {
  const env = { ...process.env, AWS_BEARER_TOKEN_BEDROCK: API_KEY };
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  delete env.AWS_SESSION_TOKEN;
  emulator = await startBinary(['emulator', '--port', '0'], { env });
});

after(async () => { await emulator?.stop(); });

test('models lists the chat models', async () => {
  const ids = [];
  for await (const model of client().models.list()) ids.push(model.id);
  assert.ok(ids.includes(MODEL));
  assert.ok(!ids.includes('amazon.titan-embed-text-v2:0'));
});

test('a completion echoes the user with usage', async () => {
  const out = await client().chat.completions.create({
    model: MODEL,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'ping pong' }],
  });
  assert.equal(out.object, 'chat.completion');
  assert.equal(out.choices[0].message.content, 'ping pong');
  assert.equal(out.choices[0].finish_reason, 'stop');
  assert.ok(out.usage.prompt_tokens > 0 && out.usage.completion_tokens > 0);
});

test('a completion with tools calls one, then answers from its result', async () => {
  const messages = [{ role: 'user', content: 'get_weather {"city":"Oslo"}' }];
  const first = await client().chat.completions.create({ model: MODEL, messages, tools: TOOLS });
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  const call = first.choices[0].message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Oslo' });
  messages.push(first.choices[0].message);
  messages.push({ role: 'tool', tool_call_id: call.id, content: '{"tempC":3}' });
  const second = await client().chat.completions.create({ model: MODEL, messages, tools: TOOLS });
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.match(second.choices[0].message.content, /get_weather tool returned: \{"tempC":3\}/);
});

test('a streamed completion arrives in several chunks with usage last', async () => {
  const stream = await client().chat.completions.create({
    model: MODEL, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Please stream this fairly long sentence back.' }],
  });
  let text = '';
  let chunks = 0;
  let finish;
  let usage;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.choices[0]?.delta?.content) text += chunk.choices[0].delta.content;
    if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'Please stream this fairly long sentence back.');
  assert.ok(chunks >= 3);
  assert.equal(finish, 'stop');
  assert.ok(usage.total_tokens > 0);
});

test('a streamed completion with tools assembles the tool call', async () => {
  const stream = client().chat.completions.stream({
    model: MODEL, tools: TOOLS,
    messages: [{ role: 'user', content: 'get_weather {"city":"Rome"}' }],
  });
  const final = await stream.finalChatCompletion();
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Rome' });
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('a wrong API key is a 401 AuthenticationError', async () => {
  await assert.rejects(
    client({ apiKey: 'wrong' }).chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'x' }],
    }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
});

test('an unknown model is a 404 NotFoundError', async () => {
  await assert.rejects(
    client().chat.completions.create({
      model: 'acme.unknown-model', messages: [{ role: 'user', content: 'x' }],
    }),
    (e) => e instanceof OpenAI.NotFoundError);
});

test('a throttled request is retried by the client and then succeeds', async () => {
  const out = await client({ maxRetries: 2 }).chat.completions.create(
    { model: MODEL, messages: [{ role: 'user', content: 'after a 429' }] },
    { headers: { 'x-emulator-fault': 'throttle;attempts=1' } });
  assert.equal(out.choices[0].message.content, 'after a 429');
});

test('an error mid-stream is raised by the client', async () => {
  const stream = await client().chat.completions.create(
    { model: MODEL, stream: true, messages: [{ role: 'user', content: 'some text to stream' }] },
    { headers: { 'x-emulator-fault': 'exception-mid-stream' } });
  await assert.rejects(async () => { for await (const chunk of stream) assert.ok(chunk); });
});
