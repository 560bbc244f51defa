// The web UI in a real browser against a scripted gateway (lib/fake_gateway.mjs) that can produce
// on demand what the real one cannot: a cut stream, a huge tool result, an approval, a failing
// server, a model error. ui_e2e.test.mjs covers the real binary.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserUnavailableReason, launchBrowser, newPage, seriousA11yViolations, sendAndWait,
         shot, uiDir } from './lib/browser.mjs';
import { startFakeGateway } from './lib/fake_gateway.mjs';

const SUITE = 'ui-fake';
const API_KEY = 'fake-key';
const unavailable = await browserUnavailableReason();

describe('web UI against a scripted gateway', { skip: unavailable ?? false }, () => {
  let browser;
  let gateway;

  before(async () => {
    browser = await launchBrowser();
    gateway = await startFakeGateway({ staticDir: uiDir, apiKey: API_KEY });
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
  });

  // A fresh browser context (empty localStorage) with the API key already set.
  async function open(options = {}) {
    const page = await newPage(browser, options);
    await page.addInitScript((key) => {
      if (!localStorage.getItem('bedrock-mcp.settings')) {
        localStorage.setItem('bedrock-mcp.settings', JSON.stringify({ apiKey: key }));
      }
    }, options.apiKey ?? API_KEY);
    await page.goto(options.url ?? gateway.url);
    await page.locator('#model option[value="fake.model-a"]').waitFor({ state: 'attached' });
    return page;
  }

  test('a Markdown answer streams in, then shows a table and highlighted code', async () => {
    const page = await open();
    await page.fill('#message-input', 'markdown please');
    await page.keyboard.press('Enter');
    await page.locator('article.assistant.state-streaming').waitFor();
    await page.locator('article.assistant.state-done').waitFor();
    const answer = page.locator('article.assistant').last();
    assert.equal(await answer.locator('table tr').count(), 3);
    assert.ok(await answer.locator('code.language-python .hljs-keyword').count() > 0);
    assert.equal(await answer.getByRole('button', { name: 'Copy the answer' }).count(), 1);
    const request = gateway.requests.at(-1).body;
    assert.equal(request.stream, true);
    assert.equal(request.model, 'fake.model-a');
    assert.equal(request.keep_session, true);
    assert.deepEqual(request.messages.map((m) => m.role), ['system', 'user']);
    assert.deepEqual(Object.keys(request.extra_params).sort(),
                     ['budget_tokens', 'enable_thinking', 'only_n_most_recent_images']);
    await shot(page, SUITE, '01-markdown');
    assert.deepEqual(page.errors, []);
  });

  test('thinking is a collapsible block that closes when the answer is done', async () => {
    const page = await open();
    const answer = await sendAndWait(page, 'think about it');
    const thinking = answer.locator('details.thinking');
    assert.equal(await thinking.count(), 1);
    assert.equal(await thinking.getAttribute('open'), null);
    await thinking.locator('summary').click();
    assert.match(await thinking.innerText(), /Let me consider it carefully/);
    assert.match(await answer.locator('.markdown').innerText(), /I thought about it: 42/);
  });

  test('a tool call shows its server, arguments, JSON result and image', async () => {
    const page = await open();
    const answer = await sendAndWait(page, 'use the tool with an image');
    const call = answer.locator('details.tool-call');
    assert.equal(await call.count(), 1);
    assert.equal(await call.locator('.tool-name').innerText(), 'echo');
    assert.equal(await call.locator('.tool-server').innerText(), 'on demo');
    assert.match(await call.locator('.result pre').first().innerText(), /"echo": "hello",\n\s+"count": 1/);
    const image = call.locator('img.tool-image');
    await image.waitFor();
    assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 0));
    assert.equal(await answer.locator('.tool-input').count(), 0, 'raw tool input hidden once the call is shown');
    assert.match(await answer.innerText(), /The tool answered\./);
    await shot(page, SUITE, '02-tool-image');
  });

  test('a failed tool call is marked with the server it came from', async () => {
    const page = await open();
    const answer = await sendAndWait(page, 'make the tool fail');
    const call = answer.locator('details.tool-call.state-error');
    assert.equal(await call.count(), 1);
    assert.match(await call.innerText(), /Error from MCP server\s+demo/);
    assert.match(await call.innerText(), /tool call is failed\. error:boom/);
  });

  test('a huge tool result is cut for display and can be extended', async () => {
    const page = await open();
    const answer = await sendAndWait(page, 'huge result please');
    const note = answer.locator('.truncated');
    assert.match(await note.innerText(), /Showing 10,000 of 2,097,152 characters/);
    await note.getByRole('button', { name: 'Show more' }).click();
    assert.match(await answer.locator('.truncated').innerText(), /Showing 100,000 of/);
    await shot(page, SUITE, '03-huge-result');
  });

  test('a tool call waiting for approval runs once approved', async () => {
    const page = await open();
    await page.fill('#message-input', 'approve the deletion');
    await page.keyboard.press('Enter');
    const call = page.locator('details.tool-call.state-approval');
    await call.waitFor();
    assert.match(await call.innerText(), /"path": "\/tmp\/x"/);
    await shot(page, SUITE, '04-approval');
    await call.getByRole('button', { name: 'Approve' }).click();
    await page.locator('article.assistant.state-done').waitFor();
    const answer = page.locator('article.assistant').last();
    assert.match(await answer.locator('details.tool-call').innerText(), /deleted/);
    assert.match(await answer.innerText(), /Done, it is deleted\./);
  });

  test('a denied tool call is reported back', async () => {
    const page = await open();
    await page.fill('#message-input', 'approve the deletion');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.locator('article.assistant.state-done').waitFor();
    assert.match(await page.locator('article.assistant').last().innerText(), /did not delete it/);
  });

  test('Stop ends a running answer and keeps what arrived', async () => {
    const page = await open();
    await page.fill('#message-input', 'a slow answer');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('article.assistant .markdown')?.textContent.includes('word3'));
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('article.assistant.state-stopped').waitFor();
    const answer = page.locator('article.assistant').last();
    assert.match(await answer.innerText(), /word1 word2 word3/);
    assert.match(await answer.locator('.notice').innerText(), /Stopped\./);
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await shot(page, SUITE, '05-stopped');
  });

  test('a stream cut off mid-answer says so and keeps the text', async () => {
    const page = await open();
    const answer = await sendAndWait(page, 'cut me off');
    assert.ok(/state-interrupted/.test(await answer.getAttribute('class')));
    assert.match(await answer.innerText(), /This answer will be cut off/);
    assert.match(await answer.locator('.notice').innerText(), /before the answer finished/);
  });

  test('a model error names its source', async () => {
    const page = await open();
    const answer = await sendAndWait(page, 'error please');
    const notice = answer.locator('.notice-error');
    assert.equal((await notice.locator('.notice-source').innerText()).trim(), 'model:');
    assert.match(await notice.innerText(), /ThrottlingException/);
  });

  test('a wrong API key is reported, and fixing it loads the models', async () => {
    // With a wrong key no model loads, so open() cannot wait for one: drive the page directly.
    const fresh = await newPage(browser);
    await fresh.addInitScript(() => localStorage.setItem('bedrock-mcp.settings', JSON.stringify({ apiKey: 'wrong' })));
    await fresh.goto(gateway.url);
    const banner = fresh.locator('.banner-error');
    await banner.waitFor();
    assert.match(await banner.innerText(), /refused the API key \(HTTP 403: Could not validate credentials\)/);
    await shot(fresh, SUITE, '06-wrong-key');
    await fresh.fill('#api-key', API_KEY);
    await fresh.locator('#api-key').press('Tab');  // change event
    await fresh.locator('#model option[value="fake.model-a"]').waitFor({ state: 'attached' });
    assert.equal(await fresh.locator('.banner-error').count(), 0);
  });

  test('a gateway that went down is reported and the conversation is kept', async () => {
    const own = await startFakeGateway({ staticDir: uiDir, apiKey: API_KEY });
    const page = await open({ url: own.url });
    await sendAndWait(page, 'hello there');
    await own.close();
    const answer = await sendAndWait(page, 'are you still there?');
    assert.match(await answer.innerText(), /Cannot reach the gateway/);
    assert.equal(await page.locator('article.user').count(), 2);
    assert.match(await page.locator('article.assistant').first().innerText(), /You said: hello there/);
    await shot(page, SUITE, '07-gateway-down');
  });

  test('malformed server JSON is refused in the dialog without a request', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Add server…' }).click();
    await page.fill('#server-json', '{"mcpServers": {"broken": ');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const error = page.locator('dialog .error-text');
    assert.match(await error.innerText(), /The JSON is not valid/);
    await page.fill('#server-json', '{"mcpServers": {"nothing": {"args": []}}}');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    assert.match(await error.innerText(), /needs a "command" \(stdio\) or a "url"/);
    await shot(page, SUITE, '08-bad-json');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('dialog[open]').count(), 0);
  });

  test('a server added by JSON is listed, selected and sent with the chat', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Add server…' }).click();
    await page.fill('#server-json', JSON.stringify({ mcpServers: { everything: { command: 'npx', args: ['-y', 'x'] } } }));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' }).catch(() => {});
    const box = page.locator('#server-everything');
    await box.waitFor();
    assert.ok(await box.isChecked());
    await sendAndWait(page, 'hi');
    assert.deepEqual(gateway.requests.at(-1).body.mcp_server_ids, ['everything']);
    // Unchecked servers are not sent; removing asks for a confirmation first.
    await box.uncheck();
    await page.getByRole('button', { name: 'Remove server everything' }).click();
    await page.getByRole('button', { name: 'Confirm removing everything' }).click();
    await box.waitFor({ state: 'detached' });
  });

  test('a server that fails to start shows why', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Add server…' }).click();
    await page.getByRole('tab', { name: 'Command' }).click();
    await page.fill('#server-id', 'broken');
    await page.fill('#server-command', 'false');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    assert.match(await page.locator('dialog .error-text').innerText(), /Could not add broken: MCP server connect failed/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    const item = page.locator('li.server.status-failed');
    await item.waitFor();
    await item.locator('summary').click();
    assert.match(await item.innerText(), /Cannot find module 'nope'/);
    await shot(page, SUITE, '09-failed-server');
  });

  test('keep-session off survives a reload and sends the whole conversation', async () => {
    const page = await open();
    await sendAndWait(page, 'first message');
    await page.locator('#keep-session').uncheck();
    await page.reload();
    await page.locator('article.assistant.state-done').waitFor();
    assert.equal(await page.locator('#keep-session').isChecked(), false);
    await sendAndWait(page, 'second message');
    const request = gateway.requests.at(-1).body;
    assert.equal(request.keep_session, false);
    assert.deepEqual(request.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
    assert.equal(request.messages[2].content, 'You said: first message');
  });

  test('Clear empties the conversation and the server-side history', async () => {
    const page = await open();
    await sendAndWait(page, 'something to clear');
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('.empty').waitFor();
    assert.equal(await page.locator('article').count(), 0);
  });

  test('images and documents are sent as image_url and file parts', async () => {
    const page = await open();
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await page.locator('#file-input').setInputFiles([
      { name: 'dot.png', mimeType: 'image/png', buffer: png },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('some notes') },
      { name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') },
    ]);
    assert.match(await page.locator('.banner-error').innerText(), /tool\.exe: only images/);
    assert.equal(await page.locator('.attachments.pending li').count(), 2);
    await sendAndWait(page, 'what is attached?');
    const content = gateway.requests.at(-1).body.messages.at(-1).content;
    assert.equal(content[0].text, 'what is attached?');
    assert.equal(content[1].image_url.url, `data:image/png;base64,${png.toString('base64')}`);
    assert.deepEqual(content[2].file, { file_data: Buffer.from('some notes').toString('base64'),
                                        filename: 'notes.txt', file_id: null });
    assert.equal(await page.locator('article.user img.thumb').count(), 1);
  });

  test('the theme switches and stays switched after a reload', async () => {
    const page = await open();
    // The theme is applied by an effect after render: wait for it rather than read it at once.
    const themeBecomes = (theme) => page.waitForFunction(
      (want) => document.documentElement.dataset.theme === want, theme, { timeout: 5000 });
    await themeBecomes('light');
    await page.getByRole('button', { name: 'Switch to dark mode' }).click();
    await themeBecomes('dark');
    await page.reload();
    await page.getByRole('button', { name: 'Switch to light mode' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await sendAndWait(page, 'use the tool with an image');
    await shot(page, SUITE, '10-dark');
    assert.deepEqual(await seriousA11yViolations(page), []);
  });

  test('on a phone-sized screen the side panel is a drawer', async () => {
    const page = await open({ width: 390, height: 800 });
    assert.equal(await page.locator('#side-panel').isVisible(), false);
    await page.getByRole('button', { name: 'Settings and servers' }).click();
    await page.locator('#keep-session').waitFor({ state: 'visible' });
    await shot(page, SUITE, '11-phone-drawer');
    await page.mouse.click(380, 400);  // the scrim closes it
    await page.locator('#side-panel').waitFor({ state: 'hidden' });
    await sendAndWait(page, 'markdown please');
    await shot(page, SUITE, '12-phone-chat');
  });

  test('keyboard only: skip link, Enter sends, Escape stops', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'message-input');
    await page.keyboard.type('a slow answer');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('article.assistant .markdown')?.textContent.includes('word2'));
    await page.keyboard.press('Escape');
    await page.locator('article.assistant.state-stopped').waitFor();
  });

  test('no serious accessibility violations with a full conversation', async () => {
    const page = await open();
    await sendAndWait(page, 'think about it');
    await sendAndWait(page, 'use the tool with an image');
    await sendAndWait(page, 'make the tool fail');
    await sendAndWait(page, 'markdown please');
    assert.deepEqual(await seriousA11yViolations(page), []);
    await page.getByRole('button', { name: 'Add server…' }).click();
    assert.deepEqual(await seriousA11yViolations(page), []);
  });
});

