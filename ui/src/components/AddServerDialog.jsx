// "Add MCP server": paste an mcpServers JSON document, or fill in a stdio command or a URL.
// Input is checked here first (lib/server_config.js); the gateway's refusal is shown as it says it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { parseServerJson, serverFromFields } from '../lib/server_config.js';

const EXAMPLE = `{
  "mcpServers": {
    "everything": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-everything"]
    }
  }
}`;

export function AddServerDialog({ open, onClose, onSubmit }) {
  const dialog = useRef(null);
  const [mode, setMode] = useState('json');
  const [fields, setFields] = useState({ json: '', description: '', id: '', command: 'npx', args: '',
                                         env: '', url: '', token: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setError('');
      element.showModal();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);

  const set = (key) => (e) => setFields({ ...fields, [key]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    const parsed = mode === 'json'
      ? parseServerJson(fields.json, fields.description.trim())
      : serverFromFields({ ...fields, transport: mode === 'url' ? 'http' : 'stdio' });
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    setError('');
    const failure = await onSubmit(parsed.requests);
    setBusy(false);
    if (failure) setError(failure);
    else onClose();
  };

  const tab = (name, label) => (
    <button type="button" role="tab" id={`add-tab-${name}`} aria-selected={mode === name ? 'true' : 'false'}
            aria-controls="add-server-form" class={mode === name ? 'tab active' : 'tab'}
            onClick={() => { setMode(name); setError(''); }}>{label}</button>
  );

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="add-server-title" onClose={onClose}>
      <form id="add-server-form" method="dialog" onSubmit={submit} aria-busy={busy ? 'true' : 'false'}>
        <h2 id="add-server-title">Add MCP server</h2>
        <div role="tablist" aria-label="How to describe the server" class="tabs">
          {tab('json', 'Paste JSON')}
          {tab('stdio', 'Command')}
          {tab('url', 'URL')}
        </div>
        {mode === 'json' && (
          <div class="field">
            <label for="server-json">mcpServers JSON</label>
            <textarea id="server-json" rows={10} spellcheck={false} class="mono"
                      placeholder={EXAMPLE} value={fields.json} onInput={set('json')} />
          </div>
        )}
        {mode !== 'json' && (
          <div class="field">
            <label for="server-id">Server id</label>
            <input id="server-id" type="text" autocomplete="off" spellcheck={false}
                   value={fields.id} onInput={set('id')} />
          </div>
        )}
        {mode === 'stdio' && (
          <>
            <div class="field">
              <label for="server-command">Command</label>
              <input id="server-command" type="text" list="server-commands" autocomplete="off"
                     spellcheck={false} value={fields.command} onInput={set('command')} />
              <datalist id="server-commands">
                {['npx', 'uvx', 'node', 'python', 'docker', 'uv'].map((c) => <option key={c} value={c} />)}
              </datalist>
            </div>
            <div class="field">
              <label for="server-args">Arguments, one per line</label>
              <textarea id="server-args" rows={3} spellcheck={false} class="mono"
                        placeholder={'-y\n@modelcontextprotocol/server-everything'}
                        value={fields.args} onInput={set('args')} />
            </div>
            <div class="field">
              <label for="server-env">Environment, KEY=VALUE per line</label>
              <textarea id="server-env" rows={2} spellcheck={false} class="mono"
                        value={fields.env} onInput={set('env')} />
            </div>
          </>
        )}
        {mode === 'url' && (
          <>
            <div class="field">
              <label for="server-url">URL (Streamable HTTP; a path ending in /sse means HTTP+SSE)</label>
              <input id="server-url" type="url" autocomplete="off" spellcheck={false}
                     placeholder="https://example.com/mcp" value={fields.url} onInput={set('url')} />
            </div>
            <div class="field">
              <label for="server-token">Bearer token (optional)</label>
              <input id="server-token" type="password" autocomplete="off" value={fields.token}
                     onInput={set('token')} />
            </div>
          </>
        )}
        <div class="field">
          <label for="server-desc">Description (optional)</label>
          <input id="server-desc" type="text" value={fields.description} onInput={set('description')} />
        </div>
        {error && <p class="error-text" role="alert">{error}</p>}
        {busy && <p class="muted" role="status"><span class="spinner" aria-hidden="true" /> Connecting to the server…</p>}
        <div class="row end">
          <button type="button" class="ghost" onClick={onClose}>Cancel</button>
          <button type="submit" class="primary" disabled={busy}>Add</button>
        </div>
      </form>
    </dialog>
  );
}
