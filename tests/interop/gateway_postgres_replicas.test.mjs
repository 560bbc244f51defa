// Two `bedrock-mcp serve` replicas on one PostgreSQL store (a private throwaway server, see
// lib/postgres.mjs), behind a client that picks the replica per request as a load balancer would:
// both start at once on an empty database (one migrates, the other waits on the advisory lock);
// a user's MCP server added through one is listed and used through the other; keep_session
// history written through one is the model's context through the other; history removed through
// one is gone for both. The model is the emulator (scripted), the MCP server our own `everything`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { binary, startBinary } from './lib/harness.mjs';
import { PASSWORD, startPostgres } from './lib/postgres.mjs';

const API_KEY = 'replica-interop-key';
const MODEL = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const AWS_KEYS = { AWS_ACCESS_KEY_ID: 'AKIDREPLICATEST01', AWS_SECRET_ACCESS_KEY: 'replica-test-secret' };
const EVERYTHING = ['mcp-server', 'everything', '--transport', 'stdio'];

const SCRIPT = {
  rules: [
    { name: 'echo-answer', when: { toolResult: 'mine___echo' }, respond: { text: 'The echo came back.' } },
    { name: 'echo', when: { contains: 'use my echo tool', toolAvailable: 'mine___echo' },
      respond: { toolCalls: [{ name: 'mine___echo', input: { message: 'across replicas' } }] } },
    { name: 'remembered', when: { contains: 'second question', turn: 2 },
      respond: { text: 'I remember the first question.' } },
    { name: 'forgotten', when: { contains: 'second question' }, respond: { text: 'What first question?' } },
  ],
};

const pg = await startPostgres();
const skip = pg === null ? 'BEDROCK_TEST_POSTGRES=off and no PostgreSQL server installed' : false;
let work;
let emulator;
let replicas = [];

before(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-replicas-'));
  const storeUrl = await pg.createDatabase('replicas');
  fs.writeFileSync(path.join(work, 'script.json'), JSON.stringify(SCRIPT));
  fs.writeFileSync(path.join(work, 'emulator.json'), JSON.stringify({
    acceptAnyModel: true, script: path.join(work, 'script.json'),
    auth: { mode: 'verify', credentials: [{ accessKeyId: AWS_KEYS.AWS_ACCESS_KEY_ID,
                                            secretAccessKey: AWS_KEYS.AWS_SECRET_ACCESS_KEY }] },
  }));
  emulator = await startBinary(['emulator', '--port', '0', '--config', path.join(work, 'emulator.json')]);
  fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({
    server: { listen: '127.0.0.1:0' },
    models: [{ model_id: MODEL, model_name: 'Claude Sonnet 4 (emulated)' }],
    mcpServers: {},
    policy: { stdio_commands: [binary] },
    store: { url: storeUrl },
  }));
  const env = {
    ...process.env, ...AWS_KEYS, API_KEY, AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url, AWS_MAX_ATTEMPTS: '1',
  };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_BEARER_TOKEN_BEDROCK;
  delete env.AWS_PROFILE;
  delete env.PGPASSWORD;
  const args = ['serve', '--config', path.join(work, 'config.json')];
  // Both at once on the empty database: the migration race.
  replicas = await Promise.all([startBinary(args, { env, cwd: work }),
                                startBinary(args, { env, cwd: work })]);
});

after(async () => {
  for (const replica of replicas) await replica.stop();
  await emulator?.stop();
  await pg?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function call(replica, method, route, user, body) {
  const response = await fetch(replica.url + route, {
    method,
    headers: { Authorization: `Bearer ${API_KEY}`, 'X-User-ID': user, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text);
}

async function chat(replica, user, text, { servers = [], keep = false } = {}) {
  const json = await call(replica, 'POST', '/v1/chat/completions', user, {
    messages: [{ role: 'user', content: text }], model: MODEL, mcp_server_ids: servers,
    stream: false, keep_session: keep,
  });
  return json.choices[0].message.content;
}

test('a server added through one replica is listed and used through the other', { skip }, async () => {
  const [a, b] = replicas;
  const added = await call(a, 'POST', '/v1/add/mcp_server', 'alice', {
    server_id: '', server_desc: 'Mine',
    config_json: { mcpServers: { mine: { command: binary, args: EVERYTHING, env: {} } } },
  });
  assert.equal(added.errno, 0, added.msg);

  const listed = await call(b, 'GET', '/v1/list/mcp_server', 'alice');
  assert.ok(listed.servers.some((s) => s.server_id === 'mine'), JSON.stringify(listed));
  const others = await call(b, 'GET', '/v1/list/mcp_server', 'bob');
  assert.ok(!others.servers.some((s) => s.server_id === 'mine'), 'still per user');

  const answer = await chat(b, 'alice', 'please use my echo tool', { servers: ['mine'] });
  assert.match(answer, /The echo came back\./);
});

test('keep_session history written through one replica is the context through the other', { skip }, async () => {
  const [a, b] = replicas;
  await chat(a, 'carol', 'first question', { keep: true });
  assert.equal(await chat(b, 'carol', 'second question', { keep: true }),
               'I remember the first question.');

  const removed = await call(b, 'POST', '/v1/remove/history', 'carol', {});
  assert.equal(removed.errno, 0, removed.msg);
  assert.equal(await chat(a, 'carol', 'second question', { keep: true }), 'What first question?');
});

test('the replicas never log the store password', { skip }, async () => {
  for (const replica of replicas) {
    assert.ok(!replica.stderr.includes(PASSWORD), 'raw password in a log');
    assert.ok(!replica.stderr.includes(encodeURIComponent(PASSWORD)), 'encoded password in a log');
  }
});
