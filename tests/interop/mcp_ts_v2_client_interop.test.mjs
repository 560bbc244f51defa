// Our client (through `bedrock-mcp mcp`) against the TypeScript SDKs in one run: a TS SDK v2
// server (@modelcontextprotocol/server 2.4.0, tests/interop/tools/ts_v2_mcp_server.mjs) is spoken
// to in revision 2026-07-28 — server/discover, per-request _meta, Mcp-Method/Mcp-Name and the
// Mcp-Param-* headers its tools ask for, input_required rounds — and a TS SDK v1 server
// (@modelcontextprotocol/sdk 1.x, bench/peers/mcp_ts_server.mjs) in 2025-11-25 with initialize
// and a session, with no option telling the client which. Also: an OAuth-protected v2 server
// through the CLI's interactive authorization, and CLI11 usage errors exiting 2.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { nodeBinary, runBinary, sourceDir, startBinary, startProcess } from './lib/harness.mjs';

const v2Script = path.join(sourceDir, 'tests/interop/tools/ts_v2_mcp_server.mjs');
const v1Script = path.join(sourceDir, 'bench/peers/mcp_ts_server.mjs');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-mcp-ts-v2-'));
const configPath = path.join(workDir, 'servers.json');

let v2;
let v2Oauth;
let v1;

function mcp(subcommand, server, ...rest) {
  return runBinary(['mcp', subcommand, '--config', configPath, '--server', server,
    '--timeout', '30', ...rest]);
}

// What the v2 server's endpoint received since the last call: [{method, headers}].
let seen = 0;
async function received(server) {
  const all = await (await fetch(server.url.replace(/\/mcp$/, '/__requests'))).json();
  const fresh = all.slice(seen);
  seen = all.length;
  return fresh;
}

before(async () => {
  [v2, v2Oauth, v1] = await Promise.all([
    startProcess(nodeBinary, [v2Script]),
    startProcess(nodeBinary, [v2Script, '--oauth']),
    startProcess(nodeBinary, [v1Script, '--transport', 'http']),
  ]);
  fs.writeFileSync(configPath, JSON.stringify({
    mcpServers: {
      v2: { url: v2.url },
      'v2-oauth': { url: v2Oauth.url },
      v1: { url: v1.url },
    },
  }));
});

after(async () => {
  await Promise.all([v2?.stop(), v2Oauth?.stop(), v1?.stop()]);
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('TS SDK v2 server, revision 2026-07-28', () => {
  test('list-tools negotiates 2026-07-28 and leaves out the tool with an invalid x-mcp-header',
    async () => {
      await received(v2);
      const run = await mcp('list-tools', 'v2');
      assert.equal(run.code, 0, run.stderr);
      const names = run.stdout.trimEnd().split('\n').map((line) => line.split('\t')[0]);
      assert.deepEqual(names, ['echo', 'add', 'confirm', 'ask_twice']);
      assert.match(run.stderr, /leaving out tool 'bad_header'/);
      const requests = await received(v2);
      assert.deepEqual(requests.map((r) => r.method), ['server/discover', 'tools/list']);
      for (const { method, headers } of requests) {
        assert.equal(headers['mcp-protocol-version'], '2026-07-28');
        assert.equal(headers['mcp-method'], method);
        assert.equal(headers['mcp-session-id'], undefined);
      }
    });

  test('call mirrors the x-mcp-header argument and names the tool in Mcp-Name', async () => {
    const run = await mcp('call', 'v2', 'echo', '{"text":"hi","region":"eu-west-1"}');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hi (eu-west-1)\n');
    const call = (await received(v2)).find((r) => r.method === 'tools/call');
    assert.equal(call.headers['mcp-name'], 'echo');
    assert.equal(call.headers['mcp-param-region'], 'eu-west-1');
  });

  test('a non-ASCII header value travels base64-encoded and arrives intact', async () => {
    const run = await mcp('call', 'v2', 'echo', '{"text":"grüezi","region":"Zürich"}');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'grüezi (Zürich)\n');
    const call = (await received(v2)).find((r) => r.method === 'tools/call');
    assert.equal(call.headers['mcp-param-region'],
      `=?base64?${Buffer.from('Zürich').toString('base64')}?=`);
  });

  test('input_required: the elicitation is answered and the call retried', async () => {
    const run = await mcp('call', 'v2', 'confirm', '{}', '--elicitation', 'accept');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'confirmed: {"ok":true}\n');
    const calls = (await received(v2)).filter((r) => r.method === 'tools/call');
    assert.equal(calls.length, 2);
  });

  test('input_required over two rounds carries roots, then request state', async () => {
    const run = await mcp('call', 'v2', 'ask_twice', '{}', '--elicitation', 'accept',
      '--root', 'file:///tmp');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'done after round-2\n');
  });

  test('input_required for a capability the client did not offer fails: exit 1', async () => {
    const run = await mcp('call', 'v2', 'confirm', '{}');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /elicitation/);
  });

  test('read and prompts work statelessly', async () => {
    const read = await mcp('read', 'v2', 'test://readme');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'read me\n');
    const prompt = await mcp('prompts', 'v2', 'greet', '{"name":"Ada"}');
    assert.equal(prompt.code, 0, prompt.stderr);
    assert.match(prompt.stdout, /Hello, Ada!/);
  });
});

describe('TS SDK v1 server, revision 2025-11-25, in the same run', () => {
  test('list-tools and call go through initialize and a session', async () => {
    const list = await mcp('list-tools', 'v1');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^echo\t/m);
    const call = await mcp('call', 'v1', 'echo', '{"message":"hi"}');
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, 'Echo: hi\n');
  });
});

describe('OAuth-protected TS SDK v2 server', () => {
  test('list-tools prints the authorization URL and continues once the browser is back',
    async () => {
      const cli = await startBinary(['mcp', 'list-tools', '--config', configPath,
        '--server', 'v2-oauth', '--timeout', '30'], { ready: /authorize: (\S+)/ });
      const exited = new Promise((resolve) => {
        if (cli.child.exitCode !== null) resolve(cli.child.exitCode);
        cli.child.once('exit', (code) => resolve(code));
      });
      // The "browser": the authorization server redirects at once to the CLI's loopback listener.
      const landing = await fetch(cli.url);
      assert.equal(landing.status, 200);
      assert.match(await landing.text(), /you can close this window/);
      assert.equal(await exited, 0, cli.stderr);
      assert.match(cli.stdout, /^echo\t/m);
    });
});

describe('usage errors', () => {
  test('an unknown option exits 2', async () => {
    const run = await runBinary(['mcp', 'list-tools', '--no-such-option']);
    assert.equal(run.code, 2, run.stderr);
  });

  test('an option without its argument exits 2', async () => {
    const run = await runBinary(['mcp', 'call', '--config']);
    assert.equal(run.code, 2, run.stderr);
  });

  test('an unknown option of another subcommand exits 2', async () => {
    const run = await runBinary(['emulator', '--no-such-option']);
    assert.equal(run.code, 2, run.stderr);
  });
});
