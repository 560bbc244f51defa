// The reference client of the mcp bench section: the same load as bench/mcp_call_bench.cc with the
// MCP TypeScript SDK's Client, v1 (@modelcontextprotocol/sdk) or with --sdk v2
// (@modelcontextprotocol/client, pinned to --protocol-version, 2026-07-28 by default; HTTP only),
// both pinned in package-lock.json: N concurrent callers (async loops on one Client) call the
// server's `echo` tool back to back for --seconds after a --warmup, over stdio (the SDK spawns the
// command after `--`) or Streamable HTTP (--url). Prints the same JSON line as the C++ driver,
// with "client":"ts-sdk" or "ts-sdk-v2" and the revision the transport negotiated ("protocol").
//
// CPU time: ours from process.cpuUsage() (every thread: JIT, GC), the server's from
// /proc/<pid>/stat of --server-pid or, for stdio, of our children; both over the measured window.
//
//   node bench/peers/mcp_ts_client.mjs [--concurrency N] [--seconds S] [--warmup S]
//       [--message TEXT] [--sdk v1|v2 [--protocol-version V]]
//       (--url URL [--server-pid PID] | -- COMMAND ARGS...)
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals: command } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    message: { type: 'string', default: 'hello' },
    url: { type: 'string' },
    'server-pid': { type: 'string' },
    sdk: { type: 'string', default: 'v1' },
    'protocol-version': { type: 'string', default: '2026-07-28' },
  },
});
if (!args.url === (command.length === 0) || !['v1', 'v2'].includes(args.sdk) ||
    (args.sdk === 'v2' && !args.url)) {
  console.error('usage: mcp_ts_client.mjs [--concurrency N] [--seconds S] [--warmup S] ' +
                '[--message TEXT] [--sdk v1|v2 [--protocol-version V]] ' +
                '(--url URL [--server-pid PID] | -- COMMAND ARGS...)');
  process.exit(2);
}
const concurrency = Math.max(1, Number(args.concurrency));
const serverPid = args['server-pid'] ? Number(args['server-pid']) : 0;
const clockTicks = 100;  // USER_HZ on Linux

function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;  // utime, stime
  } catch {
    return 0;
  }
}

function childPids() {
  const pids = [];
  for (const task of readdirSync('/proc/self/task')) {
    const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    if (text) pids.push(...text.split(/\s+/).map(Number));
  }
  return pids;
}

function serverCpuSeconds() {
  if (serverPid) return processCpuSeconds(serverPid);
  return childPids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
}

let client;
let transport;
if (args.sdk === 'v2') {
  const sdk = await import('@modelcontextprotocol/client');
  transport = new sdk.StreamableHTTPClientTransport(new URL(args.url));
  client = new sdk.Client({ name: 'ts-sdk-v2-bench-client', version: '1.0.0' }, {
    versionNegotiation: { mode: { pin: args['protocol-version'] } },
  });
} else {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  if (args.url) {
    const { StreamableHTTPClientTransport } =
      await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    transport = new StreamableHTTPClientTransport(new URL(args.url));
  } else {
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    transport = new StdioClientTransport({ command: command[0], args: command.slice(1),
      stderr: 'ignore' });
  }
  client = new Client({ name: 'ts-sdk-bench-client', version: '1.0.0' });
}
await client.connect(transport);

const check = await client.callTool({ name: 'echo', arguments: { message: args.message } });
if (check.isError || !check.content?.length) {
  console.error(`mcp_ts_client: echo failed: ${JSON.stringify(check)}`);
  process.exit(1);
}
// The revision the transport speaks (v1 stdio transports do not say: null).
const protocol = transport.protocolVersion ?? null;

const now = () => performance.now();
const measureStart = now() + Number(args.warmup) * 1000;
const stop = measureStart + Number(args.seconds) * 1000;
const latencies = [];
let errors = 0;
let firstError;
let lastDone = measureStart;

async function caller() {
  for (;;) {
    const start = now();
    if (start >= stop) return;
    let failure;
    try {
      const result = await client.callTool({ name: 'echo', arguments: { message: args.message } });
      if (result.isError) failure = JSON.stringify(result.content);
    } catch (error) {
      failure = String(error);
    }
    const done = now();
    if (start < measureStart) continue;
    if (failure !== undefined) {
      if (errors++ === 0) firstError = failure;
      continue;
    }
    latencies.push(done - start);
    if (done > lastDone) lastDone = done;
  }
}

const callers = Array.from({ length: concurrency }, caller);
// CPU snapshot at the start of the measured window.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, measureStart - now())));
const cpuStart = process.cpuUsage();
const serverStart = serverCpuSeconds();
await Promise.all(callers);
const cpu = process.cpuUsage(cpuStart);
const clientCpu = (cpu.user + cpu.system) / 1e6;
const serverCpu = serverCpuSeconds() - serverStart;
await client.close();

latencies.sort((a, b) => a - b);
const percentile = (p) => latencies.length
  ? latencies[Math.min(latencies.length - 1, Math.round(p * (latencies.length - 1)))] : 0;
const window = (lastDone - measureStart) / 1000;
const out = {
  client: args.sdk === 'v2' ? 'ts-sdk-v2' : 'ts-sdk',
  transport: args.url ? 'http' : 'stdio',
  protocol,
  concurrency,
  calls: latencies.length,
  errors,
  seconds: window,
  rps: window > 0 ? latencies.length / window : 0,
  p50_ms: percentile(0.5),
  p99_ms: percentile(0.99),
  client_cpu_s: clientCpu,
  server_cpu_s: serverCpu,
  calls_per_cpu_s: clientCpu + serverCpu > 0 ? latencies.length / (clientCpu + serverCpu) : 0,
};
if (firstError !== undefined) out.first_error = firstError;
console.log(JSON.stringify(out));
process.exit(errors > 0 ? 1 : 0);
