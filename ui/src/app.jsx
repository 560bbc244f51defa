// The chat page: state, requests to the gateway, and the layout (header, side panel, messages,
// composer). A streamed answer is a mutable turn object (lib/conversation.js) updated chunk by
// chunk and re-rendered at most once per animation frame.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { GatewayApi, GatewayError, readEvents } from './lib/api.js';
import { ACCEPT, formatSize, readAttachment } from './lib/attachments.js';
import { copyText } from './lib/clipboard.js';
import { addNotice, applyChunk, buildMessages, finishTurn, newAssistantTurn,
         newUserTurn } from './lib/conversation.js';
import { loadConversation, loadSettings, saveConversation, saveSettings } from './lib/settings.js';
import { AddServerDialog } from './components/AddServerDialog.jsx';
import { AssistantMessage, UserMessage } from './components/Message.jsx';
import { ChatOptions, ConnectionSection, ServersPanel } from './components/Sidebar.jsx';

// After Stop, how long the gateway gets to end the stream itself before the page cuts it.
const STOP_GRACE_MS = 3000;
// After [DONE], how long the gateway gets to close the response (the demo sends one more chunk).
const DONE_GRACE_MS = 2000;

function systemTheme() {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [settings, setSettings] = useState(loadSettings);
  const [turns, setTurns] = useState(loadConversation);
  const [models, setModels] = useState([]);
  const [servers, setServers] = useState([]);
  const [serversLoading, setServersLoading] = useState(true);
  const [serversError, setServersError] = useState('');
  const [banner, setBanner] = useState(null);  // {level, text}
  const [draft, setDraft] = useState('');
  const [attachments, setAttachments] = useState([]);
  const [streaming, setStreaming] = useState(false);
  const [addOpen, setAddOpen] = useState(false);
  const [panelOpen, setPanelOpen] = useState(false);
  const [status, setStatus] = useState('');  // announced to screen readers
  const [, setTick] = useState(0);

  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const turnsRef = useRef(turns);
  turnsRef.current = turns;
  const active = useRef(null);  // {turn, controller, stopTimer, doneTimer, stopRequested}
  const frame = useRef(0);
  const listEnd = useRef(null);
  const input = useRef(null);
  const fileInput = useRef(null);
  const serverIds = useMemo(() => servers.map((s) => s.server_id), [servers]);

  const api = useMemo(() => new GatewayApi(() => settingsRef.current), []);

  const theme = settings.theme || systemTheme();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  // Synchronous through settingsRef, so a request made right after (reconnect with a new user id)
  // already uses the new values.
  const update = useCallback((patch) => {
    const next = { ...settingsRef.current, ...patch };
    settingsRef.current = next;
    saveSettings(next);
    setSettings(next);
  }, []);

  const rerender = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setTick((t) => t + 1);
    });
  }, []);

  const loadModels = useCallback(async () => {
    try {
      const reply = await api.listModels();
      const list = Array.isArray(reply.models) ? reply.models.filter((m) => m?.model_id) : [];
      setModels(list);
      setBanner(null);
      const current = settingsRef.current.model;
      if (list.length && !list.some((m) => m.model_id === current)) update({ model: list[0].model_id });
      if (!list.length) setBanner({ level: 'warn', text: 'The gateway lists no models: add some to its configuration.' });
    } catch (e) {
      setBanner({ level: 'error', text: `Could not load the models. ${e.message}`, kind: e.kind });
    }
  }, [api, update]);

  const loadServers = useCallback(async () => {
    setServersLoading(true);
    try {
      const reply = await api.listServers();
      setServers(Array.isArray(reply.servers) ? reply.servers.filter((s) => s?.server_id) : []);
      setServersError('');
    } catch (e) {
      setServersError(e.message);
    } finally {
      setServersLoading(false);
    }
  }, [api]);

  const reconnect = useCallback(() => {
    loadModels();
    loadServers();
  }, [loadModels, loadServers]);

  useEffect(reconnect, []);

  useEffect(() => {
    if (!streaming) saveConversation(turns);
  }, [turns, streaming]);

  // Follow the answer as it grows, unless the reader scrolled up to read something earlier.
  const following = useRef(true);
  const onScroll = (e) => {
    const list = e.currentTarget;
    following.current = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  };
  useEffect(() => {
    if (following.current) listEnd.current?.scrollIntoView({ block: 'end' });
  });

  const toggleServer = (id) => {
    const selected = settings.selectedServers.includes(id)
      ? settings.selectedServers.filter((s) => s !== id)
      : [...settings.selectedServers, id];
    update({ selectedServers: selected });
  };

  const removeServer = async (id) => {
    try {
      await api.removeServer(id);
      update({ selectedServers: settingsRef.current.selectedServers.filter((s) => s !== id) });
      setStatus(`Removed ${id}`);
    } catch (e) {
      setServersError(`Could not remove ${id}: ${e.message}`);
    }
    await loadServers();
  };

  // Returns an error message for the dialog, or '' when every server was added.
  const addServers = async (requests) => {
    const added = [];
    for (const request of requests) {
      try {
        await api.addServer(request);
        added.push(request.server_id);
      } catch (e) {
        await loadServers();
        if (added.length) update({ selectedServers: [...new Set([...settingsRef.current.selectedServers, ...added])] });
        return `Could not add ${request.server_id}: ${e.message}`;
      }
    }
    update({ selectedServers: [...new Set([...settingsRef.current.selectedServers, ...added])] });
    setStatus(`Added ${added.join(', ')}`);
    await loadServers();
    return '';
  };

  const approve = async (call, approved) => {
    call.approval.state = 'sending';
    call.approval.error = '';
    rerender();
    try {
      await api.approve(call.approval.id, approved);
      call.approval.state = approved ? 'approved' : 'denied';
    } catch (e) {
      call.approval.state = 'pending';
      call.approval.error = `The decision did not reach the gateway: ${e.message}`;
    }
    rerender();
  };

  const send = async () => {
    const text = draft.trim();
    if ((!text && attachments.length === 0) || streaming) return;
    const s = settingsRef.current;
    if (!s.model) {
      setBanner({ level: 'error', text: 'No model selected: the gateway listed none, or it cannot be reached.' });
      return;
    }
    const user = newUserTurn(text, attachments);
    const turn = newAssistantTurn();
    const history = [...turnsRef.current, user];
    const body = {
      model: s.model,
      messages: buildMessages(history, { systemPrompt: s.systemPrompt, keepSession: s.keepSession }),
      mcp_server_ids: s.selectedServers.filter((id) => serverIds.includes(id)),
      extra_params: { only_n_most_recent_images: s.onlyRecentImages, budget_tokens: s.budgetTokens,
                      enable_thinking: s.enableThinking },
      stream: true,
      temperature: s.temperature,
      max_tokens: s.maxTokens,
      keep_session: s.keepSession,
    };
    following.current = true;
    setTurns([...history, turn]);
    setDraft('');
    setAttachments([]);
    setStreaming(true);
    setStatus('Sending');
    const run = { turn, controller: new AbortController(), stopRequested: false, done: false };
    active.current = run;
    let cut = null;
    try {
      const { response, streamId } = await api.chat(body, run.controller.signal);
      turn.streamId = streamId;
      let malformed = 0;
      await readEvents(response, (payload) => {
        if (payload.trim() === '[DONE]') {
          run.done = true;
          // The gateway should close now; if it does not, stop waiting after a moment.
          run.doneTimer ??= setTimeout(() => run.controller.abort(), DONE_GRACE_MS);
          return;
        }
        let chunk;
        try {
          chunk = JSON.parse(payload);
        } catch {
          malformed++;
          return;
        }
        applyChunk(turn, chunk, serverIds);
        rerender();
      });
      if (malformed) addNotice(turn, 'warn', `Skipped ${malformed} malformed stream event(s).`, 'gateway');
    } catch (e) {
      if (e.name === 'AbortError') {
        // Stop pressed (and the gateway did not end the stream in time) or the [DONE] grace ran out.
      } else if (e instanceof GatewayError) {
        addNotice(turn, 'error', e.message, e.kind === 'network' ? 'network' : 'gateway');
        turn.sawError = true;
        if (e.kind === 'network' || e.kind === 'auth') setBanner({ level: 'error', text: e.message, kind: e.kind });
      } else {
        cut = e;
      }
    }
    clearTimeout(run.stopTimer);
    clearTimeout(run.doneTimer);
    finishTurn(turn, { done: run.done, stopped: run.stopRequested && !run.done, error: cut });
    active.current = null;
    setStreaming(false);
    setStatus(turn.state === 'done' ? 'Answer complete' : `Answer ${turn.state}`);
    setTurns([...turnsRef.current]);
    input.current?.focus();
  };

  const stop = async () => {
    const run = active.current;
    if (!run || run.stopRequested) return;
    run.stopRequested = true;
    run.stopTimer = setTimeout(() => run.controller.abort(), STOP_GRACE_MS);
    if (!run.turn.streamId) {
      run.controller.abort();
      return;
    }
    try {
      await api.stopStream(run.turn.streamId);
    } catch (e) {
      addNotice(run.turn, 'warn', `The gateway did not take the stop request (${e.message}); ` +
                                  'the page stopped reading instead.', 'gateway');
      run.controller.abort();
    }
  };

  const clear = async () => {
    if (streaming) return;
    try {
      await api.removeHistory();
    } catch (e) {
      setBanner({ level: 'error', text: `Could not clear the history on the gateway, so the ` +
                                        `conversation is kept. ${e.message}` });
      return;
    }
    setTurns([]);
    setBanner(null);
    setStatus('Conversation cleared');
  };

  const addFiles = async (files) => {
    const added = [];
    const errors = [];
    for (const file of files) {
      try {
        added.push(await readAttachment(file));
      } catch (e) {
        errors.push(e.message);
      }
    }
    if (added.length) setAttachments((old) => [...old, ...added]);
    setBanner(errors.length ? { level: 'error', text: errors.join(' ') } : null);
  };

  const onKeyDown = (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && streaming) {
      stop();
    }
  };

  const onPaste = (e) => {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length) {
      e.preventDefault();
      addFiles(files);
    }
  };

  // Copy buttons inside rendered Markdown code blocks (the HTML is sanitised, so no handlers).
  const onListClick = async (e) => {
    const button = e.target.closest?.('[data-copy-code]');
    if (!button) return;
    const code = button.parentElement?.querySelector('code')?.textContent ?? '';
    button.textContent = (await copyText(code)) ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  };

  const selectedCount = settings.selectedServers.filter((id) => serverIds.includes(id)).length;

  return (
    <div class={`app${panelOpen ? ' panel-open' : ''}`}>
      <a class="skip-link" href="#message-input">Skip to the message box</a>
      <header class="topbar">
        <button type="button" class="icon-button menu-button" aria-expanded={panelOpen ? 'true' : 'false'}
                aria-controls="side-panel" onClick={() => setPanelOpen(!panelOpen)}>
          <span aria-hidden="true">☰</span><span class="sr-only">Settings and servers</span>
        </button>
        <h1>bedrock-mcp</h1>
        <label for="model" class="sr-only">Model</label>
        <select id="model" value={settings.model} onChange={(e) => update({ model: e.currentTarget.value })}>
          {models.length === 0 && <option value="">{settings.model || 'No models'}</option>}
          {models.map((m) => <option key={m.model_id} value={m.model_id}>{m.model_name || m.model_id}</option>)}
        </select>
        <button type="button" class="icon-button" id="theme-toggle"
                aria-label={theme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
                onClick={() => update({ theme: theme === 'dark' ? 'light' : 'dark' })}>
          <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
        </button>
      </header>

      <aside id="side-panel" class="side-panel" aria-label="Settings and servers">
        <ConnectionSection settings={settings} update={update} onApply={reconnect}
                           attention={banner?.kind === 'auth'} />
        <ServersPanel servers={servers} error={serversError} loading={serversLoading}
                      selected={settings.selectedServers} onToggle={toggleServer}
                      onRemove={removeServer} onAdd={() => setAddOpen(true)} onReload={loadServers} />
        <ChatOptions settings={settings} update={update} />
      </aside>
      {panelOpen && <div class="scrim" onClick={() => setPanelOpen(false)} aria-hidden="true" />}

      <main class="chat">
        {banner && (
          <div class={`banner banner-${banner.level}`} role="alert">
            <span>{banner.text}</span>
            <button type="button" class="small" onClick={reconnect}>Retry</button>
            <button type="button" class="small ghost" aria-label="Dismiss" onClick={() => setBanner(null)}>✕</button>
          </div>
        )}
        <section class="messages" aria-label="Conversation" onClick={onListClick} onScroll={onScroll}>
          {turns.length === 0 && (
            <div class="empty">
              <h2>Ask anything</h2>
              <p>Pick the MCP servers this chat may use in the side panel; their tools appear here as the model calls them.</p>
            </div>
          )}
          {turns.map((turn) => (turn.role === 'user'
            ? <UserMessage key={turn.id} turn={turn} />
            : <AssistantMessage key={turn.id} turn={turn} onApprove={approve} />))}
          <div ref={listEnd} />
        </section>
        <div class="sr-only" role="status" aria-live="polite">{status}</div>

        <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => { e.preventDefault(); addFiles(Array.from(e.dataTransfer?.files ?? [])); }}>
          {attachments.length > 0 && (
            <ul class="attachments pending" aria-label="Attachments to send">
              {attachments.map((a, i) => (
                <li key={i} class="chip">
                  {a.kind === 'image' ? '🖼' : '📄'} {a.name} ({formatSize(a.size)})
                  <button type="button" class="small ghost" aria-label={`Remove attachment ${a.name}`}
                          onClick={() => setAttachments(attachments.filter((_, j) => j !== i))}>✕</button>
                </li>
              ))}
            </ul>
          )}
          <label for="message-input" class="sr-only">Message</label>
          <textarea id="message-input" ref={input} rows={2} value={draft}
                    placeholder="Message (Enter to send, Shift+Enter for a new line)"
                    onInput={(e) => setDraft(e.currentTarget.value)} onKeyDown={onKeyDown} onPaste={onPaste} />
          <div class="composer-actions">
            <input ref={fileInput} type="file" multiple accept={ACCEPT} class="sr-only" id="file-input"
                   tabIndex={-1} aria-hidden="true"
                   onChange={(e) => { addFiles(Array.from(e.currentTarget.files ?? [])); e.currentTarget.value = ''; }} />
            <button type="button" class="ghost" onClick={() => fileInput.current?.click()}>Attach</button>
            <button type="button" class="ghost" onClick={clear} disabled={streaming || turns.length === 0}>Clear</button>
            <span class="composer-info">
              {selectedCount ? `${selectedCount} server${selectedCount > 1 ? 's' : ''}` : 'no servers'}
              {settings.keepSession ? ' · session kept' : ''}
            </span>
            {streaming
              ? <button type="button" class="danger" onClick={stop}>Stop</button>
              : <button type="submit" class="primary" disabled={!draft.trim() && attachments.length === 0}>Send</button>}
          </div>
        </form>
      </main>

      <AddServerDialog open={addOpen} onClose={() => setAddOpen(false)} onSubmit={addServers} />
    </div>
  );
}
