// A headless Chromium driven by playwright-core for the dashboard tests: Debian's chromium
// (installed by .ci/run), or the one CHROMIUM names. Each page records every request it makes
// and every console error or uncaught exception, so a test can say the page stayed on its
// origin and ran cleanly.
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** Per wait and per action: a page that does not show what the test waits for fails in seconds. */
export const BROWSER_WAIT_MS = 5_000;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true, timeout: 20_000 });
}

export interface WatchedPage {
  page: Page;
  /** URLs of every request the page made, in order. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** The Authorization header of each request to `path`, null when it had none. */
  authorizations: (path: string) => (string | null)[];
}

export async function watchedPage(browser: Browser, viewport = { width: 1360, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(BROWSER_WAIT_MS);
  const requests: string[] = [];
  const errors: string[] = [];
  const headers: { path: string; authorization: string | null }[] = [];
  page.on('request', (r) => {
    requests.push(r.url());
    headers.push({ path: new URL(r.url()).pathname, authorization: r.headers()['authorization'] ?? null });
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  return {
    page, requests, errors,
    authorizations: (path) => headers.filter((h) => h.path === path).map((h) => h.authorization),
  };
}

/** Polls the text of `selector` until `accept` takes it; resolves with that text. */
export async function waitForText(page: Page, selector: string, accept: (text: string) => boolean, what: string, timeoutMs = BROWSER_WAIT_MS): Promise<string> {
  const start = Date.now();
  let last = '(not found)';
  for (;;) {
    const node = page.locator(selector);
    if ((await node.count()) > 0) {
      last = (await node.first().textContent()) ?? '';
      if (accept(last)) return last;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: ${selector} still reads "${last}" after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
