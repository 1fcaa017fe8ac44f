// What a new user gets: examples/vite-hono installed from the packed tarball (not the sources), built by Vite in
// production mode (lightningcss minifies the kit's CSS), served by its own Node/Hono server on the simulator, and
// looked at in Chromium: the computed colours in light, dark (the system's preference) and data-theme="dark". The
// server here plays a script of answers (scripted-server.mjs), so each case is the same; quick-start.test.ts runs the
// example's own server.js as the README has it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildExampleApp, launchChromium, ROOT, startServer, stop } from './support.js';

const SHOTS = process.env.COK_SHOTS_DIR; // set to keep screenshots for a person to look at

let app: string;
let browser: Browser;
let server: ChildProcess | undefined;

beforeAll(async () => {
  app = await buildExampleApp('vite-hono', { 'scripted-server.mjs': readFileSync(join(ROOT, 'test/production/scripted-server.mjs'), 'utf8') });
  browser = await launchChromium();
}, 300_000);

afterEach(async () => {
  await stop(server);
  server = undefined;
});

afterAll(async () => {
  await browser?.close();
});

/** A fresh server (its simulator plays `script` from the start) and a page on it. */
async function open(script: string, options: { colorScheme: 'light' | 'dark'; theme?: 'light' | 'dark' }): Promise<Page> {
  const started = await startServer(app, ['scripted-server.mjs'], { SIMULATOR_SCRIPT: script });
  server = started.child;
  const page = await browser.newPage({ colorScheme: options.colorScheme, reducedMotion: 'reduce', viewport: { width: 900, height: 640 } });
  await page.goto(started.url);
  if (options.theme) await page.evaluate((theme) => (document.documentElement.dataset['theme'] = theme), options.theme);
  return page;
}

function style(page: Page, selector: string, property: string): Promise<string> {
  return page.locator(selector).first().evaluate((node, name) => getComputedStyle(node).getPropertyValue(name), property);
}

const AMBER = { bg: 'rgb(255, 251, 235)', fg: 'rgb(113, 63, 18)', accent: 'rgb(180, 83, 9)' };
const AMBER_DARK = { bg: 'rgb(42, 31, 11)', fg: 'rgb(253, 230, 138)', accent: 'rgb(251, 191, 36)' };

const CASES = [
  { name: 'light', colorScheme: 'light', expected: AMBER, surface: 'rgb(255, 255, 255)' },
  { name: 'dark, from the system preference', colorScheme: 'dark', expected: AMBER_DARK, surface: 'rgb(28, 25, 23)' },
  { name: 'dark, from data-theme="dark" on <html>', colorScheme: 'light', theme: 'dark', expected: AMBER_DARK, surface: 'rgb(28, 25, 23)' },
  { name: 'light, from data-theme="light" despite a dark system', colorScheme: 'dark', theme: 'light', expected: AMBER, surface: 'rgb(255, 255, 255)' },
] as const;

describe('the example app, built for production from the packed tarball', () => {
  it.each(CASES)('colours the banner and the toast: $name', async ({ name, colorScheme, expected, surface, ...rest }) => {
    const theme = 'theme' in rest ? rest.theme : undefined;
    const page = await open('529,529,ok', { colorScheme, theme });
    await page.getByRole('button', { name: 'Ask Claude' }).click();
    const banner = page.getByRole('region', { name: 'Claude status' });
    await banner.getByText('Claude is busy right now.').waitFor({ timeout: 10_000 });

    expect(await style(page, '.cok-banner', 'background-color')).toBe(expected.bg);
    expect(await style(page, '.cok-banner', 'color')).toBe(expected.fg);
    expect(await style(page, '.cok-banner .cok-icon', 'color')).toBe(expected.accent);
    // The template's centred serif text stays outside the kit.
    expect(await style(page, '.cok-banner', 'text-align')).toBe('start');
    expect(await style(page, '.cok-banner', 'font-family')).not.toContain('Georgia');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `app-banner-${colorScheme}-system-${theme ?? 'no'}-theme.png`) });

    // Retry now whenever it is offered, as a person would, until Claude answers (the script: 529, 529, the answer);
    // the toast marks the end of the episode. (With one clock the handler's line may keep the request's place in
    // between, so the presses are not counted.)
    const toast = page.getByRole('listitem').filter({ hasText: 'Back to normal' });
    for (let look = 0; look < 40 && !(await toast.isVisible()); look += 1) {
      const retry = banner.getByRole('button', { name: 'Retry now' });
      if (await retry.isVisible().catch(() => false)) await retry.click({ timeout: 1_000 }).catch(() => {});
      await page.waitForTimeout(500);
    }
    await toast.waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('answer').textContent()).resolves.toBeTruthy();
    expect(await style(page, '.cok-toast', 'background-color')).toBe(surface);
    expect(await style(page, '.cok-toast', 'text-align')).toBe('start');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `app-toast-${colorScheme}-system-${theme ?? 'no'}-theme.png`) });
    await page.close();
  });

  it('says each change once: no busy toast while the banner holds the state', async () => {
    const page = await open('529,529,529,529', { colorScheme: 'light' });
    await page.getByRole('button', { name: 'Ask Claude' }).click();
    await page.locator('.cok-banner').waitFor({ timeout: 10_000 });
    expect(await page.locator('.cok-toast').count()).toBe(0);
    await page.close();
  });
});
