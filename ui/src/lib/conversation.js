// The conversation model: what the gateway's stream chunks mean, independent of rendering.
//
// An assistant turn is built by feeding it every chunk of one streamed answer (applyChunk) and
// then ending it (finishTurn). Its `segments`, in arrival order, are
//   {kind: 'content', raw}          text as streamed, <thinking>/<tool_input> tags included
//                                   (split for display by parseContent)
//   {kind: 'tools', calls: [Call]}  one tool round: each call with its result once it arrived
//   {kind: 'notice', level, text, source?}   stopped, cut off, errors (level 'info'|'warn'|'error')
// Call = {toolUseId, name, server, tool, input, result: null | {content, status}, approval}.
//
// The chunk shapes are the demo gateway's (docs: shared reference demo-api.md §6): OpenAI-like
// chunks whose `delta.content` carries <thinking>…</thinking> and <tool_input>…</tool_input>, and
// whose `message_extras.tool_use` is a JSON-encoded array alternating call and result. Nothing
// here throws on bad input: a malformed piece becomes a visible notice.

let nextId = 1;
export const newId = (prefix) => `${prefix}${Date.now().toString(36)}${(nextId++).toString(36)}`;

export function newUserTurn(text, attachments = []) {
  return { id: newId('u'), role: 'user', text, attachments };
}

export function newAssistantTurn() {
  return { id: newId('a'), role: 'assistant', segments: [], state: 'streaming', streamId: null };
}

// Splits a namespaced tool name ("local_fs___list_directory") into server and tool. The gateway
// normalises server ids ('-', '/', ':' → '_'), so the known ids are matched the same way.
export function splitToolName(name, serverIds = []) {
  const text = String(name ?? '');
  const at = text.indexOf('___');
  if (at < 0) return { server: '', tool: text };
  const prefix = text.slice(0, at);
  const normalise = (id) => id.replace(/[-/:]/g, '_');
  const known = serverIds.find((id) => normalise(id) === prefix);
  return { server: known ?? prefix, tool: text.slice(at + 3) };
}

function lastSegment(turn) {
  return turn.segments[turn.segments.length - 1];
}

export function addNotice(turn, level, text, source) {
  turn.segments.push({ kind: 'notice', level, text, ...(source ? { source } : {}) });
}

function appendContent(turn, text) {
  let last = lastSegment(turn);
  if (!last || last.kind !== 'content') {
    last = { kind: 'content', raw: '' };
    turn.segments.push(last);
  }
  last.raw += text;
}

function findCall(turn, toolUseId) {
  if (!toolUseId) return null;
  for (const segment of turn.segments) {
    if (segment.kind !== 'tools') continue;
    const call = segment.calls.find((c) => c.toolUseId === toolUseId);
    if (call) return call;
  }
  return null;
}

function toolsSegment(turn) {
  const last = lastSegment(turn);
  if (last && last.kind === 'tools') return last;
  // The <tool_input> blocks streamed so far are the arguments of the calls arriving now: the
  // calls show them, so the raw blocks are no longer displayed.
  for (const segment of turn.segments) if (segment.kind === 'content') segment.toolsResolved = true;
  const segment = { kind: 'tools', calls: [] };
  turn.segments.push(segment);
  return segment;
}

function upsertCall(turn, fields, serverIds) {
  let call = findCall(turn, fields.toolUseId);
  if (!call) {
    call = { toolUseId: fields.toolUseId ?? newId('t'), name: '', server: '', tool: '',
             input: undefined, result: null, approval: null };
    toolsSegment(turn).calls.push(call);
  }
  if (fields.name !== undefined) {
    call.name = fields.name;
    const split = splitToolName(fields.name, serverIds);
    call.server = fields.server ?? split.server;
    call.tool = fields.tool ?? split.tool;
  } else {
    if (fields.server !== undefined) call.server = fields.server;
    if (fields.tool !== undefined) call.tool = fields.tool;
  }
  if (fields.input !== undefined) call.input = fields.input;
  return call;
}

// message_extras.tool_use: a JSON string (the demo's shape) or an array, alternating call
// ({toolUseId, name, input}) and result ({toolUseId, content, status?}).
export function applyToolUse(turn, toolUse, serverIds = []) {
  let items = toolUse;
  if (typeof toolUse === 'string') {
    try {
      items = JSON.parse(toolUse);
    } catch (e) {
      addNotice(turn, 'error', `The gateway sent tool calls that are not valid JSON (${e.message}).`,
                'gateway');
      return;
    }
  }
  if (!Array.isArray(items)) {
    addNotice(turn, 'error', 'The gateway sent tool calls in an unexpected shape.', 'gateway');
    return;
  }
  const batch = [];
  for (const item of items) {
    if (!item || typeof item !== 'object') continue;
    if (item.name !== undefined) {
      batch.push(upsertCall(turn, item, serverIds));
      continue;
    }
    const call = batch.find((c) => c.toolUseId === item.toolUseId && !c.result) ??
                 findCall(turn, item.toolUseId) ?? batch.find((c) => !c.result);
    const target = call ?? upsertCall(turn, { toolUseId: item.toolUseId }, serverIds);
    target.result = {
      content: Array.isArray(item.content) ? item.content : [{ text: String(item.content ?? '') }],
      status: item.status ?? 'success',
    };
    if (target.approval?.state === 'pending') target.approval.state = 'answered';
  }
}

// The gateway's announcement of a tool call waiting for the user's decision. Assumed shape:
// message_extras.approval = {id, server, tool, arguments, tool_use_id?, state?}; the decision goes
// to POST /v1/approve/{id} {"approved": bool} (see api.js). Kept apart from the rest so it can
// follow the gateway's final shape with a change here only.
export function applyApproval(turn, approval, serverIds = []) {
  if (!approval || typeof approval !== 'object' || !approval.id) {
    addNotice(turn, 'error', 'The gateway asked for an approval without an id.', 'gateway');
    return;
  }
  const toolUseId = approval.tool_use_id ?? approval.toolUseId ?? `approval-${approval.id}`;
  const fields = { toolUseId, input: approval.arguments ?? approval.input };
  if (approval.name) fields.name = approval.name;
  if (approval.server !== undefined) fields.server = approval.server;
  if (approval.tool !== undefined) fields.tool = approval.tool;
  const call = upsertCall(turn, fields, serverIds);
  if (!call.name) call.name = [call.server, call.tool].filter(Boolean).join('___');
  const state = approval.state ?? (call.approval?.state === 'sending' ? 'sending' : 'pending');
  call.approval = { ...(call.approval ?? {}), id: String(approval.id), state };
}

const FINISH_NOTICES = {
  stop_requested: ['info', 'Stopped.'],
  max_tokens: ['warn', 'The answer reached the max tokens limit.'],
  length: ['warn', 'The answer reached the max tokens limit.'],
  content_filtered: ['warn', 'The model\'s content filter stopped the answer.'],
  content_filter: ['warn', 'The model\'s content filter stopped the answer.'],
  guardrail_intervened: ['warn', 'A guardrail stopped the answer.'],
  model_context_window_exceeded: ['error', 'The conversation no longer fits the model\'s context window.'],
};

// Where an error came from, from the shapes the gateway may use: {error: {source}} or a message
// starting "model:", "mcp server X:" or "gateway:".
function errorSource(error, text) {
  if (error?.source) return String(error.source);
  const match = /^\s*(?:Error:\s*)?(model|gateway|mcp server [^:]+|mcp)\s*:/i.exec(text ?? '');
  return match ? match[1] : 'gateway';
}

// Feeds one parsed chunk into `turn`. Returns true when the chunk ends the answer for good
// (an error finish); the stream's end is handled by finishTurn.
export function applyChunk(turn, chunk, serverIds = []) {
  if (!chunk || typeof chunk !== 'object') return false;
  if (chunk.error) {
    const message = typeof chunk.error === 'string' ? chunk.error
                                                    : chunk.error.message ?? JSON.stringify(chunk.error);
    addNotice(turn, 'error', message, errorSource(chunk.error, message));
    turn.sawError = true;
    return true;
  }
  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  if (!choice) return false;
  const delta = choice.delta ?? choice.message ?? {};
  const finish = choice.finish_reason;
  const content = typeof delta.content === 'string' ? delta.content : '';
  if (finish === 'error') {
    const text = content.replace(/^Error:\s*/, '') || 'The gateway reported an error.';
    addNotice(turn, 'error', text, errorSource(choice.error ?? chunk.error, content));
    turn.sawError = true;
    return true;
  }
  if (typeof delta.reasoning_content === 'string' && delta.reasoning_content) {
    // The clean OpenAI style: reasoning beside the content, not tagged inside it.
    const last = lastSegment(turn);
    const open = last?.kind === 'content' && last.openReasoning;
    appendContent(turn, (open ? '' : '<thinking>') + delta.reasoning_content);
    lastSegment(turn).openReasoning = true;
  }
  if (content) {
    const last = lastSegment(turn);
    if (last?.kind === 'content' && last.openReasoning) {
      last.openReasoning = false;
      appendContent(turn, '</thinking>');
    }
    appendContent(turn, content);
  }
  const extras = choice.message_extras ?? chunk.message_extras;
  if (extras && typeof extras === 'object') {
    if (extras.tool_use !== undefined && extras.tool_use !== null && extras.tool_use !== '') {
      applyToolUse(turn, extras.tool_use, serverIds);
    }
    if (extras.approval) applyApproval(turn, extras.approval, serverIds);
  }
  if (finish && FINISH_NOTICES[finish]) {
    const [level, text] = FINISH_NOTICES[finish];
    addNotice(turn, level, text);
    if (finish === 'stop_requested') turn.stopped = true;
  }
  return false;
}

// Ends a turn once its stream is over. `how`: {done: saw [DONE], stopped: the user stopped it,
// error: an Error that cut the stream}.
export function finishTurn(turn, { done = false, stopped = false, error = null } = {}) {
  for (const segment of turn.segments) if (segment.kind === 'content') segment.openReasoning = false;
  for (const call of allCalls(turn)) {
    if (call.approval?.state === 'pending' || call.approval?.state === 'sending') {
      call.approval.state = 'expired';
    }
  }
  if (turn.sawError) {
    turn.state = 'error';
  } else if (stopped || turn.stopped) {
    turn.state = 'stopped';
    if (!turn.stopped) addNotice(turn, 'info', 'Stopped.');
  } else if (error) {
    turn.state = 'interrupted';
    addNotice(turn, 'error', `The connection to the gateway broke before the answer finished ` +
                             `(${error.message}). What arrived is kept.`, 'network');
  } else if (!done) {
    turn.state = 'interrupted';
    addNotice(turn, 'warn', 'The gateway closed the stream before the answer finished. ' +
                            'What arrived is kept.', 'gateway');
  } else {
    turn.state = 'done';
  }
}

export function allCalls(turn) {
  return turn.segments.filter((s) => s.kind === 'tools').flatMap((s) => s.calls);
}

const TAGS = ['<thinking>', '</thinking>', '<tool_input>', '</tool_input>'];

// Splits streamed content into display pieces: {kind: 'text'|'thinking'|'tool_input', text,
// open}. `open` marks a thinking or tool-input block whose closing tag has not arrived. A tool
// input or the end of the content also ends a thinking block (the gateway never sends </thinking>
// when no text follows it). While `streaming`, a trailing partial tag is held back, not shown.
export function parseContent(raw, streaming = false) {
  let text = raw;
  if (streaming) {
    for (const tag of TAGS) {
      for (let n = tag.length - 1; n > 0; n--) {
        if (text.endsWith(tag.slice(0, n))) {
          text = text.slice(0, text.length - n);
          break;
        }
      }
    }
  }
  const pieces = [];
  let current = null;
  const append = (value) => {
    if (!value) return;
    if (!current) {
      const last = pieces[pieces.length - 1];
      if (last && last.kind === 'text') {
        last.text += value;
        return;
      }
      pieces.push({ kind: 'text', text: value, open: false });
      return;
    }
    current.text += value;
  };
  let at = 0;
  for (;;) {
    let next = -1;
    let tag = '';
    for (const t of TAGS) {
      const i = text.indexOf(t, at);
      if (i >= 0 && (next < 0 || i < next)) {
        next = i;
        tag = t;
      }
    }
    if (next < 0) {
      append(text.slice(at));
      break;
    }
    append(text.slice(at, next));
    at = next + tag.length;
    if (tag === '<thinking>' || tag === '<tool_input>') {
      if (current) current.open = false;
      current = { kind: tag === '<thinking>' ? 'thinking' : 'tool_input', text: '', open: true };
      pieces.push(current);
    } else if (current) {
      current.open = false;
      current = null;
    }
  }
  return pieces;
}

// The answer's plain text (what Copy copies and what a later request sends as history).
export function answerText(turn) {
  return turn.segments
      .filter((s) => s.kind === 'content')
      .flatMap((s) => parseContent(s.raw).filter((p) => p.kind === 'text').map((p) => p.text))
      .join('')
      .trim();
}

// The user message as the gateway expects it: a string, or parts with attachments (images as
// image_url data URIs, other files as `file` parts with base64 data).
export function userContent(turn) {
  if (!turn.attachments?.length) return turn.text;
  const parts = [];
  if (turn.text) parts.push({ type: 'text', text: turn.text });
  for (const a of turn.attachments) {
    if (!a.data) continue;  // dropped when the conversation was saved (too large to keep)
    if (a.kind === 'image') {
      parts.push({ type: 'image_url', image_url: { url: `data:${a.mime};base64,${a.data}`,
                                                   detail: 'auto' } });
    } else {
      parts.push({ type: 'file', file: { file_data: a.data, filename: a.name, file_id: null } });
    }
  }
  return parts.length ? parts : turn.text;
}

// The messages of a chat request. With keep_session the gateway keeps the history, so only the
// newest user message goes (after the system prompt), as the demo's UI does; without it, the
// whole conversation (finished answers as plain text).
export function buildMessages(turns, { systemPrompt, keepSession }) {
  const messages = [];
  if (systemPrompt?.trim()) messages.push({ role: 'system', content: systemPrompt });
  const users = turns.filter((t) => t.role === 'user');
  if (keepSession) {
    const last = users[users.length - 1];
    if (last) messages.push({ role: 'user', content: userContent(last) });
    return messages;
  }
  for (const turn of turns) {
    if (turn.role === 'user') {
      messages.push({ role: 'user', content: userContent(turn) });
    } else if (turn.role === 'assistant') {
      const text = answerText(turn);
      if (text) messages.push({ role: 'assistant', content: text });
    }
  }
  // Bedrock wants alternating roles: merge neighbours of the same role (a failed answer leaves
  // two user messages in a row).
  const merged = [];
  for (const m of messages) {
    const last = merged[merged.length - 1];
    if (last && last.role === m.role && m.role !== 'system') {
      const asParts = (c) => (typeof c === 'string' ? [{ type: 'text', text: c }] : c);
      last.content = [...asParts(last.content), ...asParts(m.content)];
    } else {
      merged.push({ ...m });
    }
  }
  return merged;
}
