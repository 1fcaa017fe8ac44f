// The README's quick start, as a newcomer follows it: its commands run as written in a fresh directory (Vite's own
// template from `npm create vite@latest`, then `npm install`, with the kit's packed tarball in place of the registry's
// package), its files copied in as the README shows them, `npm run build && node server.js` started with no
// environment variable of ours, and the page clicked in Chromium as a person would: ask, read the answer, ask again.
// Within 20 s of the first click the banner shows the simulator's busy spell, and the answer comes after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, packTarball, ROOT } from './support.js';

/** The quick start's section of the README: its shell blocks and its files (a block whose first line names one). */
function readQuickStart() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({ lang: lang!, code: code! }));
  const commands = blocks.filter((block) => block.lang === 'sh').map((block) => block.code.trim());
  const files = blocks.flatMap(({ code }) => {
    const path = /^\/\/ ([\w./-]+\.(?:tsx?|jsx?|css))\n/.exec(code)?.[1];
    return path ? [{ path, content: code.slice(code.indexOf('\n') + 1) }] : [];
  });
  return { found: start > 0, commands, files };
}

/**
 * A newcomer's shell: the machine's PATH, home and locale, nothing the test runner or CI set (no HOLD_MS,
 * SIMULATOR_SCRIPT, PORT, ANTHROPIC_API_KEY, npm_config_* of the outer `npm run`).
 */
function newcomerEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'SHELL'];
  return Object.fromEntries(keep.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]));
}

/** Runs a shell line in `cwd` to its end; a failure carries its output. */
function sh(line: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd, env: newcomerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`\`${line}\` exited with ${code}:\n${output}`))));
  });
}

/** Starts a long-running shell line in its own process group; resolves with the URL it prints once listening. */
function shServe(line: string, cwd: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd, env: newcomerEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const timer = setTimeout(() => {
      stopGroup(child);
      reject(new Error(`\`${line}\` printed no "listening on" within 3 minutes:\n${output}`));
    }, 180_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`\`${line}\` exited with ${code}:\n${output}`));
    });
  });
}

/** Stops the shell and what it started (npm, node), and waits for the shell to be gone. */
async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return;
  const gone = new Promise((done) => child.once('exit', done));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  await gone;
}

/** Whether nothing listens on 127.0.0.1:port (the quick start's server takes 8787, as a newcomer's would). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

const quickStart = readQuickStart();
let browser: Browser;
let server: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  expect(quickStart.found, 'the README has a "## Quick start" section').toBe(true);
  const [setup, start] = quickStart.commands;
  expect(setup, 'the quick start begins with the commands that make the app').toMatch(/npm create vite@latest my-app/);
  expect(start, 'the quick start ends with the command that builds and serves it').toMatch(/node server\.js/);
  expect(await portIsFree(8787), 'port 8787, which the quick start serves on, is taken on this machine').toBe(true);

  const tarball = await packTarball();
  const home = mkdtempSync(join(tmpdir(), 'cok-quick-start-'));
  // The setup block as written, line by line, `cd my-app` included; `npm install claude-overload-kit` takes the
  // packed tarball, since the package is not on the registry yet.
  let cwd = home;
  for (const line of setup!.split('\n')) {
    const command = line.replace(/\s+#.*$/, '');
    const cd = /&&\s*cd (\S+)$/.exec(command);
    await sh(cd ? command.slice(0, cd.index) : command.replace(/(npm install .*?)\bclaude-overload-kit\b/, `$1${tarball}`), cwd);
    if (cd) cwd = join(cwd, cd[1]!);
  }
  for (const file of quickStart.files) {
    mkdirSync(dirname(join(cwd, file.path)), { recursive: true });
    writeFileSync(join(cwd, file.path), file.content);
  }
  ({ url, child: server } = await shServe(start!.replace(/\s+#.*$/, ''), cwd));
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stopGroup(server);
});

describe("the README's quick start, followed as written", () => {
  it('copies every file the quick start shows: App, Chat, the server and the Vite config', () => {
    expect(quickStart.files.map((file) => file.path)).toEqual(['src/App.tsx', 'src/Chat.tsx', 'server.js', 'vite.config.ts']);
  });

  it('shows the busy spell in the banner within 20 s of the first click, then the answer', async () => {
    const page = await browser.newPage({ reducedMotion: 'reduce' });
    await page.goto(url);
    const banner = page.getByRole('region', { name: 'Claude status' });
    const ask = page.getByRole('button', { name: 'Ask Claude' });
    const answer = page.getByTestId('answer');

    // Ask, wait for the answer (or the banner), ask again: what a person trying the app does.
    const firstClick = Date.now();
    let clicks = 0;
    while (!(await banner.isVisible())) {
      const waited = Date.now() - firstClick;
      expect(waited, `no banner after ${clicks} clicks in ${waited} ms`).toBeLessThan(20_000);
      await ask.click({ timeout: 20_000 - waited });
      clicks += 1;
      // Until the banner shows, or this click's answer is in and the button is there to press again.
      await expect
        .poll(async () => (await banner.isVisible()) || ((await answer.isVisible()) && (await ask.isEnabled())), { timeout: 20_000 })
        .toBe(true);
    }
    const bannerAfterMs = Date.now() - firstClick;
    expect(bannerAfterMs).toBeLessThan(20_000);
    // The form says the question is under way, and offers to cancel it, while the banner holds the busy spell.
    await expect(page.getByRole('status').filter({ hasText: 'Asking Claude…' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('form').getByRole('button', { name: 'Cancel' }).isVisible()).resolves.toBe(true);
    await expect(banner.textContent()).resolves.toMatch(/Claude is busy/);

    // Claude comes back: the answer arrives, the banner goes, a toast says so.
    await answer.waitFor({ timeout: 45_000 });
    const answerAfterMs = Date.now() - firstClick;
    await expect(answer.textContent()).resolves.toContain('Say hello in five words.');
    await banner.waitFor({ state: 'hidden', timeout: 5_000 });
    await page.getByRole('listitem').filter({ hasText: 'Back to normal' }).waitFor({ timeout: 5_000 });
    console.info(`quick start: ${clicks} clicks, banner after ${bannerAfterMs} ms, answer after ${answerAfterMs} ms`);
    await page.close();
  });
});
