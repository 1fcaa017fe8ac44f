// One clock, as the person sees it: the example app built for production from the packed tarball, its backend the
// kit's handler at its defaults (no HOLD_MS), in front of a Claude that refuses every call for 8 s from the first.
// The banner must show within 1.5 s of the click, never two durations (in the banner or the toast), and the answer
// must come within 2 s of Claude's return.
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExampleApp, launchChromium, startServer, stop } from './support.js';

const OUTAGE_MS = 8_000;

// The app's backend as an app would write it, but for its Claude: the simulator in outage for 8 s from the first call.
const SERVER = `
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createClaudeHandler } from 'claude-overload-kit/server';
import { createOverloadSimulator } from 'claude-overload-kit/testing';
import { Hono } from 'hono';

const simulator = createOverloadSimulator({ mode: 'outage', latencyMs: 150 });
let backAt;
const claude = createClaudeHandler({
  defaultModel: 'claude-sonnet-5-5',
  fetch: (input, init) => {
    if (backAt === undefined) {
      backAt = Date.now() + ${OUTAGE_MS};
      setTimeout(() => simulator.setMode('normal'), ${OUTAGE_MS});
    }
    return simulator.fetch(input, init);
  },
});
const app = new Hono();
app.post('/api/claude', (c) => claude(c.req.raw));
app.get('/test/back-at', (c) => c.json({ backAt: backAt ?? null }));
app.use('/*', serveStatic({ root: './dist' }));
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 0) }, (info) => {
  console.log('listening on http://127.0.0.1:' + info.port);
});
`;

let app: string;
let browser: Browser;
let server: ChildProcess | undefined;

beforeAll(async () => {
  app = await buildExampleApp('vite-hono', { 'outage-server.js': SERVER });
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await stop(server);
  await browser?.close();
});

interface Sample {
  at: number;
  banner: string | null;
  toast: string | null;
  answer: string | null;
}

describe('one clock, in Chromium, at the handler defaults', () => {
  it('shows the banner within 1.5 s, one duration at most, and the answer within 2 s of Claude\'s return', async () => {
    const started = await startServer(app, ['outage-server.js'], {});
    server = started.child;
    const page = await browser.newPage({ reducedMotion: 'reduce' });
    await page.goto(started.url);
    // Every change on screen, with its time, recorded in the page.
    await page.evaluate(() => {
      const samples: Sample[] = [];
      (window as unknown as { samples: Sample[] }).samples = samples;
      const text = (selector: string) => document.querySelector(selector)?.textContent ?? null;
      const record = () => samples.push({ at: Date.now(), banner: text('.cok-banner'), toast: text('.cok-toast'), answer: text('[data-testid="answer"]') });
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      setInterval(record, 100);
    });
    const clickedAt = await page.evaluate(() => Date.now());
    await page.getByRole('button', { name: /ask claude|send/i }).click();
    await page.getByTestId('answer').waitFor({ timeout: 30_000 });
    const samples = await page.evaluate(() => (window as unknown as { samples: Sample[] }).samples);
    const { backAt } = (await (await fetch(`${started.url}/test/back-at`)).json()) as { backAt: number };

    const bannerAt = samples.find((s) => s.banner)?.at;
    expect(bannerAt).toBeDefined();
    expect(bannerAt! - clickedAt).toBeLessThanOrEqual(1_500);
    const durations = (text: string | null) => (text?.match(/\d+\s*(s|min)\b/g) ?? []).length;
    for (const sample of samples) {
      expect(durations(sample.banner), `banner: ${sample.banner}`).toBeLessThanOrEqual(1);
      expect(durations(sample.toast), `toast: ${sample.toast}`).toBeLessThanOrEqual(1);
    }
    const answeredAt = samples.find((s) => s.answer)?.at ?? (await page.evaluate(() => Date.now()));
    expect(answeredAt - backAt).toBeLessThanOrEqual(2_000);
    console.log(`one clock: banner ${bannerAt! - clickedAt} ms after the click; answer ${answeredAt - backAt} ms after Claude's return`);
    await page.close();
  }, 60_000);
});
