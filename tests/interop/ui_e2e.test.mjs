// The web UI in a real browser (Debian's headless Chromium via playwright-core) against the real
// binary: `bedrock-mcp serve` serving the built UI, `bedrock-mcp emulator` as Bedrock with a model
// script, and server-everything from npm added through the UI as an MCP server.
//
// The page itself is checked whatever the gateway has; each scenario that needs an endpoint the
// gateway does not answer yet (HTTP 404) is skipped with that reason, so the suite turns fully on
// as soon as the endpoints exist. Screenshots: ${BEDROCK_BUILD_DIR}/ui-screenshots/ui-e2e-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserUnavailableReason, launchBrowser, newPage, seriousA11yViolations, sendAndWait,
         shot } from './lib/browser.mjs';
import { sourceDir, startBinary } from './lib/harness.mjs';

const SUITE = 'ui-e2e';
const API_KEY = 'ui-e2e-key';
const MODEL = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const EVERYTHING = path.join(sourceDir, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const LONG_STORY = Array.from({ length: 300 }, (_, i) => `Sentence ${i + 1} of a long story.`).join(' ');

// What the emulated model answers (src/emulator/script.h): the first matching rule wins.
const SCRIPT = {
  rules: [
    { name: 'image-answer', when: { toolResult: 'everything___get_tiny_image' },
      respond: { text: 'Here is the **tiny image** the tool returned.' } },
    { name: 'image-call', when: { contains: 'tiny image', toolAvailable: 'everything___get_tiny_image' },
      respond: { text: 'Let me fetch it.', toolCalls: [{ name: 'everything___get_tiny_image', input: {} }] } },
    { name: 'long', when: { contains: 'long story' }, respond: { text: LONG_STORY } },
    { name: 'remembers', when: { contains: 'second question', turn: 2 },
      respond: { text: 'I remember the first question.' } },
    { name: 'forgot', when: { contains: 'second question' },
      respond: { text: 'This looks like a new conversation.' } },
    { name: 'default', when: {},
      respond: { reasoning: 'A greeting deserves a table.',
                 text: '## Hello from the emulator\n\n| tool | server |\n|---|---|\n| echo | everything |\n\n```python\nprint("streamed")\n```\n\nThat is all.' } },
  ],
};

const unavailable = await browserUnavailableReason();

describe('web UI on the real gateway', { skip: unavailable ?? false }, () => {
  let browser;
  let emulator = null;
  let emulatorError = '';
  let gateway;
  let work;
  const missing = {};  // endpoint -> why it is not usable yet

  const broken = {};  // endpoint -> how it failed (a test needing it fails, never skips)

  async function probe(name, method, route, body) {
    try {
      const response = await fetch(gateway.url + route, {
        method, body: body === undefined ? undefined : JSON.stringify(body),
        headers: { Authorization: `Bearer ${API_KEY}`, 'X-User-ID': 'probe', 'Content-Type': 'application/json' },
      });
      await response.body?.cancel();
      if (response.status === 404) missing[name] = `the gateway has no ${method} ${route} yet (HTTP 404)`;
    } catch (e) {
      broken[name] = `${method} ${route} failed: ${e.cause?.message ?? e.message}; gateway stderr:\n${gateway.stderr.slice(-2000)}`;
    }
  }

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-ui-e2e-'));
    fs.writeFileSync(path.join(work, 'script.json'), JSON.stringify(SCRIPT));
    fs.writeFileSync(path.join(work, 'emulator.json'), JSON.stringify({
      acceptAnyModel: true, script: path.join(work, 'script.json'),
      stream: { chunkBytes: 24, delayMs: 15 },
    }));
    try {
      emulator = await startBinary(['emulator', '--port', '0', '--auth', 'off', '--config',
                                    path.join(work, 'emulator.json')], { timeoutMs: 15000 });
    } catch (e) {
      emulatorError = `the emulator did not start: ${e.message.split('\n')[0]}`;
    }
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({
      server: { listen: '127.0.0.1:0' },
      models: [{ model_id: MODEL, model_name: 'Claude Sonnet 4 (emulated)' }],
      store: { url: `sqlite:${path.join(work, 'gateway.db')}` },
      log: { level: 'info' },
    }));
    const env = {
      ...process.env,
      API_KEY,
      PATH: `${path.join(sourceDir, 'node_modules/.bin')}:${process.env.PATH}`,
      AWS_ACCESS_KEY_ID: 'AKIDUITEST', AWS_SECRET_ACCESS_KEY: 'ui-test-secret', AWS_REGION: 'us-east-1',
      ...(emulator ? { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url } : {}),
    };
    gateway = await startBinary(['serve', '--config', path.join(work, 'config.json')], { env, cwd: work });
    await probe('models', 'GET', '/v1/list/models');
    await probe('servers', 'GET', '/v1/list/mcp_server');
    await probe('add', 'POST', '/v1/add/mcp_server', {});
    await probe('chat', 'POST', '/v1/chat/completions', {});
    if (!emulator) missing.emulator = emulatorError;
    // A gateway that dies on an endpoint fails the suite here, with its stderr, rather than each
    // test later with "connection refused".
    assert.deepEqual(broken, {}, 'the gateway failed a probe');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await gateway?.stop();
    await emulator?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  // Skips the running test unless every named capability is there (404 so far); fails it when one
  // is broken; returns whether it may go on.
  function needs(t, ...names) {
    for (const name of names) assert.ok(!broken[name], broken[name]);
    const reasons = names.map((n) => missing[n]).filter(Boolean);
    if (reasons.length) t.skip(reasons.join('; '));
    return reasons.length === 0;
  }

  async function open(options = {}) {
    const page = await newPage(browser, options);
    await page.addInitScript(({ key, user }) => {
      if (!localStorage.getItem('bedrock-mcp.settings')) {
        localStorage.setItem('bedrock-mcp.settings', JSON.stringify({ apiKey: key, userId: user }));
      }
    }, { key: options.apiKey ?? API_KEY, user: options.user ?? `u${Math.random().toString(36).slice(2, 9)}` });
    await page.goto(gateway.url);
    await page.locator('#message-input').waitFor();
    if (!missing.models && options.waitForModel !== false) {
      await page.locator(`#model option[value="${MODEL}"]`).waitFor({ state: 'attached' });
    }
    return page;
  }

  async function addEverything(page) {
    await page.getByRole('button', { name: 'Add server…' }).click();
    await page.fill('#server-json', JSON.stringify({
      mcpServers: { everything: { command: 'node', args: [EVERYTHING, 'stdio'] } },
    }, null, 2));
    await shot(page, SUITE, '03-add-server-json');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const box = page.locator('#server-everything');
    await box.waitFor({ timeout: 45000 });
    assert.ok(await box.isChecked(), 'a newly added server is selected for the chat');
  }

  test('serves the page and its hashed assets with the right caching', async () => {
    const index = await fetch(`${gateway.url}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
    const html = await index.text();
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html references a hashed script');
    const script = await fetch(`${gateway.url}/${asset}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('cache-control') ?? '', /immutable/);
    await script.body?.cancel();
  });

  test('the page loads without errors and without serious accessibility violations', async () => {
    const page = await open();
    await shot(page, SUITE, '01-loaded');
    assert.deepEqual(page.errors, []);
    assert.deepEqual(await seriousA11yViolations(page), []);
  });

  test('switching the theme', async () => {
    const page = await open();
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.locator('#theme-toggle').click();
    // The theme is applied by an effect after render: wait for the change, then read it.
    await page.waitForFunction((was) => document.documentElement.dataset.theme !== was, before,
                               { timeout: 5000 });
    const afterToggle = await page.evaluate(() => document.documentElement.dataset.theme);
    assert.ok(afterToggle === 'light' || afterToggle === 'dark', afterToggle);
    await page.reload();
    await page.locator('#message-input').waitFor();
    await page.waitForFunction((want) => document.documentElement.dataset.theme === want,
                               afterToggle, { timeout: 5000 });
    await shot(page, SUITE, '02-theme-switched');
    assert.deepEqual(await seriousA11yViolations(page), []);
  });

  test('a wrong API key is reported', async (t) => {
    if (!needs(t, 'models')) return;
    const page = await open({ apiKey: 'not-the-key', waitForModel: false });
    const banner = page.locator('.banner-error');
    await banner.waitFor();
    assert.match(await banner.innerText(), /refused the API key \(HTTP 40[13]/);
    await shot(page, SUITE, '04-wrong-key');
  });

  test('the model picker lists the configured models', async (t) => {
    if (!needs(t, 'models')) return;
    const page = await open();
    assert.equal(await page.locator('#model').inputValue(), MODEL);
    assert.equal(await page.locator('#model option:checked').innerText(), 'Claude Sonnet 4 (emulated)');
  });

  test('send a message and see the answer stream in', async (t) => {
    if (!needs(t, 'models', 'chat', 'emulator')) return;
    const page = await open();
    await page.fill('#message-input', 'hello there');
    await page.keyboard.press('Enter');
    await page.locator('article.assistant.state-streaming .markdown').first().waitFor();
    await shot(page, SUITE, '05-streaming');
    await page.locator('article.assistant.state-done').waitFor({ timeout: 30000 });
    const answer = page.locator('article.assistant').last();
    assert.equal(await answer.locator('table tr').count(), 2);
    assert.ok(await answer.locator('code.language-python').count() > 0);
    await shot(page, SUITE, '06-streamed');
    assert.deepEqual(page.errors, []);
  });

  test('add a server by JSON and use its tool that returns an image', async (t) => {
    if (!needs(t, 'servers', 'add')) return;
    const page = await open();
    await addEverything(page);
    if (!needs(t, 'chat', 'emulator')) return;
    const answer = await sendAndWait(page, 'show me the tiny image', { timeout: 60000 });
    const call = answer.locator('details.tool-call');
    await call.first().waitFor();
    assert.equal(await call.locator('.tool-name').first().innerText(), 'get-tiny-image');
    assert.equal(await call.locator('.tool-server').first().innerText(), 'on everything');
    const image = call.locator('img.tool-image').first();
    await image.waitFor();
    assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 0));
    assert.match(await answer.innerText(), /Here is the tiny image the tool returned/);
    await shot(page, SUITE, '07-tool-image');
    assert.deepEqual(await seriousA11yViolations(page), []);
  });

  test('stop a streaming answer', async (t) => {
    if (!needs(t, 'models', 'chat', 'emulator')) return;
    const page = await open();
    await page.fill('#message-input', 'tell me a long story');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('article.assistant .markdown')?.textContent.includes('Sentence 3 '));
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('article.assistant.state-stopped').waitFor({ timeout: 10000 });
    const text = await page.locator('article.assistant').last().innerText();
    assert.match(text, /Sentence 3 /);
    assert.doesNotMatch(text, /Sentence 300 of a long story/);
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await shot(page, SUITE, '08-stopped');
  });

  test('keep-session: the toggle survives a reload, and so does the server-side history', async (t) => {
    const page = await open({ waitForModel: !missing.models });
    const toggle = page.locator('#keep-session');
    assert.ok(await toggle.isChecked(), 'on by default, as in the demo');
    await toggle.uncheck();
    await page.reload();
    await page.locator('#message-input').waitFor();
    assert.equal(await toggle.isChecked(), false);
    await toggle.check();
    await page.reload();
    await page.locator('#message-input').waitFor();
    assert.ok(await toggle.isChecked());
    await shot(page, SUITE, '09-keep-session');
    if (!needs(t, 'models', 'chat', 'emulator')) return;
    await sendAndWait(page, 'first question');
    await page.reload();
    await page.locator('article.assistant.state-done').waitFor();
    const answer = await sendAndWait(page, 'second question');
    assert.match(await answer.innerText(), /I remember the first question/);
    await shot(page, SUITE, '10-session-kept');
  });
});
