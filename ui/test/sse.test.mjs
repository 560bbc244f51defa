// The stream reader: events split anywhere, every line ending, comments and other fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseDataParser } from '../src/lib/sse.js';

const STREAM = 'data: {"a":1}\n\n: heartbeat\n\nid: 7\nevent: x\ndata: {"b":2}\n\ndata: [DONE]\n\n';

test('whole stream gives each data payload once', () => {
  const parser = new SseDataParser();
  assert.deepEqual([...parser.push(STREAM), ...parser.end()], ['{"a":1}', '{"b":2}', '[DONE]']);
});

test('split at every position gives the same payloads', () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const parser = new SseDataParser();
    const out = [...parser.push(STREAM.slice(0, cut)), ...parser.push(STREAM.slice(cut)), ...parser.end()];
    assert.deepEqual(out, ['{"a":1}', '{"b":2}', '[DONE]'], `cut at ${cut}`);
  }
});

test('CRLF split between pieces counts as one line end', () => {
  const parser = new SseDataParser();
  const out = [...parser.push('data: x\r'), ...parser.push('\n\r'), ...parser.push('\n'), ...parser.end()];
  assert.deepEqual(out, ['x']);
});

test('bare CR line ends work', () => {
  const parser = new SseDataParser();
  assert.deepEqual(parser.push('data: x\r\rdata: y\r\r'), ['x', 'y']);
});

test('multi-line data is joined with LF, one leading space dropped', () => {
  const parser = new SseDataParser();
  assert.deepEqual(parser.push('data:a\ndata:  b\n\n'), ['a\n b']);
});

test('a last event without a blank line is delivered at the end', () => {
  const parser = new SseDataParser();
  assert.deepEqual(parser.push('data: tail'), []);
  assert.deepEqual(parser.end(), ['tail']);
});

test('unicode split inside the text is kept whole', () => {
  const parser = new SseDataParser();
  const out = [...parser.push('data: {"t":"h'), ...parser.push('é 😀"}\n\n')];
  assert.deepEqual(out, ['{"t":"hé 😀"}']);
});
