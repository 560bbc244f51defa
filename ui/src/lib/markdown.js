// Markdown to safe HTML for answers: marked (GitHub flavour: tables, fenced code), highlight.js
// for a handful of languages, DOMPurify over the result (a model's answer is untrusted input).
// Rendering is memoised by source text: a streamed answer re-renders only the piece that grew.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, c, cpp, css, diff, go, java, javascript, json, markdown, python, rust,
                    sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

const escapeHtml = (text) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;',
                                      "'": '&#39;' })[ch]);

export function highlight(code, language) {
  const lang = (language ?? '').toLowerCase().split(/\s/)[0];
  try {
    if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang }).value;
  } catch {
    // fall through to plain text
  }
  return escapeHtml(code);
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }) {
      const language = (lang ?? '').split(/\s/)[0];
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : '';
      return `<div class="code-block">${label}<button type="button" class="code-copy" ` +
             `data-copy-code>Copy</button><pre><code class="hljs${language ? ` language-${
                 escapeHtml(language)}` : ''}">${highlight(text, language)}</code></pre></div>`;
    },
  },
});

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

const cache = new Map();
const CACHE_LIMIT = 200;

export function renderMarkdown(source) {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let html;
  try {
    html = DOMPurify.sanitize(marked.parse(source), { ADD_ATTR: ['target', 'data-copy-code'] });
  } catch (e) {
    html = `<pre>${escapeHtml(source)}</pre>`;
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value);
  cache.set(source, html);
  return html;
}
