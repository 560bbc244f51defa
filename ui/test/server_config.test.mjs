// What "Add MCP server" sends, and what it refuses before sending anything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServerJson, serverFromFields } from '../src/lib/server_config.js';

test('mcpServers JSON becomes config_json plus the demo top-level fields', () => {
  const parsed = parseServerJson(JSON.stringify({
    mcpServers: { exa: { command: 'npx', args: ['-y', 'exa-mcp-server'], env: { K: 'v' } } },
  }));
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.requests, [{
    server_id: 'exa', server_desc: 'exa', command: 'npx', args: ['-y', 'exa-mcp-server'],
    env: { K: 'v' },
    config_json: { mcpServers: { exa: { command: 'npx', args: ['-y', 'exa-mcp-server'], env: { K: 'v' } } } },
  }]);
});

test('the mcpServers wrapper is optional and a URL server has no command', () => {
  const parsed = parseServerJson('{"remote": {"url": "https://h/mcp", "token": "t"}}', 'Remote one');
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.requests, [{
    server_id: 'remote', server_desc: 'Remote one',
    config_json: { mcpServers: { remote: { url: 'https://h/mcp', token: 't' } } },
  }]);
});

test('several servers in one document become several requests', () => {
  const parsed = parseServerJson('{"mcpServers": {"a": {"command": "node"}, "b": {"url": "http://x/sse"}}}');
  assert.deepEqual(parsed.requests.map((r) => r.server_id), ['a', 'b']);
});

const refusals = {
  'empty text': ['', /Paste/],
  'truncated JSON': ['{"mcpServers": {"x": ', /not valid/],
  'an array': ['[1]', /must be an object/],
  'no servers': ['{"mcpServers": {}}', /names no server/],
  'mcpServers not an object': ['{"mcpServers": 3}', /must be an object mapping/],
  'neither command nor url': ['{"x": {"args": []}}', /needs a "command"/],
  'args not strings': ['{"x": {"command": "npx", "args": [1]}}', /array of strings/],
  'env value not a string': ['{"x": {"command": "npx", "env": {"A": 1}}}', /env "A" must be a string/],
  'url not a URL': ['{"x": {"url": "not a url"}}', /not a valid URL/],
  'url scheme not http': ['{"x": {"url": "file:///etc/passwd"}}', /http:\/\/ or https:\/\//],
  'id with a space': ['{"bad id": {"command": "npx"}}', /must be 1 to 64/],
};
for (const [name, [text, message]] of Object.entries(refusals)) {
  test(`refused: ${name}`, () => {
    const parsed = parseServerJson(text);
    assert.equal(parsed.ok, false);
    assert.match(parsed.error, message);
  });
}

test('stdio fields: one argument per line, KEY=VALUE environment', () => {
  const parsed = serverFromFields({ transport: 'stdio', id: 'fs', command: 'npx',
                                    args: '-y\n @modelcontextprotocol/server-filesystem \n\n/tmp',
                                    env: 'A=1\nB=x=y' });
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.requests[0].config_json.mcpServers.fs,
                   { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
                     env: { A: '1', B: 'x=y' } });
});

test('URL fields with a token', () => {
  const parsed = serverFromFields({ transport: 'http', id: 'api', url: ' https://h/mcp ', token: 'abc' });
  assert.deepEqual(parsed.requests[0].config_json.mcpServers.api, { url: 'https://h/mcp', token: 'abc' });
});

test('fields refused: missing id, bad env line, missing command', () => {
  assert.match(serverFromFields({ transport: 'stdio', id: '', command: 'npx' }).error, /Give the server an id/);
  assert.match(serverFromFields({ transport: 'stdio', id: 'a', command: 'npx', env: 'NOEQUALS' }).error,
               /not KEY=VALUE/);
  assert.match(serverFromFields({ transport: 'stdio', id: 'a', command: ' ' }).error, /needs a "command"/);
});
