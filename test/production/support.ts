// What the production tests share: Debian's Chromium, the packed tarball, and child processes that always stop.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const run = promisify(execFile);

/** Debian's Chromium, headless; without the networking flags it tries to reach the network and stalls. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Text rendered without hinting, so screenshots compare the same from run to run.
    args: [...CHROMIUM_ARGS, '--font-render-hinting=none'],
  });
}

/** `npm pack` of the built library (CI builds it first; built here when missing), into a fresh directory. */
export async function packTarball(): Promise<string> {
  if (!existsSync(join(ROOT, 'dist/index.js'))) await run('npm', ['run', 'build'], { cwd: ROOT });
  const into = mkdtempSync(join(tmpdir(), 'cok-pack-'));
  await run('npm', ['pack', '--silent', '--pack-destination', into], { cwd: ROOT });
  const tarball = readdirSync(into).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  return join(into, tarball);
}

/**
 * One of examples/ as a user gets it: copied to a fresh directory, the kit from the packed tarball, `files` added
 * beside its own (a server of the test's, say), installed and built for production. Returns its directory.
 */
export async function buildExampleApp(example: string, files: Record<string, string> = {}): Promise<string> {
  const tarball = await packTarball();
  const app = mkdtempSync(join(tmpdir(), `cok-${example}-`));
  cpSync(join(ROOT, 'examples', example), app, { recursive: true, filter: (path) => !/node_modules|[/\\]dist$/.test(path) });
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  manifest.dependencies['claude-overload-kit'] = `file:${tarball}`;
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(app, name), text);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
  await run('npm', ['run', 'build'], { cwd: app });
  return app;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.woff2': 'font/woff2',
};

/** Serves a built directory (a built Storybook) on 127.0.0.1, never a file outside it. */
export async function serveDirectory(dir: string): Promise<{ base: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir) || !existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { base: `http://127.0.0.1:${address.port}`, close: () => new Promise((done) => server.close(() => done())) };
}

/** Starts `node <args>` in `cwd` and resolves with its URL once it prints "listening on http://…". */
export function startServer(cwd: string, args: string[], env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`server did not start:\n${output}`));
    }, 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ url: match[1]!, child });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

/** Stops a child and waits for it to be gone. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((done) => child.once('exit', done));
  child.kill();
  await gone;
}
