// The reference knowledge-base MCP server, @modelcontextprotocol/server-aws-kb-retrieval (0.6.2,
// pinned in package-lock.json; it calls Retrieve with the AWS SDK for JavaScript), and our
// `mcp-server bedrock` knowledge_base_search tool, both pointed at the same emulator serving the
// same --docs folder: for the same query and number of results they return the same documents, in
// the same order, with the same text and scores.
//
// Pointing the reference at the emulator: the SDK honours AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME,
// and the server reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION. But the SDK's
// Bedrock Agent Runtime client always uses its HTTP/2 handler, which the HTTP/1.1 emulator cannot
// answer; lib/aws_sdk_http1_preload.mjs, loaded with `node --import`, swaps in the SDK's own
// HTTP/1.1 handler without touching the server's code (docs/agents-bridge.md, "The knowledge-base
// reference").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { binary, nodeBinary, sourceDir, startBinary } from './lib/harness.mjs';

const require = createRequire(path.join(sourceDir, 'package.json'));
const REFERENCE = path.join(
    path.dirname(require.resolve('@modelcontextprotocol/server-aws-kb-retrieval/package.json')),
    'dist/index.js');
const PRELOAD = path.join(sourceDir, 'tests/interop/lib/aws_sdk_http1_preload.mjs');
const KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIDKBREFERENCETEST01',
  AWS_SECRET_ACCESS_KEY: 'kb/reference/Secret+Key/For/Interop0000',
  AWS_REGION: 'us-east-1',
};
const KB = 'KBREF00001';
const DOCS = {
  'france.txt': 'Paris is the capital of France. The Seine flows through Paris.',
  'bread.txt': 'Bread needs flour, water, yeast and salt. Knead the dough and let it rise.',
  'mountains.txt': 'Mount Everest is the highest mountain on Earth, in the Himalaya.',
  'rivers.txt': 'The Nile is the longest river in Africa. The Amazon carries the most water.',
  'tea.txt': 'Green tea and black tea come from the same plant, Camellia sinensis.',
  'rome.txt': 'Rome is the capital of Italy. The Tiber flows through Rome.',
};
const QUERIES = [
  ['capital of France', 3],
  ['bread flour yeast', 2],
  ['highest mountain', 3],
  ['which river flows through the capital', 3],
  ['tea plant', 1],
];

let tmpDir;
let emulator;
let reference;
let ours;

async function connect(command, args, env) {
  const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => { stderr += chunk; });
  const client = new Client({ name: 'kb-reference-interop', version: '1.0.0' });
  await client.connect(transport);
  return { client, get stderr() { return stderr; } };
}

// The reference's answer: "Context: <texts>" and "RAG Sources: <JSON>" (its first 3 results).
async function referenceSearch(query, n) {
  const result = await reference.client.callTool({
    name: 'retrieve_from_aws_kb', arguments: { query, knowledgeBaseId: KB, n },
  });
  const texts = result.content.map((c) => c.text);
  assert.ok(texts[0].startsWith('Context: '), `${texts.join('\n')}\n${reference.stderr}`);
  const sources = JSON.parse(texts[1].replace(/^RAG Sources: /, ''));
  return { context: texts[0].slice('Context: '.length), sources };
}

async function ourSearch(query, n) {
  const result = await ours.client.callTool({
    name: 'knowledge_base_search', arguments: { query, num_results: n },
  });
  assert.equal(result.isError ?? false, false, JSON.stringify(result));
  return result.structuredContent.results;
}

// The reference's file name for a source URI: the last path segment, '_' as ' ', '.txt' removed.
const referenceFileName = (uri) => uri.split('/').pop().replace(/_/g, ' ').replace('.txt', '');

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-reference-'));
  const docs = path.join(tmpDir, 'docs');
  fs.mkdirSync(docs);
  for (const [name, text] of Object.entries(DOCS)) fs.writeFileSync(path.join(docs, name), text);
  const env = { ...process.env, ...KEYS };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_BEARER_TOKEN_BEDROCK;
  delete env.AWS_PROFILE;
  emulator = await startBinary(['emulator', '--port', '0', '--docs', docs, '--log-level', 'debug'],
                               { env });
  const clientEnv = { ...env, AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
                      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url, AWS_MAX_ATTEMPTS: '1',
                      BEDROCK_SOURCE_DIR: sourceDir };
  reference = await connect(nodeBinary, ['--import', PRELOAD, REFERENCE], clientEnv);
  ours = await connect(binary, ['mcp-server', 'bedrock', '--transport', 'stdio',
                                '--knowledge-base', KB, '--cache', 'off'], clientEnv);
});

after(async () => {
  await reference?.client.close();
  await ours?.client.close();
  await emulator?.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('server-aws-kb-retrieval (reference) and mcp-server bedrock on one emulator', () => {
  test('the reference lists its one retrieval tool', async () => {
    const { tools } = await reference.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['retrieve_from_aws_kb']);
  });

  for (const [query, n] of QUERIES) {
    test(`"${query}" (${n} results): the same documents, text and scores`, async () => {
      const ref = await referenceSearch(query, n);
      const mine = await ourSearch(query, n);
      assert.ok(mine.length >= 1, 'the knowledge base found nothing');
      // The reference shows at most 3 sources; its context has every result's text.
      assert.equal(ref.sources.length, Math.min(mine.length, 3));
      assert.equal(ref.context, mine.map((r) => r.content).join('\n\n'));
      ref.sources.forEach((source, i) => {
        assert.equal(source.snippet, mine[i].content, `result ${i}`);
        assert.equal(source.fileName, referenceFileName(mine[i].source), `result ${i}`);
        assert.ok(Math.abs(source.score - mine[i].score) < 1e-9,
                  `result ${i}: ${source.score} vs ${mine[i].score}`);
      });
    });
  }

  test('both asked the emulator over HTTP/1.1 with SigV4 (the emulator logged each Retrieve)',
       async () => {
    const retrieves = (emulator.stderr.match(/operation=retrieve\b/gi) ?? []).length;
    assert.ok(retrieves >= 2 * QUERIES.length, emulator.stderr);
  });
});
