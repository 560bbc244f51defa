// Shared helpers for the web UI's browser tests: Debian's headless Chromium driven by
// playwright-core, screenshots under the build directory, and an axe accessibility scan.
//
//   const browser = await launchBrowser();          // null (with a reason) when unavailable
//   const page = await newPage(browser);            // page errors fail the test via page.errors
//   await shot(page, 'ui-e2e', '01-stream');        // ${BEDROCK_BUILD_DIR}/ui-screenshots/...
//   assert.deepEqual(await seriousA11yViolations(page), []);
import fs from 'node:fs';
import path from 'node:path';
import { buildDir } from './harness.mjs';

export const screenshotDir = path.join(buildDir, 'ui-screenshots');
export const uiDir = process.env.BEDROCK_UI_DIR ?? path.join(buildDir, 'ui');

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium',
                             '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath() {
  return CHROMIUM_CANDIDATES.find((p) => p && fs.existsSync(p)) ?? null;
}

// Why the browser tests cannot run here, or null when they can.
export async function browserUnavailableReason() {
  if (!fs.existsSync(path.join(uiDir, 'index.html'))) return `no built UI in ${uiDir}`;
  if (!chromiumPath()) return 'chromium is not installed (scripts/install-deps installs it)';
  try {
    await import('playwright-core');
    await import('@axe-core/playwright');
  } catch (e) {
    return `playwright-core or @axe-core/playwright missing (${e.message})`;
  }
  return null;
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Containers often run as root without user namespaces; /dev/shm may be tiny.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

// A page whose uncaught errors are collected in `page.errors` (a test asserts it stays empty).
export async function newPage(browser, { width = 1200, height = 850, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.setDefaultTimeout(15000);
  return page;
}

export async function shot(page, suite, name) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${suite}-${name}.png`) });
}

// The axe violations of impact "serious" or "critical", as short strings (empty: none).
export async function seriousA11yViolations(page) {
  const { AxeBuilder } = await import('@axe-core/playwright');
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Sends `text` from the composer and waits until the newest answer has finished (any end state).
export async function sendAndWait(page, text, { timeout = 30000 } = {}) {
  const answers = page.locator('article.assistant');
  const before = await answers.count();
  await page.fill('#message-input', text);
  await page.keyboard.press('Enter');
  const answer = answers.nth(before);
  await answer.waitFor();
  await page.waitForFunction(
      (index) => {
        const all = document.querySelectorAll('article.assistant');
        return all[index] && !all[index].classList.contains('state-streaming');
      },
      before, { timeout });
  return answer;
}
