// `bedrock-mcp chat` against the real emulator (scripted model) and the real `bedrock-mcp
// mcp-server everything`: without --server it offers every enabled global server of the
// configuration (skipping one that cannot start), with --server only the named ones; an answer cut
// by max_tokens is continued (chat.max_continuations) into one answer, and only so many times.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { binary, runBinary, startBinary } from './lib/harness.mjs';

const MODEL = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
const EVERYTHING = ['mcp-server', 'everything', '--transport', 'stdio'];
const SCRIPT = {
  rules: [
    { when: { toolResult: true }, respond: { text: 'The tool said {{tool_result}}' } },
    { when: { contains: 'use echo', toolAvailable: 'ours___echo' },
      respond: { toolCalls: [{ name: 'ours___echo', input: { message: 'cli' } }] } },
    { when: { contains: 'use echo' }, respond: { text: 'No tools were offered.' } },
    { when: { contains: 'continue me', turn: 2 }, respond: { text: ' and the end.' } },
    { when: { contains: 'continue me' }, respond: { text: 'The beginning', stopReason: 'max_tokens' } },
    { when: { contains: 'never ends' }, respond: { text: 'more', stopReason: 'max_tokens' } },
  ],
};

let work;
let emulator;
let env;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-chat-cli-'));
  fs.writeFileSync(path.join(work, 'script.json'), JSON.stringify(SCRIPT));
  emulator = await startBinary(['emulator', '--port', '0', '--auth', 'any-signature',
                                '--script', path.join(work, 'script.json')]);
  fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({
    log: { level: 'warn' },
    models: [{ model_id: MODEL, model_name: 'Claude 3.5 Haiku (emulated)' }],
    mcpServers: {
      ours: { command: binary, args: EVERYTHING, description: 'bedrock-mcp everything' },
      off: { command: binary, args: EVERYTHING, status: 0 },
      broken: { command: path.join(work, 'no-such-server'), connect_timeout_ms: 5000 },
    },
    store: { url: `sqlite:${path.join(work, 'chat.db')}` },
    chat: { max_continuations: 2 },
  }));
  env = {
    ...process.env, AWS_ACCESS_KEY_ID: 'AKIDCHATCLI', AWS_SECRET_ACCESS_KEY: 'chat-cli-secret',
    AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
  };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_BEARER_TOKEN_BEDROCK;
  delete env.AWS_PROFILE;
});

after(async () => {
  await emulator?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const chat = (...args) => runBinary(['chat', '--config', path.join(work, 'config.json'), ...args],
                                    { env, cwd: work });

test('without --server every enabled global server is offered, a broken one skipped', async () => {
  const { code, stdout, stderr } = await chat('use echo please');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /The tool said Echo: cli/);
  assert.match(stderr, /→ ours echo/);
  assert.match(stderr, /skipping MCP server 'broken'/);
  assert.doesNotMatch(stderr, /'off'/);
});

test('--server offers only the named server', async () => {
  const { code, stdout, stderr } = await chat('--server', 'ours', 'use echo please');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /The tool said Echo: cli/);
  assert.doesNotMatch(stderr, /broken/);
});

test('an unknown --server is a setup error', async () => {
  const { code, stderr } = await chat('--server', 'nope', 'use echo please');
  assert.equal(code, 1);
  assert.match(stderr, /unknown MCP server 'nope'/);
});

test('an answer cut by max_tokens is continued into one answer', async () => {
  const { code, stdout, stderr } = await chat('--server', 'ours', 'continue me');
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), 'The beginning and the end.');
});

test('continuations are bounded: the answer then ends as cut short', async () => {
  const { code, stdout, stderr } = await chat('--server', 'ours', 'this never ends');
  assert.equal(code, 4, stderr);
  assert.equal(stdout.trim(), 'moremoremore');
});
