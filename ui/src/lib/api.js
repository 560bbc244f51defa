// The gateway's HTTP API as the UI uses it (shared reference demo-api.md §2–§6), with every failure
// turned into a GatewayError whose message a person can act on.
//
//   const api = new GatewayApi(() => ({apiKey, userId}));
//   const {models} = await api.listModels();
//   const {response, streamId} = await api.chat(body, abortSignal);  // then read response.body
//
// Requests go to the page's own origin (the gateway serves the UI), so no CORS is involved.
import { SseDataParser } from './sse.js';

export class GatewayError extends Error {
  // kind: 'network' (gateway unreachable), 'auth' (401/403), 'missing' (404: no such endpoint or
  // object), 'http' (other status), 'gateway' (errno ≠ 0), 'protocol' (a reply that is not JSON).
  constructor(kind, message, status = 0) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

function detailOf(body) {
  if (!body || typeof body !== 'object') return '';
  if (typeof body.error === 'string') return body.error;
  if (body.error?.message) return body.error.message;
  if (typeof body.detail === 'string') return body.detail;
  if (body.detail) return JSON.stringify(body.detail);
  if (typeof body.msg === 'string') return body.msg;
  return '';
}

export class GatewayApi {
  constructor(credentials, base = '') {
    this.credentials = credentials;
    this.base = base;
  }

  headers(json) {
    const { apiKey, userId } = this.credentials();
    const headers = {};
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    if (userId) headers['X-User-ID'] = userId;
    if (json) headers['Content-Type'] = 'application/json';
    return headers;
  }

  async send(method, path, body, signal) {
    let response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: 'no-store',
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new GatewayError('network', 'Cannot reach the gateway: is `bedrock-mcp serve` ' +
                                        `running? (${e.message})`);
    }
    return response;
  }

  async failure(response) {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // the body is optional in an error reply
    }
    let detail = '';
    try {
      detail = detailOf(JSON.parse(text));
    } catch {
      detail = text.slice(0, 300);
    }
    const status = response.status;
    const suffix = detail ? `: ${detail}` : '';
    if (status === 401 || status === 403) {
      return new GatewayError('auth', `The gateway refused the API key (HTTP ${status}${suffix}). ` +
                                      'Set the right key under Connection.', status);
    }
    if (status === 404) return new GatewayError('missing', `Not found (HTTP 404${suffix})`, status);
    if (status === 502 || status === 503 || status === 504) {
      return new GatewayError('network', `The gateway is unavailable (HTTP ${status}${suffix})`,
                              status);
    }
    return new GatewayError('http', `The gateway answered HTTP ${status}${suffix}`, status);
  }

  // A JSON reply; errno ≠ 0 (the demo's in-body failure) becomes a GatewayError with its msg.
  async json(method, path, body) {
    const response = await this.send(method, path, body);
    if (!response.ok) throw await this.failure(response);
    let value;
    try {
      value = await response.json();
    } catch {
      throw new GatewayError('protocol', `The gateway's reply to ${path} is not JSON.`,
                             response.status);
    }
    if (value && typeof value === 'object' && typeof value.errno === 'number' && value.errno !== 0) {
      const message = value.errno === 422 ? `Invalid request: ${value.msg}` : value.msg;
      throw new GatewayError('gateway', message || `The gateway failed (errno ${value.errno}).`,
                             response.status);
    }
    return value ?? {};
  }

  listModels() {
    return this.json('GET', '/v1/list/models');
  }
  listServers() {
    return this.json('GET', '/v1/list/mcp_server');
  }
  addServer(body) {
    return this.json('POST', '/v1/add/mcp_server', body);
  }
  removeServer(id) {
    return this.json('DELETE', `/v1/remove/mcp_server/${encodeURIComponent(id)}`);
  }
  removeHistory() {
    return this.json('POST', '/v1/remove/history');
  }
  stopStream(streamId) {
    return this.json('POST', `/v1/stop/stream/${encodeURIComponent(streamId)}`);
  }
  // The decision on a tool call the gateway holds for approval (see conversation.applyApproval).
  approve(approvalId, approved) {
    return this.json('POST', `/v1/approve/${encodeURIComponent(approvalId)}`, { approved });
  }

  // Starts a streamed chat. Resolves once the headers arrived, with the response (its body not
  // read yet) and its X-Stream-ID.
  async chat(body, signal) {
    const response = await this.send('POST', '/v1/chat/completions', body, signal);
    if (response.status === 404) {
      const error = await this.failure(response);
      error.message = 'This gateway has no chat endpoint (HTTP 404).';
      throw error;
    }
    if (!response.ok) throw await this.failure(response);
    const type = response.headers.get('Content-Type') ?? '';
    if (!type.includes('text/event-stream')) {
      // An error reported as JSON with status 200 (the demo's errno 422 for a bad body).
      let value = null;
      try {
        value = await response.json();
      } catch {
        throw new GatewayError('protocol', `The gateway answered a chat with ${type || 'no type'}` +
                                           ', not an event stream.');
      }
      throw new GatewayError('gateway', detailOf(value) || 'The gateway refused the chat request.');
    }
    return { response, streamId: response.headers.get('X-Stream-ID') };
  }
}

// Reads an event stream body, calling onData(payload) for each event's data ("{…}" or "[DONE]").
// Resolves when the body ends; rejects with the reader's error when the connection breaks.
export async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseDataParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const payload of parser.push(decoder.decode(value, { stream: true }))) onData(payload);
  }
  for (const payload of parser.push(decoder.decode())) onData(payload);
  for (const payload of parser.end()) onData(payload);
}
