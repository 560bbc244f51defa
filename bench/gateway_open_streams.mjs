// Memory per open streaming chat, for the gateway benchmark (scripts/run-benchmarks, section
// gateway): opens --streams streamed chat completions whose scripted model holds its answer for
// minutes (bench/gateway_emulator_script.json, "hold the stream"), waits until the server has
// accepted every one of them, and reads the server's resident memory before and after.
//
//   node bench/gateway_open_streams.mjs --url http://127.0.0.1:PORT --pid PID --streams 500 \
//     [--key K] [--model M] [--server ID] [--wait-headers] [--warmup N]
//
// First --warmup (50) ordinary chats run to completion, from the same users the streams use, so
// that what every server sets up once (its MCP server, per-thread connection pools, the users'
// sessions, the tool list) is in the baseline: the figure is the cost of one more open stream.
//
// With --wait-headers a stream counts as open once its response head arrived (`bedrock-mcp
// serve` sends it with X-Stream-ID before the model answers); without it, once the server holds
// the connection and its memory has stopped growing (the Node peer sends no head before the
// model's first event). Prints one JSON line:
//   {"streams":N,"open":N,"rss_before_kb":..,"rss_after_kb":..,"per_stream_kb":..}
// then closes every stream and exits.
import http from 'node:http';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    url: { type: 'string' },
    pid: { type: 'string' },
    streams: { type: 'string', default: '500' },
    key: { type: 'string', default: 'bench-key' },
    model: { type: 'string', default: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' },
    server: { type: 'string', default: 'bench' },
    'wait-headers': { type: 'boolean', default: false },
    'timeout-ms': { type: 'string', default: '60000' },
    warmup: { type: 'string', default: '50' },
  },
});

const rssKb = () => {
  const status = fs.readFileSync(`/proc/${options.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const count = Number(options.streams);
const deadline = Date.now() + Number(options['timeout-ms']);
const url = new URL('/v1/chat/completions', options.url);
const body = JSON.stringify({
  model: options.model, stream: true, keep_session: false, mcp_server_ids: [options.server],
  messages: [{ role: 'user', content: 'hold the stream open' }],
});
// One socket per stream, as separate browser tabs or clients would have.
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

const users = 50;
const headersFor = (i) => ({
  'Content-Type': 'application/json', Authorization: `Bearer ${options.key}`,
  'X-User-ID': `holder${i % users}`, 'X-Response-Style': 'openai',
});
for (let i = 0; i < Number(options.warmup); i++) {
  const response = await fetch(url, {
    method: 'POST', headers: headersFor(i),
    body: JSON.stringify({
      model: options.model, stream: true, keep_session: false, mcp_server_ids: [options.server],
      messages: [{ role: 'user', content: 'bench: call the echo tool' }],
    }),
  });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('Echo: bench')) {
    process.stderr.write(`warm-up request failed: ${response.status} ${text.slice(0, 300)}\n`);
    process.exit(1);
  }
}
await sleep(500);

const before = rssKb();
const requests = [];
let heads = 0;
let failures = 0;
let firstFailure = '';
for (let i = 0; i < count; i++) {
  const request = http.request(url, {
    method: 'POST', agent, headers: headersFor(i),
  }, (response) => {
    if (response.statusCode === 200) {
      heads++;
    } else if (failures++ === 0) {
      firstFailure = `status ${response.statusCode}`;
    }
    response.resume();
  });
  request.on('error', (error) => {
    if (failures++ === 0) firstFailure = String(error);
  });
  request.end(body);
  requests.push(request);
}

if (options['wait-headers']) {
  while (heads + failures < count && Date.now() < deadline) await sleep(50);
}
// Let the server finish setting the streams up: wait until its memory holds still for a second.
let last = rssKb();
for (let still = 0; still < 4 && Date.now() < deadline;) {
  await sleep(250);
  const now = rssKb();
  still = now === last ? still + 1 : 0;
  last = now;
}
const after = rssKb();
const open = options['wait-headers'] ? heads : count - failures;
process.stdout.write(`${JSON.stringify({
  streams: count, open, failures, first_failure: firstFailure || undefined,
  rss_before_kb: before, rss_after_kb: after,
  per_stream_kb: Math.round(((after - before) / Math.max(1, open)) * 10) / 10,
})}\n`);
for (const request of requests) request.destroy();
agent.destroy();
process.exit(failures > 0 ? 1 : 0);
