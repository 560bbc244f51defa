// The reference peer of bench/aws_event_stream_bench: decodes the same event-stream bytes (the
// file the C++ bench writes with --write-corpus) with @smithy/eventstream-codec for --seconds and
// prints
//
//   corpus bytes <n> messages <n>
//   eventstream decode_mb_per_cpu_sec <MB/s> decode_mb_per_sec <MB/s> messages_per_cpu_sec <n>
//       cpu_seconds <s> seconds <s> mode <m>          (1 MB = 10^6 bytes)
//
// As in the C++ bench, the budget and the headline figure are in process CPU time.
//
// Modes:
//   sdk    (default) the AWS JS SDK v3's own path for a response body: getChunkedStream splits
//          16 KiB pieces into messages, EventStreamCodec.decode checks both CRCs and parses the
//          headers (what MessageDecoderStream does), then :event-type is read.
//   codec  EventStreamCodec.decode alone over messages split beforehand (no reassembly, no async
//          iteration): the codec's best case.
//
//   node bench/peers/smithy_eventstream.mjs --corpus FILE [--seconds S] [--mode sdk|codec]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { EventStreamCodec } = require('@smithy/eventstream-codec');
const { getChunkedStream } = require('@smithy/core/event-streams');
const { toUtf8, fromUtf8 } = require('@smithy/util-utf8');

const { values: args } = parseArgs({
  options: {
    corpus: { type: 'string' },
    seconds: { type: 'string', default: '2' },
    mode: { type: 'string', default: 'sdk' },
  },
});
if (!args.corpus) {
  console.error('usage: smithy_eventstream.mjs --corpus FILE [--seconds S] [--mode sdk|codec]');
  process.exit(2);
}
const file = readFileSync(args.corpus);
const corpus = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
const kPiece = 16 * 1024;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

let sink = 0;
let messages = 0;
function consume(message) {
  sink += message.headers[':event-type'].value.length + message.body.byteLength;
  ++messages;
}

async function* pieces() {
  for (let i = 0; i < corpus.byteLength; i += kPiece) yield corpus.subarray(i, i + kPiece);
}

async function decodeSdk() {
  for await (const frame of getChunkedStream(pieces())) consume(codec.decode(frame));
}

// Messages split once, outside the timed loop.
const frames = [];
for (let offset = 0; offset < corpus.byteLength;) {
  const length = new DataView(corpus.buffer, corpus.byteOffset + offset, 4).getUint32(0, false);
  frames.push(corpus.subarray(offset, offset + length));
  offset += length;
}
function decodeCodec() {
  for (const frame of frames) consume(codec.decode(frame));
}

const decodeOnce = args.mode === 'codec' ? async () => decodeCodec() : decodeSdk;
await decodeOnce();
console.log(`corpus bytes ${corpus.byteLength} messages ${messages}`);
await decodeOnce();  // warm-up

const cpuSeconds = (since) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
};
messages = 0;
let rounds = 0;
const budget = Number(args.seconds);
const cpuStart = process.cpuUsage();
const wallStart = process.hrtime.bigint();
while (cpuSeconds(cpuStart) < budget) {
  await decodeOnce();
  ++rounds;
}
const cpu = cpuSeconds(cpuStart);
const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
const megabytes = rounds * corpus.byteLength / 1e6;
console.log(`eventstream decode_mb_per_cpu_sec ${(megabytes / cpu).toFixed(1)} ` +
            `decode_mb_per_sec ${(megabytes / wall).toFixed(1)} ` +
            `messages_per_cpu_sec ${Math.round(messages / cpu)} cpu_seconds ${cpu.toFixed(2)} ` +
            `seconds ${wall.toFixed(2)} mode ${args.mode}`);
if (sink === 0) process.exit(1);
