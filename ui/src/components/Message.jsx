// One turn of the conversation: the user's message, or the assistant's streamed answer with its
// thinking, tool calls (arguments, results, approval) and notices.
import { useState } from 'preact/hooks';
import { answerText, parseContent } from '../lib/conversation.js';
import { highlight, renderMarkdown } from '../lib/markdown.js';
import { formatSize } from '../lib/attachments.js';
import { copyText } from '../lib/clipboard.js';

function Markdown({ source, streaming }) {
  return (
    <div
      class={`markdown${streaming ? ' streaming' : ''}`}
      dangerouslySetInnerHTML={{ __html: renderMarkdown(source) }}
    />
  );
}

export function CopyButton({ text, label = 'Copy', title }) {
  const [state, setState] = useState('');
  const copy = async () => {
    setState((await copyText(typeof text === 'function' ? text() : text)) ? 'Copied' : 'Copy failed');
    setTimeout(() => setState(''), 1500);
  };
  return (
    <button type="button" class="small ghost" onClick={copy} title={title} aria-label={title}>
      {state || label}
    </button>
  );
}

// Tool output can be megabytes: only the first part is put in the page, more on request.
const FIRST_CHARS = 10000;
const MAX_CHARS = 1000000;

function LongText({ text, json }) {
  const [limit, setLimit] = useState(FIRST_CHARS);
  const shown = text.length > limit ? text.slice(0, limit) : text;
  const html = json && shown.length <= 50000 ? highlight(shown, 'json') : null;
  return (
    <div class="long-text">
      {html !== null ? <pre class="hljs" dangerouslySetInnerHTML={{ __html: html }} />
                     : <pre>{shown}</pre>}
      {text.length > limit && (
        <p class="truncated">
          Showing {limit.toLocaleString()} of {text.length.toLocaleString()} characters.{' '}
          {limit < MAX_CHARS ? (
            <button type="button" class="small" onClick={() => setLimit(Math.min(limit * 10, MAX_CHARS))}>
              Show more
            </button>
          ) : 'The rest is not displayed; use Copy for all of it.'}
        </p>
      )}
    </div>
  );
}

function prettyText(text) {
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && trimmed.length < 2000000) {
    try {
      return { text: JSON.stringify(JSON.parse(trimmed), null, 2), json: true };
    } catch {
      // not JSON after all
    }
  }
  return { text, json: false };
}

function ResultPart({ part, call }) {
  if (typeof part?.text === 'string') {
    const pretty = prettyText(part.text);
    return <LongText text={pretty.text} json={pretty.json} />;
  }
  if (part?.image) {
    const format = String(part.image.format ?? 'png').replace(/[^a-z0-9+.-]/gi, '');
    const data = part.image.source?.base64 ?? '';
    if (!data) return <p class="muted">(an image without data)</p>;
    return (
      <img class="tool-image" src={`data:image/${format};base64,${data}`}
           alt={`Image returned by ${call.tool || call.name}`} />
    );
  }
  const pretty = JSON.stringify(part, null, 2) ?? String(part);
  return <LongText text={pretty} json />;
}

function argumentsText(input) {
  if (input === undefined) return '';
  if (typeof input === 'string') return prettyText(input).text;
  return JSON.stringify(input, null, 2);
}

function resultText(result) {
  return result.content.map((p) => (typeof p.text === 'string' ? p.text
                                    : p.image ? '[image]' : JSON.stringify(p))).join('\n');
}

export function ToolCall({ call, streaming, onApprove }) {
  const failed = call.result?.status === 'error';
  const approval = call.approval;
  const state = approval?.state === 'pending' || approval?.state === 'sending' ? 'approval'
      : call.result ? (failed ? 'error' : 'done')
      : approval?.state === 'denied' ? 'denied'
      : approval?.state === 'expired' ? 'expired'
      : streaming ? 'running' : 'unfinished';
  const labels = { approval: 'waiting for your approval', error: 'failed', done: 'done',
                   denied: 'denied', expired: 'not answered', running: 'running…',
                   unfinished: 'no result' };
  const args = argumentsText(call.input);
  return (
    <details class={`tool-call state-${state}`} open>
      <summary>
        <span class="tool-icon" aria-hidden="true">⚙</span>
        <span class="tool-name">{call.tool || call.name || 'tool'}</span>
        {call.server && <span class="tool-server">on {call.server}</span>}
        <span class={`badge badge-${state}`}>{labels[state]}</span>
      </summary>
      <div class="tool-body">
        <h4>Arguments</h4>
        {args ? <LongText text={args} json={typeof call.input !== 'string' || args.startsWith('{')} />
              : <p class="muted">(none)</p>}
        {approval && (state === 'approval') && (
          <div class="approval" role="group" aria-label={`Approve ${call.tool || call.name}?`}>
            <p>The gateway waits for your decision before running this tool.</p>
            <button type="button" class="primary" disabled={approval.state === 'sending'}
                    onClick={() => onApprove(call, true)}>Approve</button>
            <button type="button" class="danger" disabled={approval.state === 'sending'}
                    onClick={() => onApprove(call, false)}>Deny</button>
            {approval.error && <p class="error-text" role="alert">{approval.error}</p>}
          </div>
        )}
        {approval && state !== 'approval' && approval.state !== 'answered' && (
          <p class="muted">Approval: {approval.state}.</p>
        )}
        {call.result && (
          <>
            <h4>
              {failed ? <>Error from MCP server <strong>{call.server || 'unknown'}</strong></> : 'Result'}
              <CopyButton text={() => resultText(call.result)} label="Copy"
                          title={`Copy the result of ${call.tool || call.name}`} />
            </h4>
            <div class={failed ? 'result error' : 'result'}>
              {call.result.content.length === 0 && <p class="muted">(empty)</p>}
              {call.result.content.map((part, i) => <ResultPart key={i} part={part} call={call} />)}
            </div>
          </>
        )}
      </div>
    </details>
  );
}

function Thinking({ text, open }) {
  return (
    <details class="thinking" open={open}>
      <summary>{open ? 'Thinking…' : 'Thoughts'}</summary>
      <div class="thinking-text">{text}</div>
    </details>
  );
}

function ContentSegment({ segment, streaming, isLast }) {
  const pieces = parseContent(segment.raw, streaming && isLast);
  return pieces.map((piece, i) => {
    const live = streaming && isLast && i === pieces.length - 1;
    if (piece.kind === 'thinking') return <Thinking key={i} text={piece.text} open={live && piece.open} />;
    if (piece.kind === 'tool_input') {
      if (segment.toolsResolved) return null;
      return (
        <div key={i} class="tool-input" role="status">
          <span class="spinner" aria-hidden="true" /> Preparing a tool call…
          <pre>{piece.text}</pre>
        </div>
      );
    }
    return <Markdown key={i} source={piece.text} streaming={live} />;
  });
}

function Notice({ segment }) {
  const role = segment.level === 'error' ? 'alert' : undefined;
  return (
    <p class={`notice notice-${segment.level}`} role={role}>
      {segment.source && <span class="notice-source">{segment.source}: </span>}
      {segment.text}
    </p>
  );
}

export function AssistantMessage({ turn, onApprove }) {
  const streaming = turn.state === 'streaming';
  const segments = turn.segments;
  return (
    <article class={`message assistant state-${turn.state}`} aria-label="Assistant"
             aria-busy={streaming ? 'true' : 'false'}>
      <div class="message-body">
        {segments.length === 0 && streaming && (
          <p class="waiting"><span class="spinner" aria-hidden="true" /> Waiting for the model…</p>
        )}
        {segments.map((segment, i) => {
          if (segment.kind === 'content') {
            return <ContentSegment key={i} segment={segment} streaming={streaming}
                                   isLast={i === segments.length - 1} />;
          }
          if (segment.kind === 'tools') {
            return segment.calls.map((call) => (
              <ToolCall key={call.toolUseId} call={call} streaming={streaming} onApprove={onApprove} />
            ));
          }
          return <Notice key={i} segment={segment} />;
        })}
      </div>
      {!streaming && answerText(turn) && (
        <div class="message-actions">
          <CopyButton text={() => answerText(turn)} label="Copy" title="Copy the answer" />
        </div>
      )}
    </article>
  );
}

export function UserMessage({ turn }) {
  return (
    <article class="message user" aria-label="You">
      <div class="message-body">
        {turn.attachments?.length > 0 && (
          <ul class="attachments" aria-label="Attachments">
            {turn.attachments.map((a, i) => (
              <li key={i}>
                {a.kind === 'image' && a.data
                  ? <img class="thumb" src={`data:${a.mime};base64,${a.data}`} alt={a.name} />
                  : <span class="chip">📄 {a.name} ({formatSize(a.size ?? 0)}){a.dropped ? ', not kept' : ''}</span>}
              </li>
            ))}
          </ul>
        )}
        {turn.text && <div class="user-text">{turn.text}</div>}
      </div>
    </article>
  );
}
