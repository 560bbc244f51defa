// Turns what a person enters in "Add MCP server" into the gateway's add requests
// (POST /v1/add/mcp_server, demo-api.md §4), or into an error message that says what is wrong.
// Both forms are sent as `config_json` (with the top-level fields filled in too), the shape every
// gateway accepts.
//
//   parseServerJson('{"mcpServers": {"fs": {"command": "npx", "args": [...]}}}')
//     → {ok: true, requests: [{server_id: 'fs', config_json: {...}, ...}]}
//   parseServerJson('{oops') → {ok: false, error: 'The JSON is not valid: ...'}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function checkId(id) {
  if (!id) return 'Give the server an id.';
  if (!ID_PATTERN.test(id)) {
    return `The server id "${id}" must be 1 to 64 letters, digits, '_', '-' or '.', starting ` +
           'with a letter or digit.';
  }
  return null;
}

function checkConfig(id, config) {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    return `Server "${id}" must be an object with a "command" or a "url".`;
  }
  const hasUrl = typeof config.url === 'string' && config.url !== '';
  const hasCommand = typeof config.command === 'string' && config.command !== '';
  if (!hasUrl && !hasCommand) return `Server "${id}" needs a "command" (stdio) or a "url".`;
  if (hasUrl) {
    let url;
    try {
      url = new URL(config.url);
    } catch {
      return `Server "${id}": "${config.url}" is not a valid URL.`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return `Server "${id}": the URL must start with http:// or https://.`;
    }
    if (config.token !== undefined && config.token !== null && typeof config.token !== 'string') {
      return `Server "${id}": "token" must be a string.`;
    }
  }
  if (config.args !== undefined &&
      (!Array.isArray(config.args) || config.args.some((a) => typeof a !== 'string'))) {
    return `Server "${id}": "args" must be an array of strings.`;
  }
  if (config.env !== undefined) {
    if (!config.env || typeof config.env !== 'object' || Array.isArray(config.env)) {
      return `Server "${id}": "env" must be an object of strings.`;
    }
    const bad = Object.entries(config.env).find(([, v]) => typeof v !== 'string');
    if (bad) return `Server "${id}": env "${bad[0]}" must be a string.`;
  }
  return null;
}

export function requestFor(id, config, description = '') {
  const desc = description || (typeof config.description === 'string' ? config.description : '') || id;
  const request = { server_id: id, server_desc: desc, config_json: { mcpServers: { [id]: config } } };
  if (config.url) return request;
  return { ...request, command: config.command, args: config.args ?? [], env: config.env ?? {} };
}

// A pasted {"mcpServers": {...}} document (the wrapper is optional, as in the demo). Every server
// in it becomes one request.
export function parseServerJson(text, description = '') {
  if (!text.trim()) return { ok: false, error: 'Paste an mcpServers JSON document first.' };
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `The JSON is not valid: ${e.message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'The JSON must be an object such as {"mcpServers": {"name": {...}}}.' };
  }
  const servers = value.mcpServers ?? value;
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) {
    return { ok: false, error: '"mcpServers" must be an object mapping server ids to settings.' };
  }
  const entries = Object.entries(servers);
  if (entries.length === 0) return { ok: false, error: 'The JSON names no server.' };
  const requests = [];
  for (const [id, config] of entries) {
    const error = checkId(id) ?? checkConfig(id, config);
    if (error) return { ok: false, error };
    requests.push(requestFor(id, config, entries.length === 1 ? description : ''));
  }
  return { ok: true, requests };
}

function lines(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

// The field form: {transport: 'stdio', id, command, args (one per line), env (KEY=VALUE lines)}
// or {transport: 'http', id, url, token}.
export function serverFromFields(fields) {
  const id = (fields.id ?? '').trim();
  const idError = checkId(id);
  if (idError) return { ok: false, error: idError };
  let config;
  if (fields.transport === 'http') {
    config = { url: (fields.url ?? '').trim() };
    if (fields.token?.trim()) config.token = fields.token.trim();
  } else {
    const env = {};
    for (const line of lines(fields.env ?? '')) {
      const eq = line.indexOf('=');
      if (eq <= 0) return { ok: false, error: `Environment line "${line}" is not KEY=VALUE.` };
      env[line.slice(0, eq).trim()] = line.slice(eq + 1);
    }
    config = { command: (fields.command ?? '').trim(), args: lines(fields.args ?? ''), env };
  }
  const error = checkConfig(id, config);
  if (error) return { ok: false, error };
  return { ok: true, requests: [requestFor(id, config, (fields.description ?? '').trim())] };
}
