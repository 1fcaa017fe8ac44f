// The AI SDK example (examples/ai-sdk-chat) as a user gets it: installed from the packed tarball, built by Vite in
// production mode, served by its own Node/Hono server (streamText through createClaudeFetch, the simulator as
// Claude), and used in Chromium through an outage: Claude refuses every call for 4 s, then answers.
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildExampleApp, launchChromium, startServer, stop } from './support.js';

let app: string;
let browser: Browser;
let server: ChildProcess | undefined;

beforeAll(async () => {
  app = await buildExampleApp('ai-sdk-chat');
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await stop(server);
  await browser?.close();
});

it('shows the kit’s banner within 1.5 s of the first refusal, one wait at a time, then the answer when Claude returns', async () => {
  const started = await startServer(app, ['chat-server.js'], { OUTAGE_MS: '4000' });
  server = started.child;
  const page = await browser.newPage({ reducedMotion: 'reduce' });
  await page.goto(started.url);
  await page.getByLabel('Message').fill('Hello there');
  const sentAt = Date.now();
  await page.getByRole('button', { name: 'Send' }).click();

  // Claude's first refusal comes 150 ms after the call (the simulator's latency): the banner within 1.5 s of the click.
  const banner = page.getByRole('region', { name: 'Claude status' });
  await banner.getByText(/Claude is busy/).first().waitFor({ timeout: 1_500 });
  expect(Date.now() - sentAt).toBeLessThan(1_500);
  // Its place a second later; one duration at most on screen (the expected turn), no countdown of the chat's own.
  await banner.getByText(/Your turn in about/).waitFor({ timeout: 3_000 });
  const durations = (await banner.innerText()).match(/\d+\s*(s|min)\b/g) ?? [];
  expect(durations.length).toBeLessThanOrEqual(1);

  // Claude answers again at 4 s: the simulator's answer streams in, and the banner leaves the busy state.
  const answer = page.getByRole('list', { name: 'Conversation' }).locator('li[data-role="assistant"]');
  await answer.getByText('simulated answer').waitFor({ timeout: 10_000 });
  const answeredAt = Date.now() - sentAt;
  expect(answeredAt).toBeGreaterThan(4_000);
  expect(answeredAt).toBeLessThan(8_000);
  const level = () => page.evaluate(() => document.querySelector('[aria-label="Claude status"]')?.getAttribute('data-level') ?? 'normal');
  await expect.poll(level, { timeout: 5_000 }).not.toBe('busy');
  await page.close();
}, 60_000);
