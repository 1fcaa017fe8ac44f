// The built Storybook, not the dev server: `storybook build` runs the same production CSS pipeline as an app, which is
// where the stylesheet once lost every colour. Every story is loaded from storybook-static in Chromium, in light and
// dark: its kit elements must have real colours, and its screenshot must match the committed baseline.
import { mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT, run, serveDirectory } from './support.js';
import { compareScreenshots } from './compare.js';

const BASELINES = join(import.meta.dirname, '__screenshots__');
const UPDATE = process.env.COK_UPDATE_SCREENSHOTS === '1';
/**
 * Share of pixels allowed to differ. A countdown digit that ticked during a play is ~0.02 % of the frame; a banner
 * that lost its background, a toast out of place or a broken layout is several percent.
 */
const MAX_DIFF_RATIO = 0.003;
/**
 * Stories on real time (live retries against MSW) may end on another true sentence ("Sending in 5 s…" or "Retrying in
 * 8 s…"): a few words, under 1 % of the frame; a colourless banner is over 10 %.
 */
const MAX_DIFF_RATIO_REAL_TIME = 0.01;
const VIEWPORT = { width: 720, height: 480 };
/** Animations and transitions off, carets hidden: the same frame every time. */
const STILL = '*, *::before, *::after { animation: none !important; transition: none !important; caret-color: transparent !important; }';

let out: string;
let server: Awaited<ReturnType<typeof serveDirectory>> | undefined;
let base: string;
let browser: Browser;
let stories: { id: string; title: string; name: string; tags?: string[] }[] = [];
/** Every story sees this instant, frozen, so its countdowns read the same on every run (but `real-time` stories). */
const FROZEN_AT = new Date('2026-01-15T12:00:00Z');

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'cok-storybook-'));
  await run('npx', ['storybook', 'build', '-o', out, '--quiet'], {
    cwd: ROOT,
    env: { ...process.env, STORYBOOK_DISABLE_TELEMETRY: '1' },
  });
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as {
    entries: Record<string, { id: string; type: string; title: string; name: string; tags?: string[] }>;
  };
  stories = Object.values(index.entries).filter((entry) => entry.type === 'story');
  server = await serveDirectory(out);
  base = server.base;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens a story in its own iframe page and waits until its play function has finished. */
async function openStory(story: (typeof stories)[number], theme: 'light' | 'dark'): Promise<{ page: Page; phase: string }> {
  const page = await browser.newPage({ viewport: VIEWPORT, colorScheme: theme, reducedMotion: 'reduce' });
  // Date.now() stands still, timers still run: "Retrying in 4 s…" stays 4 s however slow the machine is.
  if (!story.tags?.includes('real-time')) await page.clock.setFixedTime(FROZEN_AT);
  await page.goto(`${base}/iframe.html?id=${story.id}&viewMode=story&globals=theme:${theme}`);
  const handle = await page.waitForFunction(
    () => {
      const phase = (window as unknown as { __STORYBOOK_PREVIEW__?: { currentRender?: { phase?: string } } }).__STORYBOOK_PREVIEW__
        ?.currentRender?.phase;
      return phase === 'finished' || phase === 'completed' || phase === 'errored' || phase === 'aborted' ? phase : false;
    },
    undefined,
    { timeout: 30_000, polling: 100 },
  );
  const phase = (await handle.jsonValue()) as string;
  await page.addStyleTag({ content: STILL });
  await page.evaluate(() => document.fonts.ready);
  return { page, phase };
}

describe('the built Storybook', () => {
  it('has every story', () => {
    expect(stories.length).toBeGreaterThanOrEqual(38);
  });

  for (const theme of ['light', 'dark'] as const) {
    it.concurrent(`shows every story in ${theme} with real colours and as in its baseline`, async () => {
      const failures: string[] = [];
      let kitElements = 0;
      const actualDir = mkdtempSync(join(tmpdir(), `cok-shots-${theme}-`));
      for (const story of stories) {
        const { page, phase } = await openStory(story, theme);
        if (phase !== 'finished' && phase !== 'completed') failures.push(`${story.id}: play ${phase}`);
        const colours = await page.$$eval('.cok-banner, .cok-toast', (nodes) =>
          nodes.map((node) => ({ className: node.className, background: getComputedStyle(node).backgroundColor })),
        );
        kitElements += colours.length;
        for (const { className, background } of colours) {
          if (background === 'rgba(0, 0, 0, 0)' || background === 'transparent') {
            failures.push(`${story.id}: .${className.split(' ')[0]} has no background`);
          }
        }
        const shot = await page.screenshot();
        await page.close();
        const name = `${story.id}--${theme}.png`;
        const baseline = join(BASELINES, name);
        if (UPDATE || !existsSync(baseline)) {
          if (!UPDATE) failures.push(`${name}: no baseline (run npm run test:visual:update)`);
          mkdirSync(BASELINES, { recursive: true });
          if (UPDATE) writeFileSync(baseline, shot);
          continue;
        }
        const ratio = await compareScreenshots(browser, readFileSync(baseline), shot);
        if (ratio > (story.tags?.includes('real-time') ? MAX_DIFF_RATIO_REAL_TIME : MAX_DIFF_RATIO)) {
          writeFileSync(join(actualDir, name), shot);
          failures.push(`${name}: ${(ratio * 100).toFixed(2)} % of pixels differ (actual in ${actualDir})`);
        }
      }
      expect(kitElements).toBeGreaterThan(30);
      expect(failures).toEqual([]);
    }, 600_000);
  }
});
