// The reference peer of bench/aws_sigv4_bench: signs the same request (read from the JSON file the
// C++ bench writes with --write-request) with @smithy/signature-v4, as the AWS JS SDK v3 does, for
// --seconds, and prints
//
//   signature <64 hex digits>
//   sigv4 signatures_per_cpu_sec <n> signatures_per_sec <n> iterations <n> cpu_seconds <s>
//       seconds <s> hash <native|sha256-js>
//
// As in the C++ bench, the budget and the headline figure are in process CPU time
// (process.cpuUsage(): every thread, the garbage collector's included).
//
// --hash native (default) uses the SHA-256 the SDK uses on Node (@smithy/core/checksum's Sha256,
// node:crypto underneath); --hash sha256-js uses @aws-crypto/sha256-js (pure JavaScript, what the
// SDK uses in browsers).
//
//   node bench/peers/smithy_sigv4.mjs --request FILE [--seconds S] [--hash native|sha256-js]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { SignatureV4 } = require('@smithy/signature-v4');

const { values: args } = parseArgs({
  options: {
    request: { type: 'string' },
    seconds: { type: 'string', default: '2' },
    hash: { type: 'string', default: 'native' },
  },
});
if (!args.request) {
  console.error('usage: smithy_sigv4.mjs --request FILE [--seconds S] [--hash native|sha256-js]');
  process.exit(2);
}
const input = JSON.parse(readFileSync(args.request, 'utf8'));
const sha256 = args.hash === 'sha256-js' ? require('@aws-crypto/sha256-js').Sha256
                                         : require('@smithy/core/checksum').Sha256;

const signer = new SignatureV4({
  credentials: {
    accessKeyId: input.accessKeyId,
    secretAccessKey: input.secretAccessKey,
    sessionToken: input.sessionToken,
  },
  region: input.region,
  service: input.service,
  sha256,
  applyChecksum: true,  // x-amz-content-sha256, as our client sends it
  uriEscapePath: true,
});
const signingDate = new Date(input.signingEpochSeconds * 1000);

// A fresh request object each time, as the SDK builds one per call.
function request() {
  return {
    method: input.method,
    protocol: 'https:',
    hostname: input.host,
    path: input.path,
    query: {},
    headers: { ...input.headers },
    body: input.body,
  };
}

const first = await signer.sign(request(), { signingDate });
console.log(`signature ${/Signature=([0-9a-f]{64})/.exec(first.headers.authorization)[1]}`);

let sink = 0;
for (let i = 0; i < 2000; ++i) sink += (await signer.sign(request(), { signingDate })).headers.authorization.length;
const cpuSeconds = (since) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
};
const budget = Number(args.seconds);
const cpuStart = process.cpuUsage();
const wallStart = process.hrtime.bigint();
let iterations = 0;
while (cpuSeconds(cpuStart) < budget) {
  for (let i = 0; i < 500; ++i) {
    sink += (await signer.sign(request(), { signingDate })).headers.authorization.length;
  }
  iterations += 500;
}
const cpu = cpuSeconds(cpuStart);
const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
console.log(`sigv4 signatures_per_cpu_sec ${Math.round(iterations / cpu)} ` +
            `signatures_per_sec ${Math.round(iterations / wall)} iterations ${iterations} ` +
            `cpu_seconds ${cpu.toFixed(2)} seconds ${wall.toFixed(2)} hash ${args.hash}`);
if (sink === 0) process.exit(1);
