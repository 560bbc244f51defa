// `bedrock-mcp mcp list-tools|call|read|prompts` against the reference MCP servers from npm:
// @modelcontextprotocol/server-everything over stdio and over its streamable HTTP mode, and
// @modelcontextprotocol/server-filesystem over stdio on a temporary directory. Checks what the
// CLI prints and its exit codes (0 success, 1 a tool or server error, 2 usage/config/connection).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { nodeBinary, runBinary, sourceDir, startProcess } from './lib/harness.mjs';

const modules = path.join(sourceDir, 'node_modules/@modelcontextprotocol');
const everythingScript = path.join(modules, 'server-everything/dist/index.js');
const filesystemScript = path.join(modules, 'server-filesystem/dist/index.js');
const loopbackPreload = path.join(sourceDir, 'tests/interop/lib/listen_on_loopback.mjs');

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-mcp-cli-'));
const configPath = path.join(workDir, 'servers.json');
const filesDir = path.join(workDir, 'files');

function writeConfig(servers) {
  fs.writeFileSync(configPath, JSON.stringify({ mcpServers: servers }, null, 2));
}

function mcp(subcommand, server, ...rest) {
  return runBinary(['mcp', subcommand, '--config', configPath, '--server', server,
    '--timeout', '30', ...rest]);
}

let httpServer;

before(async () => {
  fs.mkdirSync(filesDir);
  fs.writeFileSync(path.join(filesDir, 'hello.txt'), 'hello from the filesystem server\nünïcode ✓\n');
  httpServer = await startProcess(nodeBinary,
    ['--import', loopbackPreload, everythingScript, 'streamableHttp'],
    { env: { ...process.env, PORT: '0' } });
  writeConfig({
    everything: { command: nodeBinary, args: [everythingScript, 'stdio'] },
    'everything-http': { url: `${httpServer.url}/mcp`, type: 'streamable-http' },
    files: { command: nodeBinary, args: [filesystemScript, filesDir] },
  });
});

after(async () => {
  await httpServer?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

for (const server of ['everything', 'everything-http']) {
  describe(`server-everything (${server === 'everything' ? 'stdio' : 'streamable HTTP'})`, () => {
    test('list-tools prints one tool a line with its description', async () => {
      const run = await mcp('list-tools', server);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.ok(lines.includes('echo\tEchoes back the input string'), run.stdout);
      assert.ok(lines.some((line) => line.startsWith('get-sum\t')), run.stdout);
      for (const line of lines) assert.match(line, /^[^\t\s]+(\t.+)?$/);
    });

    test('call prints the text result and exits 0', async () => {
      const run = await mcp('call', server, 'echo', '{"message":"hi ünïcode ✓"}');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'Echo: hi ünïcode ✓\n');
      const sum = await mcp('call', server, 'get-sum', '{"a":2,"b":40}');
      assert.equal(sum.code, 0, sum.stderr);
      assert.match(sum.stdout, /\b42\b/);
    });

    test('call summarises an image and keeps the text around it', async () => {
      const run = await mcp('call', server, 'get-tiny-image');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^\[image: image\/png, \d+ bytes\]$/m);
    });

    test('call prints structured content as JSON once', async () => {
      const run = await mcp('call', server, 'get-structured-content', '{"location":"New York"}');
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1, run.stdout);
      assert.equal(typeof JSON.parse(lines[0]).temperature, 'number');
    });

    test('a tool error exits 1 with the error on stderr', async () => {
      const run = await mcp('call', server, 'get-sum', '{"a":"not a number"}');
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /expected number/i);
    });

    test('--json prints the raw result', async () => {
      const run = await mcp('call', server, 'echo', '{"message":"raw"}', '--json');
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout);
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: raw' }]);
    });

    test('read prints a text resource', async () => {
      const run = await mcp('read', server, 'demo://resource/static/document/architecture.md');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Architecture/);
    });

    test('prompts lists prompts with their arguments and gets one', async () => {
      const list = await mcp('prompts', server);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^simple-prompt\t/m);
      assert.match(list.stdout, /^args-prompt\t.*city\*/m);
      const get = await mcp('prompts', server, 'args-prompt', '{"city":"Paris","state":"IDF"}');
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /^\[user\] .*Paris/m);
    });
  });
}

describe('server-filesystem (stdio)', () => {
  test('list-tools includes the file tools', async () => {
    const run = await mcp('list-tools', 'files');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^read_text_file\t/m);
    assert.match(run.stdout, /^list_directory\t/m);
  });

  test('call read_text_file returns the file', async () => {
    const file = path.join(filesDir, 'hello.txt');
    const run = await mcp('call', 'files', 'read_text_file', JSON.stringify({ path: file }));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello from the filesystem server\nünïcode ✓\n');
  });

  test('call list_directory lists the directory', async () => {
    const run = await mcp('call', 'files', 'list_directory', JSON.stringify({ path: filesDir }));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\[FILE\] hello\.txt/);
  });

  test('reading outside the allowed directory is a tool error: exit 1', async () => {
    const run = await mcp('call', 'files', 'read_text_file', '{"path":"/etc/passwd"}');
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /access denied|outside allowed/i);
  });
});

describe('usage and configuration errors exit 2', () => {
  test('unknown server names the ones the file has', async () => {
    const run = await mcp('list-tools', 'nope');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no server 'nope'.*everything/);
  });

  test('arguments that are not a JSON object', async () => {
    const run = await mcp('call', 'everything', 'echo', '[1,2]');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /JSON object/);
  });

  test('a missing configuration file', async () => {
    const run = await runBinary(['mcp', 'list-tools', '--config', path.join(workDir, 'none.json'),
      '--server', 'x']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /none\.json/);
  });

  test('a server that cannot be started', async () => {
    fs.writeFileSync(path.join(workDir, 'broken.json'),
      JSON.stringify({ mcpServers: { ghost: { command: 'no-such-mcp-server-binary' } } }));
    const run = await runBinary(['mcp', 'list-tools', '--config', path.join(workDir, 'broken.json'),
      '--server', 'ghost']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot connect to server 'ghost'.*not found/);
  });
});
