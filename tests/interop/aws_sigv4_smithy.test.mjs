// An independent signer checks our client's SigV4 signatures: a Node server re-signs every request
// it receives with @smithy/signature-v4 (the AWS JS SDK v3's signer, with @aws-crypto/sha256-js)
// over exactly the headers the request says it signed, and compares the signatures. Our client is
// tests/interop/tools/bedrock_signed_requests (built beside the tests), which sends one request per
// operation: Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream (Claude),
// Retrieve and InvokeAgent. Streamed answers are encoded with @smithy/eventstream-codec, so our
// decoder reads the SDK's framing too.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

import { buildDir, runProcess } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { EventStreamCodec } = require('@smithy/eventstream-codec');
const { toUtf8, fromUtf8 } = require('@smithy/util-utf8');

const client = path.join(buildDir, 'tests/interop/bedrock_signed_requests');
const kAccessKey = 'AKIDEXAMPLE';
const kSecret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const kToken = 'EXAMPLE-SESSION-TOKEN';
const codec = new EventStreamCodec(toUtf8, fromUtf8);

// Re-signs `req` (method, raw path, headers, body) with smithy over the headers its Authorization
// names, and says whether the signatures match.
async function verify(req, body) {
  const auth = req.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) return { ok: false, reason: `malformed authorization: ${auth}` };
  const [, accessKey, , region, service, signedList, signature] = match;
  if (accessKey !== kAccessKey) return { ok: false, reason: 'unknown access key' };
  const signed = signedList.split(';');
  const headers = {};
  for (const name of signed) {
    // smithy adds these itself from the credentials, the date and the body.
    if (['x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'].includes(name)) continue;
    if (req.headers[name] === undefined) return { ok: false, reason: `signed header ${name} missing` };
    headers[name] = req.headers[name];
  }
  const amzDate = req.headers['x-amz-date'] ?? '';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!d) return { ok: false, reason: `bad x-amz-date ${amzDate}` };
  const signingDate = new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
  const token = req.headers['x-amz-security-token'];
  if (signed.includes('x-amz-security-token') !== (token !== undefined)) {
    return { ok: false, reason: 'session token sent but not signed (or the reverse)' };
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: kAccessKey, secretAccessKey: kSecret, sessionToken: token },
    region, service, sha256: Sha256, uriEscapePath: true,
    applyChecksum: signed.includes('x-amz-content-sha256'),
  });
  const [pathname, query = ''] = req.url.split('?');
  const resigned = await signer.sign({
    method: req.method, protocol: 'http:', hostname: req.headers.host, path: pathname,
    query: Object.fromEntries(new URLSearchParams(query)), headers, body,
  }, { signingDate });
  const expected = /Signature=([0-9a-f]{64})/.exec(resigned.headers.authorization)[1];
  if (resigned.headers['x-amz-content-sha256'] !== undefined &&
      resigned.headers['x-amz-content-sha256'] !== req.headers['x-amz-content-sha256']) {
    return { ok: false, reason: 'x-amz-content-sha256 is not the body hash' };
  }
  if (service !== 'bedrock') return { ok: false, reason: `signing name ${service}` };
  return expected === signature ? { ok: true }
                                : { ok: false, reason: `signature ${signature} != smithy ${expected}` };
}

function eventFrame(type, payload) {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}
const b64 = (text) => Buffer.from(text, 'utf8').toString('base64');

// The answer for each operation, by path.
function answer(pathname, res) {
  const stream = (frames, headers = {}) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', ...headers });
    for (const frame of frames) res.write(frame);
    res.end();
  };
  const json = (body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (pathname.endsWith('/converse')) {
    return json({ output: { message: { role: 'assistant', content: [{ text: 'sunny' }] } },
                  stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
                  metrics: { latencyMs: 1 } });
  }
  if (pathname.endsWith('/converse-stream')) {
    return stream([
      eventFrame('messageStart', { role: 'assistant' }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'sun' }, p: 'abc' }),
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'ny' } }),
      eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
      eventFrame('messageStop', { stopReason: 'end_turn' }),
      eventFrame('metadata', { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
                               metrics: { latencyMs: 5 } }),
    ]);
  }
  if (pathname.endsWith('/invoke')) {
    return json({ embedding: [0.5], inputTextTokenCount: 2 });
  }
  if (pathname.endsWith('/invoke-with-response-stream')) {
    const events = [
      { type: 'message_start', message: { usage: { input_tokens: 3, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ensoleillé' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
      { type: 'message_stop' },
    ];
    return stream(events.map((e) => eventFrame('chunk', { bytes: b64(JSON.stringify(e)), p: 'xy' })),
                  { 'x-amzn-bedrock-content-type': 'application/json' });
  }
  if (pathname.endsWith('/retrieve')) {
    return json({ retrievalResults: [{ content: { text: 'Paris', type: 'TEXT' }, score: 0.9,
                                       location: { type: 'S3', s3Location: { uri: 's3://b/k' } } }] });
  }
  if (pathname.endsWith('/text')) {
    return stream([eventFrame('chunk', { bytes: b64('bonjour ') }),
                   eventFrame('chunk', { bytes: b64('à vous') })],
                  { 'x-amz-bedrock-agent-session-id': 'session 1-ä',
                    'x-amzn-bedrock-agent-content-type': 'application/json' });
  }
  res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'UnknownOperationException' });
  res.end('{}');
}

// Starts the verifying server; resolves {url, verdicts, close}.
function startServer() {
  const verdicts = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = await verify(req, body);
      verdicts.push({ path: req.url, ...verdict });
      if (!verdict.ok) {
        res.writeHead(403, { 'content-type': 'application/json',
                             'x-amzn-ErrorType': 'InvalidSignatureException' });
        res.end(JSON.stringify({ message: `smithy disagrees: ${verdict.reason}` }));
        return;
      }
      answer(req.url.split('?')[0], res);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}`, verdicts,
      close: () => new Promise((r) => server.close(r)),
    }));
  });
}

async function runClient(url, { secret = kSecret, token = kToken } = {}) {
  const env = { PATH: process.env.PATH, AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1',
                AWS_ACCESS_KEY_ID: kAccessKey, AWS_SECRET_ACCESS_KEY: secret };
  if (token) env.AWS_SESSION_TOKEN = token;
  const run = await runProcess(client, [], { env });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line));
}

const expectedResults = {
  'converse': 'sunny', 'converse-stream': 'sunny', 'invoke': '{"embedding":[0.5],"inputTextTokenCount":2}',
  'invoke-stream': 'ensoleillé', 'retrieve': 'Paris', 'invoke-agent': 'bonjour à vous',
};

test('smithy accepts every signature our client makes, with a session token', {
  skip: !existsSync(client) && `${client} not built`,
}, async () => {
  const server = await startServer();
  try {
    const lines = await runClient(server.url);
    assert.deepEqual(server.verdicts.filter((v) => !v.ok), []);
    assert.equal(server.verdicts.length, 6);
    for (const line of lines) {
      assert.ok(line.ok, `${line.op}: ${line.error}`);
      assert.equal(line.result, expectedResults[line.op], line.op);
    }
    assert.deepEqual(lines.map((l) => l.op), Object.keys(expectedResults));
    // The ARN model id and the session id with a space and 'ä' travel encoded once.
    assert.ok(server.verdicts.some((v) => v.path.includes('arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic')));
    assert.ok(server.verdicts.some((v) => v.path.endsWith('/sessions/session%201-%C3%A4/text')));
  } finally {
    await server.close();
  }
});

test('smithy accepts every signature our client makes, with long-term keys', {
  skip: !existsSync(client) && `${client} not built`,
}, async () => {
  const server = await startServer();
  try {
    const lines = await runClient(server.url, { token: null });
    assert.deepEqual(server.verdicts.filter((v) => !v.ok), []);
    assert.ok(lines.every((l) => l.ok), JSON.stringify(lines));
  } finally {
    await server.close();
  }
});

test('a wrong secret is caught by smithy and reported by our client as InvalidSignatureException', {
  skip: !existsSync(client) && `${client} not built`,
}, async () => {
  const server = await startServer();
  try {
    const lines = await runClient(server.url, { secret: 'not-the-secret' });
    assert.equal(server.verdicts.length, 6);
    assert.ok(server.verdicts.every((v) => !v.ok && v.reason.startsWith('signature ')));
    for (const line of lines) {
      assert.equal(line.ok, false, line.op);
      assert.match(line.error, /^unauthenticated: .*InvalidSignatureException: smithy disagrees/);
    }
  } finally {
    await server.close();
  }
});
