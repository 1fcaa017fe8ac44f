// The playground end to end, as a person uses it: Debian's Chromium (playwright-core) against `npm start`'s server
// on 127.0.0.1, on the built-in simulator. Real time passes here (a browser and a server), bounded by timeouts.
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';


let server: ViteDevServer | undefined;
let browser: Browser | undefined;
let page: Page;
let url: string;

beforeAll(async () => {
  const previousKey = process.env.ANTHROPIC_API_KEY;
  delete process.env.ANTHROPIC_API_KEY; // always the simulator here, whatever the developer's shell has
  server = await createServer({
    configFile: 'playground/vite.config.ts',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    logLevel: 'warn',
  });
  await server.listen();
  if (previousKey !== undefined) process.env.ANTHROPIC_API_KEY = previousKey;
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the playground did not start');
  url = `http://127.0.0.1:${address.port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
});

const banner = () => page.getByRole('region', { name: 'Claude status' });

describe('the playground', () => {
  it('shows a busy episode in plain words with a countdown, then the answer once Claude is back', async () => {
    await page.goto(url);
    await page.getByLabel('Outage').check();
    await page.getByRole('button', { name: 'Send' }).click();

    await banner().waitFor({ state: 'visible', timeout: 15_000 });
    // The playground's handler holds Claude's 529s in its line for 5 s, then hands the browser its place in line.
    // One clock: the state once, and one duration beside it, the request's turn in the handler's line.
    await expect.poll(() => banner().textContent(), { timeout: 15_000 }).toMatch(/Claude is busy — you're in line\..*Your turn in about \d+ (s|min)\./);
    for (let look = 0; look < 5; look += 1) {
      const text = (await banner().textContent()) ?? '';
      expect(text.match(/\d+\s*(s|min)\b/g)?.length ?? 0, text).toBeLessThanOrEqual(1);
      expect(text).not.toMatch(/Retrying in/);
      await page.waitForTimeout(400);
    }
    const visible = await page.locator('body').innerText();
    expect(visible).not.toMatch(/\b529\b|overloaded_error|\[object Object\]/);

    // Claude back: the request waiting at its place is answered by itself, no button needed.
    await page.getByLabel('Normal').check();
    await expect.poll(() => page.getByTestId('answer').textContent(), { timeout: 20_000 }).toMatch(/You said: "Explain exponential backoff/);
    await banner().waitFor({ state: 'detached', timeout: 20_000 });
  }, 60_000);
  it('offers the faster model while only the main model is overloaded, and the answer says which model gave it', async () => {
    await page.goto(url);
    await page.getByLabel('Normal').check();
    const onlyMain = page.getByLabel(/Only Claude Sonnet 5\.5 overloaded/);
    await onlyMain.check();
    try {
      await page.getByRole('button', { name: 'Send' }).click();
      // The handler holds Sonnet's 529s 5 s, then the app's chain offers Haiku once Sonnet has held the request 6 s.
      const offer = banner().getByRole('button', { name: 'Answer with Claude Haiku 4.5 now — faster, less thorough' });
      await offer.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await banner().getByRole('button', { name: 'Keep waiting' }).isVisible()).toBe(true);
      expect(await banner().getByRole('button', { name: 'Retry now' }).count()).toBe(0);
      if (process.env.COK_SHOTS_DIR) await page.screenshot({ path: `${process.env.COK_SHOTS_DIR}/playground-offer.png`, fullPage: true });

      await offer.click();
      await expect.poll(() => page.getByTestId('answer').textContent(), { timeout: 20_000 }).toMatch(/You said: "Explain exponential backoff/);
      await expect.poll(() => page.getByTestId('answered-by').textContent(), { timeout: 5_000 }).toBe('Answered by Claude Haiku 4.5');
      await banner().waitFor({ state: 'detached', timeout: 20_000 });
      if (process.env.COK_SHOTS_DIR) await page.screenshot({ path: `${process.env.COK_SHOTS_DIR}/playground-answered-by.png`, fullPage: true });
    } finally {
      await onlyMain.uncheck();
    }
  }, 90_000);
});
