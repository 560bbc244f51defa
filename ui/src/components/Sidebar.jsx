// The side panel: connection (API key, user id), chat options, and the MCP servers a chat uses.
import { useState } from 'preact/hooks';
import { randomUserId } from '../lib/settings.js';

function Field({ id, label, hint, children }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
    </div>
  );
}

// Open when there is no key yet or the gateway refused it (`attention`).
export function ConnectionSection({ settings, update, onApply, attention }) {
  const [showKey, setShowKey] = useState(false);
  return (
    <details class="panel" open={!settings.apiKey || attention}>
      <summary class="panel-title">Connection</summary>
      <Field id="api-key" label="API key" hint="Sent as Authorization: Bearer. Kept in this browser only.">
        <div class="row">
          <input id="api-key" type={showKey ? 'text' : 'password'} autocomplete="off"
                 spellcheck={false} value={settings.apiKey} aria-describedby="api-key-hint"
                 onInput={(e) => update({ apiKey: e.currentTarget.value })}
                 onChange={onApply} />
          <button type="button" class="small" aria-pressed={showKey ? 'true' : 'false'}
                  onClick={() => setShowKey(!showKey)}>{showKey ? 'Hide' : 'Show'}</button>
        </div>
      </Field>
      <Field id="user-id" label="User id" hint="Sent as X-User-ID: your servers and history.">
        <div class="row">
          <input id="user-id" type="text" autocomplete="off" spellcheck={false}
                 value={settings.userId} aria-describedby="user-id-hint"
                 onInput={(e) => update({ userId: e.currentTarget.value.trim() })}
                 onChange={onApply} />
          <button type="button" class="small" onClick={() => { update({ userId: randomUserId() }); onApply(); }}>
            New
          </button>
        </div>
      </Field>
    </details>
  );
}

export function ChatOptions({ settings, update }) {
  const number = (key, parse = Number) => (e) => {
    const value = parse(e.currentTarget.value);
    if (Number.isFinite(value)) update({ [key]: value });
  };
  return (
    <details class="panel" open>
      <summary class="panel-title">Chat options</summary>
      <Field id="system-prompt" label="System prompt">
        <textarea id="system-prompt" rows={3} value={settings.systemPrompt}
                  onInput={(e) => update({ systemPrompt: e.currentTarget.value })} />
      </Field>
      <div class="field-grid">
        <Field id="temperature" label={`Temperature ${settings.temperature.toFixed(1)}`}>
          <input id="temperature" type="range" min="0" max="1" step="0.1"
                 value={settings.temperature} onInput={number('temperature')} />
        </Field>
        <Field id="max-tokens" label="Max tokens">
          <input id="max-tokens" type="number" min="1" max="200000" step="1"
                 value={settings.maxTokens} onChange={number('maxTokens', (v) => parseInt(v, 10))} />
        </Field>
      </div>
      <div class="check">
        <input id="enable-thinking" type="checkbox" checked={settings.enableThinking}
               onChange={(e) => update({ enableThinking: e.currentTarget.checked })} />
        <label for="enable-thinking">Extended thinking</label>
      </div>
      <Field id="budget-tokens" label="Thinking budget (tokens)">
        <input id="budget-tokens" type="number" min="1024" max="100000" step="1"
               disabled={!settings.enableThinking} value={settings.budgetTokens}
               onChange={number('budgetTokens', (v) => parseInt(v, 10))} />
      </Field>
      <div class="check">
        <input id="keep-session" type="checkbox" checked={settings.keepSession}
               aria-describedby="keep-session-hint"
               onChange={(e) => update({ keepSession: e.currentTarget.checked })} />
        <label for="keep-session">Keep session on the server</label>
      </div>
      <p class="hint" id="keep-session-hint">
        On: the gateway keeps the history and each request sends only the new message.
        Off: every request sends the whole conversation.
      </p>
    </details>
  );
}

const STATUS_TEXT = { connected: 'connected', ok: 'connected', running: 'connected', ready: 'connected',
                      failed: 'failed', error: 'failed', starting: 'starting', connecting: 'starting',
                      stopped: 'stopped', idle: 'idle' };

function serverStatus(server) {
  const raw = String(server.status ?? '').toLowerCase();
  if (server.error && !raw) return 'failed';
  return STATUS_TEXT[raw] ?? raw;
}

function ServerItem({ server, selected, onToggle, onRemove }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = server.server_id;
  const status = serverStatus(server);
  const checkboxId = `server-${id}`;
  const errorText = server.error ?? server.last_error ?? '';
  const stderr = server.stderr_tail ?? server.stderr ?? '';
  const remove = async () => {
    setBusy(true);
    await onRemove(id);
    setBusy(false);
    setConfirming(false);
  };
  return (
    <li class={`server status-${status || 'unknown'}`}>
      <div class="server-row">
        <input id={checkboxId} type="checkbox" checked={selected} onChange={() => onToggle(id)} />
        <label for={checkboxId} class="server-label">
          <span class="server-name">{server.server_name || id}</span>
          {server.server_name && server.server_name !== id && <span class="server-id">{id}</span>}
          {server.scope === 'global' && <span class="server-scope">shared</span>}
        </label>
        {status && <span class={`status-dot status-${status}`} title={status}>
          <span class="sr-only">status: </span>{status}
        </span>}
        {confirming ? (
          <>
            <button type="button" class="small danger" disabled={busy} onClick={remove}
                    aria-label={`Confirm removing ${id}`}>Remove</button>
            <button type="button" class="small" onClick={() => setConfirming(false)}>Keep</button>
          </>
        ) : (
          <button type="button" class="small ghost" aria-label={`Remove server ${id}`}
                  onClick={() => setConfirming(true)}>✕</button>
        )}
      </div>
      {(errorText || stderr) && (
        <details class="server-error">
          <summary>Why it failed</summary>
          {errorText && (errorText.includes('\n') ? <pre>{errorText}</pre> : <p>{errorText}</p>)}
          {stderr && <pre aria-label="The server's last error output">{stderr}</pre>}
        </details>
      )}
    </li>
  );
}

export function ServersPanel({ servers, error, loading, selected, onToggle, onRemove, onAdd, onReload }) {
  return (
    <details class="panel" open>
      <summary class="panel-title">MCP servers</summary>
      {error && <p class="error-text" role="alert">{error}</p>}
      {loading && <p class="muted">Loading…</p>}
      {!loading && !error && servers.length === 0 && <p class="muted">No servers yet.</p>}
      <ul class="servers" aria-label="MCP servers; check the ones this chat uses">
        {servers.map((server) => (
          <ServerItem key={server.server_id} server={server}
                      selected={selected.includes(server.server_id)}
                      onToggle={onToggle} onRemove={onRemove} />
        ))}
      </ul>
      <div class="row">
        <button type="button" onClick={onAdd}>Add server…</button>
        <button type="button" class="ghost" onClick={onReload}>Refresh</button>
      </div>
    </details>
  );
}
