// The chat endpoint of the real `bedrock-mcp serve` against the real `bedrock-mcp emulator`
// (scripted model, SigV4 with shared static keys) and real MCP servers over stdio
// (`bedrock-mcp mcp-server everything`, a TS SDK test server with misbehaving tools), driven by the
// official `openai` npm client and by raw fetch in the demo's exact request shapes.
//
// Scenarios: the demo's curl request, stream and not, both response styles; a two-tool parallel
// call; a tool that times out; a server that crashes mid-call; throttling then recovery;
// max_tokens; a client disconnecting mid-stream; stop-stream; keep_session across requests and a
// restart; 50 users at once; a new user's concurrent first requests; approvals granted, denied and
// timed out; a 10 MB tool result; bad JSON, unknown model, unknown server id, missing/wrong API
// key, oversize body.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import OpenAI from 'openai';

import { binary, nodeBinary, sourceDir, startBinary } from './lib/harness.mjs';

const API_KEY = 'chat-interop-key';
const MODEL = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const AWS_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDCHATTEST0001', AWS_SECRET_ACCESS_KEY: 'chat-test-secret-key' };
const TEST_SERVER = path.join(sourceDir, 'tests/interop/tools/chat_test_server.mjs');
const LONG_STORY = Array.from({ length: 300 }, (_, i) => `Sentence ${i + 1} of a long story.`).join(' ');
const EVERYTHING = ['mcp-server', 'everything', '--transport', 'stdio'];

const SCRIPT = {
  rules: [
    { name: 'big-answer', when: { toolResult: 'tester___big' }, respond: { text: 'The big result arrived.' } },
    { name: 'crash-answer', when: { toolResult: 'tester___crash' }, respond: { text: 'The server went away.' } },
    { name: 'slow-answer', when: { toolResult: 'slow___slow' }, respond: { text: 'The slow tool answered.' } },
    { name: 'guarded-answer', when: { toolResult: 'guarded___echo' }, respond: { text: 'Guarded result seen.' } },
    { name: 'parallel-answer', when: { toolResult: true }, respond: { text: 'Both tools answered.' } },
    { name: 'parallel', when: { contains: 'use two tools', toolAvailable: 'ours___add' },
      respond: { text: 'Calling both.', toolCalls: [{ name: 'ours___add', input: { a: 2, b: 3 } },
                                                    { name: 'ours___echo', input: { message: 'hi there' } }] } },
    { name: 'big', when: { contains: 'huge result' }, respond: { toolCalls: [{ name: 'tester___big', input: { megabytes: 10 } }] } },
    { name: 'crash', when: { contains: 'crash the server' }, respond: { toolCalls: [{ name: 'tester___crash', input: {} }] } },
    { name: 'slow', when: { contains: 'slow tool' }, respond: { toolCalls: [{ name: 'slow___slow', input: { seconds: 5 } }] } },
    { name: 'guarded', when: { contains: 'guarded echo' },
      respond: { toolCalls: [{ name: 'guarded___echo', input: { message: 'secret' } }] } },
    { name: 'throttled', when: { contains: 'throttle me' },
      respond: { text: 'Recovered after throttling.', fault: 'throttle;attempts=2' } },
    { name: 'truncated', when: { contains: 'tell me everything' },
      respond: { text: 'Here is the beginning', stopReason: 'max_tokens' } },
    { name: 'story', when: { contains: 'long story' }, respond: { text: LONG_STORY } },
    { name: 'partial-kept', when: { contains: 'what came before', turn: 2 }, respond: { text: 'partial kept' } },
    { name: 'isolated', when: { contains: 'recall', turn: 2 }, respond: { text: 'isolated' } },
    { name: 'leaked', when: { contains: 'recall' }, respond: { text: 'turn {{turn}}' } },
    { name: 'after-restart', when: { contains: 'third question', turn: 3 }, respond: { text: 'I remember both.' } },
    { name: 'second', when: { contains: 'second question', turn: 2 }, respond: { text: 'I remember the first question.' } },
    { name: 'think', when: { contains: 'think step by step' },
      respond: { reasoning: 'Let me think.', text: 'The answer is 42.' } },
  ],
};

let work;
let emulator;
let gateway;
let gatewayEnv;

async function startGateway() {
  gateway = await startBinary(['serve', '--config', path.join(work, 'config.json')],
                              { env: gatewayEnv, cwd: work });
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-chat-'));
  fs.writeFileSync(path.join(work, 'script.json'), JSON.stringify(SCRIPT));
  fs.writeFileSync(path.join(work, 'emulator.json'), JSON.stringify({
    acceptAnyModel: true, script: path.join(work, 'script.json'),
    auth: { mode: 'verify', credentials: [{ accessKeyId: AWS_KEYS.AWS_ACCESS_KEY_ID,
                                            secretAccessKey: AWS_KEYS.AWS_SECRET_ACCESS_KEY }] },
    stream: { chunkBytes: 24, delayMs: 4 },
  }));
  emulator = await startBinary(['emulator', '--port', '0', '--config', path.join(work, 'emulator.json')]);
  fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({
    server: { listen: '127.0.0.1:0' },
    log: { level: 'info' },
    models: [{ model_id: MODEL, model_name: 'Claude Sonnet 4 (emulated)' }],
    mcpServers: {
      ours: { command: binary, args: EVERYTHING, description: 'bedrock-mcp everything' },
      tester: { command: nodeBinary, args: [TEST_SERVER], description: 'misbehaving tools' },
      slow: { command: nodeBinary, args: [TEST_SERVER], call_timeout_ms: 500 },
      guarded: { command: binary, args: EVERYTHING, requires_approval: ['echo'] },
    },
    store: { url: `sqlite:${path.join(work, 'gateway.db')}` },
    chat: { approval_timeout_ms: 2000, max_request_bytes: 262144, max_tool_result_chars: 50000 },
    limits: { max_turns: 10 },
  }));
  gatewayEnv = {
    ...process.env, ...AWS_KEYS, API_KEY, AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url, AWS_MAX_ATTEMPTS: '3',
  };
  delete gatewayEnv.AWS_SESSION_TOKEN;
  delete gatewayEnv.AWS_BEARER_TOKEN_BEDROCK;
  delete gatewayEnv.AWS_PROFILE;
  await startGateway();
});

after(async () => {
  await gateway?.stop();
  await emulator?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function headers(user, extra = {}) {
  return { Authorization: `Bearer ${API_KEY}`, 'X-User-ID': user, 'Content-Type': 'application/json', ...extra };
}

function post(route, body, user, extra = {}) {
  return fetch(gateway.url + route, {
    method: 'POST', headers: headers(user, extra),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// The demo UI's body (demo-api.md §5).
function demoBody(text, { servers = [], keep = false, stream = true, extra = {} } = {}) {
  return {
    messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: text }],
    model: MODEL, mcp_server_ids: servers,
    extra_params: { only_n_most_recent_images: 1, budget_tokens: 8192, enable_thinking: false },
    stream, temperature: 0.7, max_tokens: 4000, keep_session: keep, ...extra,
  };
}

// Reads a whole SSE body: the data payloads (JSON parsed, or the string "[DONE]"), checking the
// demo framing (every event is `data: <one line>` or a comment).
async function readEvents(response, onChunk) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(':')) continue;
      assert.ok(block.startsWith('data: ') && !block.includes('\n'), `bad SSE block: ${block.slice(0, 200)}`);
      const data = block.slice(6);
      const event = data === '[DONE]' ? data : JSON.parse(data);
      events.push(event);
      if (onChunk && (await onChunk(event, events)) === 'stop') {
        await reader.cancel();
        return events;
      }
    }
  }
  assert.equal(buffer, '', 'the body ended in the middle of an event');
  return events;
}

const choice = (e) => (e === '[DONE]' ? null : e.choices?.[0]);
const finishes = (events) => events.map((e) => choice(e)?.finish_reason ?? (e === '[DONE]' ? '[DONE]' : null))
  .filter((f) => f !== null);
const contentOf = (events) => events.map((e) => choice(e)?.delta?.content ?? '').join('');
function toolRounds(events) {
  return events.filter((e) => typeof choice(e)?.message_extras?.tool_use === 'string')
    .map((e) => JSON.parse(choice(e).message_extras.tool_use));
}

async function streamChat(body, user, extra) {
  const response = await post('/v1/chat/completions', body, user, extra);
  assert.equal(response.status, 200, await (response.status === 200 ? '' : response.text()));
  assert.match(response.headers.get('content-type'), /text\/event-stream/);
  const streamId = response.headers.get('x-stream-id');
  assert.match(streamId, new RegExp(`^stream_${user}_\\d+$`));
  return { response, streamId, events: await readEvents(response) };
}

describe('chat completions, demo style', () => {
  test("the demo README's curl request streams the demo chunk sequence", async () => {
    const { events } = await streamChat({
      model: MODEL, mcp_server_ids: [], stream: true, keep_session: false,
      messages: [{ role: 'user', content: 'hello from curl' }],
    }, 'curl1');
    assert.deepEqual(finishes(events), ['end_turn', '[DONE]']);
    assert.equal(events.at(-2), '[DONE]');  // then one more (usage metadata) chunk
    assert.deepEqual(choice(events.at(-1)).delta, {});
    assert.deepEqual(choice(events[0]).delta, { role: 'assistant' });
    assert.equal(contentOf(events), 'hello from curl');
    const ids = new Set(events.filter((e) => e !== '[DONE]').map((e) => e.id));
    assert.equal(ids.size, events.length - 1, 'every chunk has its own id');
    for (const e of events.filter((x) => x !== '[DONE]')) {
      assert.equal(e.object, 'chat.completion.chunk');
      assert.equal(e.model, MODEL);
      assert.match(e.id, /^chat\d+$/);
    }
  });

  test('thinking arrives inside <thinking> tags when enabled', async () => {
    const { events } = await streamChat(
      demoBody('think step by step', { extra: { extra_params: { enable_thinking: true, budget_tokens: 2048 } } }), 'think1');
    assert.match(contentOf(events), /^<thinking>Let me think\.<\/thinking>The answer is 42\.$/);
  });

  test('a two-tool parallel call: tool_use twice, the round as a JSON string, then the answer', async () => {
    const { events } = await streamChat(demoBody('use two tools please', { servers: ['ours'] }), 'par1');
    assert.deepEqual(finishes(events), ['tool_use', 'tool_use', 'end_turn', '[DONE]']);
    const [round] = toolRounds(events);
    assert.equal(round.length, 4);
    assert.deepEqual(round.filter((x) => x.name).map((x) => x.name).sort(), ['ours___add', 'ours___echo']);
    assert.equal(round[0].toolUseId, round[1].toolUseId);
    const texts = round.filter((x) => !x.name).map((x) => x.content[0].text).join(' ');
    assert.match(texts, /5/);
    assert.match(texts, /hi there/);
    assert.match(contentOf(events), /<tool_input>.*<\/tool_input>/s);
    assert.match(contentOf(events), /Both tools answered\.$/);
  });

  test('a tool that times out becomes an error result and the answer goes on', async () => {
    const started = Date.now();
    const { events } = await streamChat(demoBody('call the slow tool', { servers: ['slow'] }), 'slow1');
    assert.ok(Date.now() - started < 4500, 'the 500 ms call timeout was applied');
    const [round] = toolRounds(events);
    assert.equal(round[1].status, 'error');
    assert.match(round[1].content[0].text, /slow|time/i);
    assert.match(contentOf(events), /The slow tool answered\.$/);
  });

  test('a server that crashes mid-call becomes an error result naming it', async () => {
    const { events } = await streamChat(demoBody('crash the server now', { servers: ['tester'] }), 'crash1');
    const [round] = toolRounds(events);
    assert.equal(round[1].status, 'error');
    assert.match(round[1].content[0].text, /tester/);
    assert.match(contentOf(events), /The server went away\.$/);
    // The next request starts it again.
    const again = await streamChat(demoBody('use the huge result', { servers: ['tester'] }), 'crash1');
    assert.match(contentOf(again.events), /The big result arrived\.$/);
  });

  test('a 10 MB tool result is cut to the configured limit with a marker', async () => {
    const { events } = await streamChat(demoBody('huge result please', { servers: ['tester'] }), 'big1');
    const [round] = toolRounds(events);
    const text = round[1].content[0].text;
    assert.ok(text.length < 60000, `result of ${text.length} characters`);
    assert.match(text, /truncated/);
    assert.match(contentOf(events), /The big result arrived\.$/);
  });

  test('throttling is retried and the answer recovers', async () => {
    const { events } = await streamChat(demoBody('throttle me twice'), 'throttle1');
    assert.equal(contentOf(events), 'Recovered after throttling.');
    assert.deepEqual(finishes(events), ['end_turn', '[DONE]']);
  });

  test('max_tokens ends with its finish_reason and [DONE]', async () => {
    const { events } = await streamChat(demoBody('tell me everything'), 'max1');
    assert.deepEqual(finishes(events), ['max_tokens', '[DONE]']);
    assert.equal(contentOf(events), 'Here is the beginning');
  });

  test('stop-stream answers at once and ends the stream with stop_requested', async () => {
    const response = await post('/v1/chat/completions', demoBody('tell me a long story', { keep: true }), 'stop1');
    const streamId = response.headers.get('x-stream-id');
    let stopReply;
    let otherReply;
    const events = await readEvents(response, async (event) => {
      if (stopReply || !choice(event)?.delta?.content) return;
      const other = await post(`/v1/stop/stream/${streamId}`, '', 'stop2');
      otherReply = await other.json();
      const started = Date.now();
      const stop = await post(`/v1/stop/stream/${streamId}`, '', 'stop1');
      stopReply = await stop.json();
      assert.ok(Date.now() - started < 1000);
    });
    assert.deepEqual(otherReply, { errno: -1, msg: 'Not authorized to stop this stream' });
    assert.deepEqual(stopReply, { errno: 0, msg: 'Stream stopping initiated' });
    assert.deepEqual(finishes(events).slice(-2), ['stop_requested', '[DONE]']);
    assert.match(events.at(-2).id, /^stop\d+$/);
    assert.ok(contentOf(events).length < LONG_STORY.length);
  });

  test('a client disconnecting mid-stream cancels the run; the history stays usable', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', headers: headers('gone1'), signal: controller.signal,
      body: JSON.stringify(demoBody('tell me a long story', { keep: true })),
    });
    await readEvents(response, (event) => (choice(event)?.delta?.content ? 'stop' : undefined))
      .catch(() => {});
    controller.abort();
    const started = Date.now();
    const { events } = await streamChat(demoBody('what came before?', { keep: true }), 'gone1');
    assert.equal(contentOf(events), 'partial kept');
    assert.ok(Date.now() - started < 2500, 'the cancelled run ended promptly');
  });
});

describe('keep_session', () => {
  test('history carries across requests and a restart', async () => {
    await streamChat(demoBody('first question', { keep: true }), 'keeper');
    const second = await streamChat(demoBody('second question', { keep: true }), 'keeper');
    assert.equal(contentOf(second.events), 'I remember the first question.');
    await gateway.stop();
    await startGateway();
    const third = await streamChat(demoBody('third question', { keep: true }), 'keeper');
    assert.equal(contentOf(third.events), 'I remember both.');
  });

  test('50 users at once are isolated', async () => {
    const users = Array.from({ length: 50 }, (_, i) => `iso${i}`);
    const first = await Promise.all(users.map(async (user) => {
      const response = await post('/v1/chat/completions',
                                  demoBody(`hello from ${user}`, { keep: true, stream: false }), user);
      assert.equal(response.status, 200);
      return (await response.json()).choices[0].message.content;
    }));
    assert.deepEqual(first, users.map((u) => `hello from ${u}`));
    const second = await Promise.all(users.map(async (user) => {
      const { events } = await streamChat(demoBody('recall please', { keep: true }), user);
      return contentOf(events);
    }));
    assert.deepEqual(second, users.map(() => 'isolated'));
  });

  test("one user's concurrent keep_session requests each land in the history", async () => {
    const user = 'samekeeper';
    await Promise.all(Array.from({ length: 5 }, (_, i) =>
      streamChat(demoBody(`message ${i}`, { keep: true }), user)));
    // Five exchanges before: this request is the model's sixth turn.
    const { events } = await streamChat(demoBody('recall now', { keep: true }), user);
    assert.equal(contentOf(events), 'turn 6');
  });

  test("a new user's concurrent first requests all succeed", async () => {
    const user = `fresh${Date.now()}`;
    const calls = [
      ...Array.from({ length: 3 }, () => fetch(`${gateway.url}/v1/list/models`, { headers: headers(user) })),
      ...Array.from({ length: 3 }, () => fetch(`${gateway.url}/v1/list/mcp_server`, { headers: headers(user) })),
      post('/v1/chat/completions', demoBody('one', { stream: false, servers: ['ours'] }), user),
      post('/v1/chat/completions', demoBody('two', { stream: false, servers: ['ours'] }), user),
    ];
    const responses = await Promise.all(calls);
    for (const response of responses) assert.equal(response.status, 200);
  });
});

describe('approvals', () => {
  async function guardedRun(user, decide) {
    const response = await post('/v1/chat/completions', demoBody('guarded echo please', { servers: ['guarded'] }), user);
    let approval;
    const events = await readEvents(response, async (event) => {
      const a = choice(event)?.message_extras?.approval;
      if (!a || !a.server) return;
      approval = a;
      if (decide !== undefined) {
        const other = await post(`/v1/approve/${a.id}`, { approved: true }, `${user}-other`);
        assert.equal(other.status, 404);
        const reply = await post(`/v1/approve/${a.id}`, { approved: decide }, user);
        assert.equal(reply.status, 200);
        assert.equal((await reply.json()).errno, 0);
      }
    });
    assert.equal(approval.server, 'guarded');
    assert.equal(approval.tool, 'echo');
    assert.deepEqual(approval.arguments, { message: 'secret' });
    const outcome = events.map((e) => choice(e)?.message_extras?.approval).filter((a) => a && a.state).at(-1);
    return { events, outcome, round: toolRounds(events)[0] };
  }

  test('granted: the call runs', async () => {
    const { outcome, round, events } = await guardedRun('appr1', true);
    assert.equal(outcome.state, 'approved');
    assert.match(round[1].content[0].text, /secret/);
    assert.match(contentOf(events), /Guarded result seen\.$/);
  });

  test('denied: the model is told', async () => {
    const { outcome, round } = await guardedRun('appr2', false);
    assert.equal(outcome.state, 'denied');
    assert.equal(round[1].status, 'error');
  });

  test('timed out: a denial the model is told about', async () => {
    const { outcome, round } = await guardedRun('appr3', undefined);
    assert.equal(outcome.state, 'expired');
    assert.equal(round[1].status, 'error');
    assert.match(round[1].content[0].text, /time|approv/i);
  });
});

describe('the openai npm client', () => {
  const client = (options = {}) => new OpenAI({
    apiKey: API_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0,
    defaultHeaders: { 'X-User-ID': 'oai1' }, ...options,
  });

  test('non-streamed: content, real usage, tool calls in message_extras', async () => {
    const out = await client().chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'use two tools now' }], mcp_server_ids: ['ours'],
    });
    assert.equal(out.object, 'chat.completion');
    assert.equal(out.choices[0].message.content, 'Both tools answered.');
    assert.equal(out.choices[0].finish_reason, 'stop');
    assert.ok(out.usage.prompt_tokens > 0 && out.usage.completion_tokens > 0);
    assert.equal(out.choices[0].message_extras.tool_use.length, 2);
  });

  test('streamed, OpenAI style: clean content, reasoning apart, usage chunk', async () => {
    const stream = await client({ defaultHeaders: { 'X-User-ID': 'oai2', 'X-Response-Style': 'openai' } })
      .chat.completions.create({
        model: MODEL, stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'think step by step' }],
        extra_params: { enable_thinking: true },
      });
    let content = '';
    let reasoning = '';
    let usage;
    let finish;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const c = chunk.choices[0];
      if (!c) continue;
      content += c.delta?.content ?? '';
      reasoning += c.delta?.reasoning_content ?? '';
      finish = c.finish_reason ?? finish;
    }
    assert.equal(content, 'The answer is 42.');
    assert.equal(reasoning, 'Let me think.');
    assert.equal(finish, 'stop');
    assert.ok(usage.total_tokens > 0);
  });

  test('max_tokens is finish_reason length in the OpenAI style', async () => {
    const out = await client().chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'tell me everything' }], response_style: 'openai',
    });
    assert.equal(out.choices[0].finish_reason, 'length');
  });

  test('unknown model is a 404 the client reports', async () => {
    await assert.rejects(
      client().chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 404);
  });

  test('a wrong key is a 401', async () => {
    await assert.rejects(
      client({ apiKey: 'wrong' }).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 401);
  });
});

describe('bad requests get clear errors with the right status', () => {
  async function expectError(response, status, pattern) {
    assert.equal(response.status, status);
    const body = await response.json();
    assert.equal(body.errno, status);
    assert.match(body.msg, pattern);
  }

  test('bad JSON is 400', async () => {
    await expectError(await post('/v1/chat/completions', '{"model": ', 'bad1'), 400, /JSON/);
  });
  test('unknown model is 404', async () => {
    await expectError(await post('/v1/chat/completions', { ...demoBody('x'), model: 'nope' }, 'bad1'), 404, /'nope'/);
  });
  test('unknown server id is 400 naming it', async () => {
    await expectError(await post('/v1/chat/completions', demoBody('x', { servers: ['ghost'] }), 'bad1'), 400, /'ghost'/);
  });
  test('missing field is 422', async () => {
    await expectError(await post('/v1/chat/completions', { messages: [] }, 'bad1'), 422, /model/);
  });
  test('missing API key is 401', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(demoBody('x')),
    });
    assert.equal(response.status, 401);
  });
  test('oversize body is 413', async () => {
    const body = demoBody('x'.repeat(300000));
    await expectError(await post('/v1/chat/completions', body, 'bad1'), 413, /limit/);
  });
});
