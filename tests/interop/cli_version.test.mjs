// The harness itself: the binary runs under Node's test runner and reports its version.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runBinary } from './lib/harness.mjs';

test('bedrock-mcp --version prints the version and exits 0', async () => {
  const run = await runBinary(['--version']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^bedrock-mcp \d+\.\d+\.\d+/);
});

test('serve announces its listening url and stops on SIGTERM', async () => {
  const { startBinary } = await import('./lib/harness.mjs');
  const server = await startBinary(['serve', '--listen', '127.0.0.1:0']);
  const response = await fetch(`${server.url}/healthz`);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).status, 'ok');
  assert.equal(await server.stop(), 0);
});
