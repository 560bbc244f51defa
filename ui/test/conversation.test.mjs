// How stream chunks become an answer: text, thinking, tool rounds, approvals, endings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allCalls, answerText, applyChunk, buildMessages, finishTurn, newAssistantTurn,
         newUserTurn, parseContent, splitToolName } from '../src/lib/conversation.js';

const content = (text) => ({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
const finish = (reason, extras) => ({ choices: [{ index: 0, delta: {}, finish_reason: reason,
                                                   ...(extras ? { message_extras: extras } : {}) }] });

// The demo's tool round with Claude thinking (demo-api.md §6.3).
function demoToolRound() {
  const turn = newAssistantTurn();
  const chunks = [
    { choices: [{ delta: { role: 'assistant' } }] },
    content('<thinking>The user wants'),
    { choices: [{ delta: {} }] },
    content('</thinking>I\'ll list them.'),
    content('<tool_input>{"path": '),
    content('"./docs"}'),
    content('</tool_input>'),
    finish('tool_use'),
    finish('tool_use', { tool_use: JSON.stringify([
      { toolUseId: 'tooluse_x1', name: 'local_fs___list_directory', input: { path: './docs' } },
      { toolUseId: 'tooluse_x1', content: [{ text: '[FILE] a.txt' },
                                           { image: { format: 'png', source: { base64: 'iVBOR' } } }] },
    ]) }),
    { choices: [{ delta: { role: 'assistant' } }] },
    content('It contains a.txt.'),
    finish('end_turn'),
  ];
  for (const chunk of chunks) applyChunk(turn, chunk, ['local-fs']);
  finishTurn(turn, { done: true });
  return turn;
}

test('the demo tool round becomes thinking, text, one call with its result, and the answer', () => {
  const turn = demoToolRound();
  assert.equal(turn.state, 'done');
  assert.deepEqual(turn.segments.map((s) => s.kind), ['content', 'tools', 'content']);
  const [call] = allCalls(turn);
  assert.equal(call.server, 'local-fs');
  assert.equal(call.tool, 'list_directory');
  assert.deepEqual(call.input, { path: './docs' });
  assert.equal(call.result.status, 'success');
  assert.equal(call.result.content.length, 2);
  assert.equal(turn.segments[0].toolsResolved, true);
  assert.equal(answerText(turn), "I'll list them.It contains a.txt.");
});

test('tool_use given as a real array is accepted too', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, finish('tool_use', { tool_use: [{ toolUseId: 'a', name: 's___t', input: {} },
                                                   { toolUseId: 'a', content: [{ text: 'ok' }] }] }));
  assert.equal(allCalls(turn)[0].result.content[0].text, 'ok');
});

test('two parallel calls pair with their results by toolUseId', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, finish('tool_use', { tool_use: JSON.stringify([
    { toolUseId: 'a', name: 's___one', input: {} }, { toolUseId: 'a', content: [{ text: '1' }] },
    { toolUseId: 'b', name: 's___two', input: {} },
    { toolUseId: 'b', content: [{ text: 'boom' }], status: 'error' },
  ]) }));
  const calls = allCalls(turn);
  assert.deepEqual(calls.map((c) => [c.tool, c.result.content[0].text, c.result.status]),
                   [['one', '1', 'success'], ['two', 'boom', 'error']]);
});

test('malformed tool_use JSON becomes a gateway notice, not an exception', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, finish('tool_use', { tool_use: '[{"toolUseId": ' }));
  assert.equal(turn.segments[0].kind, 'notice');
  assert.equal(turn.segments[0].source, 'gateway');
});

test('an approval creates a pending call that the later result completes', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, { choices: [{ delta: {}, message_extras: { approval: {
    id: 'ap1', server: 'fs', tool: 'delete', arguments: { path: '/x' }, tool_use_id: 't1' } } }] });
  const [call] = allCalls(turn);
  assert.deepEqual(call.approval, { id: 'ap1', state: 'pending' });
  assert.equal(call.server, 'fs');
  assert.deepEqual(call.input, { path: '/x' });
  applyChunk(turn, finish('tool_use', { tool_use: JSON.stringify([
    { toolUseId: 't1', name: 'fs___delete', input: { path: '/x' } },
    { toolUseId: 't1', content: [{ text: 'deleted' }] }]) }));
  assert.equal(allCalls(turn).length, 1);
  assert.equal(call.result.content[0].text, 'deleted');
  assert.equal(call.approval.state, 'answered');
});

test('an approval left unanswered when the stream ends is marked expired', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, { choices: [{ delta: {}, message_extras: { approval: { id: 'x', tool: 't' } } }] });
  finishTurn(turn, { done: false });
  assert.equal(allCalls(turn)[0].approval.state, 'expired');
});

test('an error finish is a notice with its source and no answer text', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, content('partial '));
  const ended = applyChunk(turn, { choices: [{ delta: { content: 'Error: model: ValidationException: bad' },
                                              finish_reason: 'error' }] });
  finishTurn(turn, { done: false });
  assert.equal(ended, true);
  assert.equal(turn.state, 'error');
  const notice = turn.segments.at(-1);
  assert.equal(notice.source, 'model');
  assert.match(notice.text, /ValidationException/);
  assert.equal(answerText(turn), 'partial');
});

test('an OpenAI-style error object is a notice', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, { error: { message: 'mcp server fs: crashed', source: 'mcp server fs' } });
  assert.equal(turn.segments[0].source, 'mcp server fs');
});

test('stop_requested ends as stopped, a stream without [DONE] as interrupted', () => {
  const stopped = newAssistantTurn();
  applyChunk(stopped, finish('stop_requested'));
  finishTurn(stopped, { done: true });
  assert.equal(stopped.state, 'stopped');
  const cut = newAssistantTurn();
  applyChunk(cut, content('half'));
  finishTurn(cut, { done: false });
  assert.equal(cut.state, 'interrupted');
  const broken = newAssistantTurn();
  finishTurn(broken, { error: new Error('network error') });
  assert.match(broken.segments[0].text, /network error/);
});

test('null content and chunks without choices are ignored', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, { choices: [{ delta: { content: null } }] });
  applyChunk(turn, {});
  applyChunk(turn, null);
  assert.deepEqual(turn.segments, []);
});

test('reasoning_content (the clean OpenAI style) becomes a thinking block', () => {
  const turn = newAssistantTurn();
  applyChunk(turn, { choices: [{ delta: { reasoning_content: 'hmm ' } }] });
  applyChunk(turn, { choices: [{ delta: { reasoning_content: 'ok' } }] });
  applyChunk(turn, content('Answer'));
  assert.deepEqual(parseContent(turn.segments[0].raw),
                   [{ kind: 'thinking', text: 'hmm ok', open: false }, { kind: 'text', text: 'Answer', open: false }]);
});

test('parseContent: thinking interrupted by a tool input, two tool inputs kept apart', () => {
  assert.deepEqual(parseContent('<thinking>a<tool_input>{1}</tool_input><tool_input>{2}</tool_input>'), [
    { kind: 'thinking', text: 'a', open: false },
    { kind: 'tool_input', text: '{1}', open: false },
    { kind: 'tool_input', text: '{2}', open: false },
  ]);
});

test('parseContent: an open block and a partial tag while streaming', () => {
  assert.deepEqual(parseContent('<thinking>still going', true), [{ kind: 'thinking', text: 'still going', open: true }]);
  assert.deepEqual(parseContent('text </thin', true), [{ kind: 'text', text: 'text ', open: false }]);
  assert.deepEqual(parseContent('a < b', false), [{ kind: 'text', text: 'a < b', open: false }]);
});

test('splitToolName maps normalised server ids back', () => {
  assert.deepEqual(splitToolName('aws_kb___retrieve', ['aws-kb']), { server: 'aws-kb', tool: 'retrieve' });
  assert.deepEqual(splitToolName('plain'), { server: '', tool: 'plain' });
});

test('buildMessages with keep_session sends the system prompt and the newest message only', () => {
  const turns = [newUserTurn('one'), demoToolRound(), newUserTurn('two')];
  assert.deepEqual(buildMessages(turns, { systemPrompt: 'Be brief.', keepSession: true }),
                   [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'two' }]);
});

test('buildMessages without keep_session sends the conversation and merges same-role neighbours', () => {
  const failed = newAssistantTurn();
  finishTurn(failed, { error: new Error('down') });
  const turns = [newUserTurn('one'), demoToolRound(), newUserTurn('two'), failed, newUserTurn('three')];
  const messages = buildMessages(turns, { systemPrompt: '', keepSession: false });
  assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(messages[2].content, [{ type: 'text', text: 'two' }, { type: 'text', text: 'three' }]);
});

test('attachments become image_url and file parts', () => {
  const turn = newUserTurn('look', [
    { kind: 'image', name: 'a.png', mime: 'image/png', data: 'AAA' },
    { kind: 'file', name: 'r.pdf', mime: 'application/pdf', data: 'BBB' },
  ]);
  assert.deepEqual(buildMessages([turn], { keepSession: true })[0].content, [
    { type: 'text', text: 'look' },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA', detail: 'auto' } },
    { type: 'file', file: { file_data: 'BBB', filename: 'r.pdf', file_id: null } },
  ]);
});
