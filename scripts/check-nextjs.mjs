// The Next.js example as a user gets it: the packed kit (after `npm run build`) installed into examples/nextjs with no
// optional peer (no ioredis, bullmq or msw), `next build` (Turbopack), `next start` on 127.0.0.1, then Debian's
// Chromium: a normal answer streams, a server component's prefetched answer is in the first HTML (and hydrating it
// asks nothing), a busy episode shows the coloured banner (the toaster leaves it the episode), and the console stays
// clean.
//
// The example is copied outside the repository first: inside it, module resolution would climb into the kit's own
// node_modules and find the optional peers there, hiding exactly the failure this check exists for.
//
//   node scripts/check-nextjs.mjs                 (NEXTJS_CHECK_DIR: work folder, kept between runs for its cache)
//   NEXTJS_CHECK_SHOTS=/some/dir node scripts/check-nextjs.mjs   also saves screenshots of both runs there
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

const root = resolve(import.meta.dirname, '..');
const example = join(root, 'examples/nextjs');
const work = process.env.NEXTJS_CHECK_DIR ?? join(tmpdir(), 'claude-overload-kit-nextjs-check');
const shots = process.env.NEXTJS_CHECK_SHOTS;
const OPTIONAL_PEERS = ['ioredis', 'bullmq', 'msw'];
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
delete env.ANTHROPIC_API_KEY; // always the simulator here, whatever the developer's shell has
delete env.NODE_ENV; // next sets its own

const started = Date.now();
const step = (text) => console.log(`\n[check-nextjs ${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, env, stdio: 'inherit' });
const fail = (message) => {
  throw new Error(`check-nextjs: ${message}`);
};

function prepare() {
  if (!existsSync(join(root, 'dist/index.js'))) fail('dist/ is missing: run `npm run build` first');
  step(`copy examples/nextjs to ${work} (its node_modules kept as a cache)`);
  mkdirSync(work, { recursive: true });
  for (const name of readdirSync(work)) if (name !== 'node_modules') rmSync(join(work, name), { recursive: true, force: true });
  const skipped = /(^|\/)(node_modules|\.next|vendor|next-env\.d\.ts|[^/]*\.tsbuildinfo)$/;
  cpSync(example, work, { recursive: true, filter: (source) => !skipped.test(source.slice(example.length)) });

  step('npm pack the kit to vendor/claude-overload-kit.tgz');
  const packDir = mkdtempSync(join(tmpdir(), 'cok-pack-'));
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root, env, encoding: 'utf8' }));
  mkdirSync(join(work, 'vendor'));
  renameSync(join(packDir, filename), join(work, 'vendor/claude-overload-kit.tgz'));
  rmSync(packDir, { recursive: true, force: true });

  step('npm install (no optional peers)');
  // The tarball changes with every build while its name stays: make npm unpack it again.
  rmSync(join(work, 'node_modules/claude-overload-kit'), { recursive: true, force: true });
  rmSync(join(work, 'node_modules/.package-lock.json'), { force: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], work);
  const installed = OPTIONAL_PEERS.filter((name) => existsSync(join(work, 'node_modules', name)));
  if (installed.length > 0) fail(`optional peers were installed: ${installed.join(', ')}`);

  step('next build (Turbopack)');
  rmSync(join(work, '.next'), { recursive: true, force: true });
  run(join(work, 'node_modules/.bin/next'), ['build'], work);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** `next start` with the simulator in `mode`; resolves once it answers. */
async function startNext(mode) {
  const port = await freePort();
  const output = [];
  const child = spawn(join(work, 'node_modules/.bin/next'), ['start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: work,
    env: { ...env, CLAUDE_SIMULATOR: mode },
    detached: true, // its own process group, so stopping it stops whatever it started
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (data) => output.push(String(data)));
  child.stderr.on('data', (data) => output.push(String(data)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      process.kill(-child.pid, 'SIGTERM');
    });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) fail(`next start exited (${child.exitCode}):\n${output.join('')}`);
    const ok = await fetch(url).then((response) => response.ok, () => false);
    if (ok) return { url, stop, output };
    await new Promise((wake) => setTimeout(wake, 250));
  }
  await stop();
  fail(`next start did not answer within 30 s:\n${output.join('')}`);
}

/** Console errors and page errors, except those `expected` allows (a 529 the kit is built to receive). */
function watchConsole(page, expected) {
  const errors = [];
  page.on('console', (message) => {
    const text = `${message.text()} (${message.location().url || 'no url'})`;
    if (message.type() === 'error' && !expected.some((pattern) => pattern.test(text))) errors.push(text);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

async function waitFor(description, predicate, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((wake) => setTimeout(wake, 100));
  }
  fail(`timed out after ${timeoutMs} ms waiting for ${description}`);
}

const isTransparent = (colour) => colour === 'transparent' || /^rgba\(.*,\s*0\)$/.test(colour) || /\/\s*0\)$/.test(colour);

async function normalAnswerStreams(browser) {
  step('next start, simulator normal: a normal answer streams');
  const server = await startNext('normal');
  try {
    // The catch-all route: an Anthropic SDK pointed at the mount posts to <mount>/v1/messages.
    const direct = await fetch(`${server.url}/api/claude/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ max_tokens: 64, messages: [{ role: 'user', content: 'ping' }] }),
    });
    const body = await direct.json();
    if (direct.status !== 200 || body.type !== 'message') fail(`POST /api/claude/v1/messages answered ${direct.status}: ${JSON.stringify(body)}`);
    // GET is mounted too: the models route answers the handler's own 404 naming its option, not Next.js's bodyless 405.
    const models = await fetch(`${server.url}/api/claude/v1/models`);
    const modelsBody = await models.json().catch(() => null);
    if (models.status !== 404 || !/allowRoutes/.test(modelsBody?.error?.message ?? '')) {
      fail(`GET /api/claude/v1/models answered ${models.status}: ${JSON.stringify(modelsBody)} (expected the handler's 404 naming allowRoutes)`);
    }

    const page = await browser.newPage();
    const errors = watchConsole(page, []);
    await page.goto(server.url);
    const answer = page.getByTestId('answer');
    await answer.waitFor();
    // Every length the answer passes through: a streamed answer grows in steps, a buffered one appears at once.
    await answer.evaluate((element) => {
      window.__answerLengths = [];
      new MutationObserver(() => window.__answerLengths.push(element.textContent.length)).observe(element, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.getByRole('button', { name: 'Send' }).click();
    await waitFor('the answer', async () => /You said: "Explain exponential backoff/.test((await answer.textContent()) ?? ''));
    await waitFor('the answer to end', async () => (await page.locator('[data-status="done"]').count()) === 1);
    const lengths = [...new Set(await page.evaluate(() => window.__answerLengths))].filter((length) => length > 0);
    if (lengths.length < 3) fail(`the answer did not stream: its text took ${lengths.length} lengths (${lengths.join(', ')})`);
    if (await page.getByRole('region', { name: 'Claude status' }).count()) fail('the banner showed for a normal answer');
    if (shots) await page.screenshot({ path: join(shots, 'nextjs-normal.png'), fullPage: true });
    if (errors.length > 0) fail(`console errors on a normal answer:\n  ${errors.join('\n  ')}`);
    console.log(`  answered, streamed in ${lengths.length} steps; no console errors`);
    await page.close();
    await serverPrefetchIsInFirstHtml(browser, server.url);
  } finally {
    await server.stop();
  }
}

/** /summary prefetches in a server component: its first HTML holds the answer, and hydrating it asks nothing. */
async function serverPrefetchIsInFirstHtml(browser, url) {
  step('/summary: a server component prefetches with claudeQueryOptions');
  const html = await (await fetch(`${url}/summary`)).text();
  const answered = /data-testid="summary">You said: (?:&quot;|")In one sentence/;
  if (!answered.test(html)) fail(`the first HTML of /summary does not hold the answer:\n${html.slice(0, 2_000)}`);
  const page = await browser.newPage();
  const errors = watchConsole(page, []);
  const asked = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/claude')) asked.push(request.url());
  });
  await page.goto(`${url}/summary`);
  await page.getByTestId('summary').waitFor();
  await page.waitForLoadState('networkidle');
  if (!/^You said: "In one sentence/.test((await page.getByTestId('summary').textContent()) ?? '')) fail('the hydrated page lost the answer');
  if (asked.length > 0) fail(`the browser asked Claude again after hydrating the server's answer: ${asked.join(', ')}`);
  if (errors.length > 0) fail(`console errors on /summary:\n  ${errors.join('\n  ')}`);
  console.log('  the first HTML holds the answer; hydrated without a request; no console errors');
  await page.close();
}

async function busyEpisodeShows(browser) {
  step('next start, simulator outage (every request 529): the banner, coloured, and no toast repeating it');
  const server = await startNext('outage');
  try {
    const page = await browser.newPage({ colorScheme: 'light' });
    // Chromium logs every non-2xx fetch; the 529s are the episode itself.
    const errors = watchConsole(page, [/Failed to load resource: the server responded with a status of 529/]);
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Send' }).click();

    const banner = page.getByRole('region', { name: 'Claude status' });
    await banner.waitFor({ state: 'visible', timeout: 15_000 });
    // The browser hears its place in the handler's line within a second, and sees one duration: its turn.
    await waitFor('the busy headline', async () => /Claude is busy — you're in line\..*Your turn in about \d+ (s|min)\./.test((await banner.textContent()) ?? ''));
    if (/Retrying in/.test((await banner.textContent()) ?? '')) fail('a second duration ("Retrying in") beside the turn');
    // One voice: with the banner mounted, the toaster leaves the episode to it (and marks only its end).
    const toasts = page.getByRole('region', { name: /^Notifications/ }).locator('li');
    if ((await toasts.count()) !== 0) fail('a busy toast repeats the banner');

    const visible = await page.locator('body').innerText();
    if (/\b529\b|overloaded_error/.test(visible)) fail('a raw 529 or error type reached the screen');
    const colours = {
      banner: await banner.evaluate((element) => getComputedStyle(element).backgroundColor),
    };
    if (shots) await page.screenshot({ path: join(shots, 'nextjs-busy.png'), fullPage: true });
    for (const [name, colour] of Object.entries(colours)) {
      if (isTransparent(colour)) fail(`the ${name} has no background colour (${colour}): styles.css lost its colours in the build`);
    }

    await banner.getByRole('button', { name: 'Cancel' }).click();
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
    if (errors.length > 0) fail(`console errors in a busy episode:\n  ${errors.join('\n  ')}`);
    console.log(`  banner ${colours.banner}, no toast repeating it; cancelled; no console errors beyond the 529s`);
    await page.close();

    // /summary's server component waits for Claude within its budget (4 s), then sends the page without the answer:
    // the browser asks for itself, with the banner, instead of a blank tab while the server retries.
    const asked = Date.now();
    const html = await (await fetch(`${server.url}/summary`)).text();
    const tookMs = Date.now() - asked;
    if (tookMs > 10_000) fail(`/summary took ${tookMs} ms while Claude was busy: the server's prefetch budget did not hold`);
    if (!html.includes('Asking Claude…')) fail(`/summary's first HTML, while Claude is busy, is not the waiting state:\n${html.slice(0, 2_000)}`);
    console.log(`  /summary sent after ${tookMs} ms without the answer, left to the browser`);
  } finally {
    await server.stop();
  }
}

prepare();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  await normalAnswerStreams(browser);
  await busyEpisodeShows(browser);
} finally {
  await browser.close();
}
step('passed');
