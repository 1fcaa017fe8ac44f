// The built Storybook opens on an Introduction page (stories/Introduction.mdx): the first entry of its index, a docs
// page that says what the kit is and shows the banner's main states, rendered without an error.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT, run, serveDirectory } from './support.js';

let out: string;
let server: Awaited<ReturnType<typeof serveDirectory>> | undefined;
let base: string;
let browser: Browser;
let entries: { id: string; type: string; title: string }[];

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'cok-storybook-intro-'));
  await run('npx', ['storybook', 'build', '-o', out, '--quiet'], { cwd: ROOT, env: { ...process.env, STORYBOOK_DISABLE_TELEMETRY: '1' } });
  entries = Object.values((JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { entries: Record<string, (typeof entries)[number]> }).entries);
  server = await serveDirectory(out);
  base = server.base;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the built Storybook's Introduction", () => {
  it('is the first entry, a docs page', () => {
    expect(entries[0]).toMatchObject({ id: 'introduction--docs', type: 'docs', title: 'Introduction' });
  });

  it('says what the kit is and shows the busy, offline, incident and given-up banners', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, reducedMotion: 'reduce' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${base}/iframe.html?id=introduction--docs&viewMode=docs`);
    await page.getByRole('heading', { name: 'claude-overload-kit', level: 1 }).waitFor({ timeout: 30_000 });
    await expect(page.getByText('never as "Error 529"', { exact: false }).isVisible()).resolves.toBe(true);
    const banners = page.locator('.cok-banner');
    await expect.poll(() => banners.count(), { timeout: 15_000 }).toBe(4);
    expect(await banners.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-level')))).toEqual([
      'busy', 'offline', 'incident', 'unavailable',
    ]);
    // A story on a docs page is as tall as it is, not a whole screen.
    const height = await page.locator('.docs-story').first().evaluate((node) => node.getBoundingClientRect().height);
    expect(height).toBeLessThan(400);
    expect(errors).toEqual([]);
    await page.close();
  });
});
