// What the UI keeps in the browser (localStorage): connection (API key, user id), chat options,
// theme, and the conversation itself. Every read tolerates a missing or corrupt entry.
const PREFIX = 'bedrock-mcp.';

export const DEFAULT_SETTINGS = {
  apiKey: '',
  userId: '',
  model: '',
  systemPrompt: 'You are a helpful assistant.',
  temperature: 0.7,
  maxTokens: 4000,
  enableThinking: false,
  budgetTokens: 8192,
  onlyRecentImages: 1,
  keepSession: true,
  selectedServers: [],
  theme: '',  // '' follows the system; 'light' | 'dark'
};

// A user id like the demo's: 8 random characters.
export function randomUserId() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function read(key, fallback) {
  try {
    const text = localStorage.getItem(PREFIX + key);
    return text === null ? fallback : JSON.parse(text);
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify(value));
    return true;
  } catch {
    return false;  // quota exceeded or storage disabled: the page still works, unsaved
  }
}

export function loadSettings() {
  const stored = read('settings', {});
  const settings = { ...DEFAULT_SETTINGS, ...(stored && typeof stored === 'object' ? stored : {}) };
  if (!Array.isArray(settings.selectedServers)) settings.selectedServers = [];
  if (!settings.userId) {
    settings.userId = randomUserId();
    write('settings', settings);
  }
  return settings;
}

export function saveSettings(settings) {
  write('settings', settings);
}

export function loadConversation() {
  const turns = read('conversation', []);
  return Array.isArray(turns) ? turns.filter((t) => t && (t.role === 'user' || t.role === 'assistant'))
                              : [];
}

// Saves the conversation; when it does not fit, attachments' data and then tool images are left
// out (the turns stay, marked as such).
export function saveConversation(turns) {
  const finished = turns.map((t) => (t.state === 'streaming' ? { ...t, state: 'interrupted' } : t));
  if (write('conversation', finished)) return;
  const slim = finished.map((t) => (t.role === 'user' && t.attachments?.length
      ? { ...t, attachments: t.attachments.map((a) => ({ ...a, data: '', dropped: true })) }
      : t));
  if (write('conversation', slim)) return;
  const slimmer = slim.map((t) => (t.role === 'assistant' ? {
    ...t,
    segments: t.segments.map((s) => (s.kind !== 'tools' ? s : {
      ...s,
      calls: s.calls.map((c) => (!c.result ? c : {
        ...c,
        result: { ...c.result, content: c.result.content.map((p) => (p.image
            ? { text: '[image not kept in the browser]' } : p)) },
      })),
    })),
  } : t));
  if (!write('conversation', slimmer)) write('conversation', []);
}
