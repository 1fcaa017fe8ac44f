// The Express 5 recipe (docs/express-and-node.md, examples/express) as users get it: the example installed from the
// packed tarball with Express 5 from the registry, started, and called over HTTP like a browser and an SDK would.
// The same server with express.json() mounted before the handler answers not_configured and names the parser.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTarball, ROOT, run, startServer, stop } from './support.js';

const HANDLER_LINE = "app.use('/api/claude', getRequestListener(claude));";
const PARSER_LINE = 'app.use(express.json());';

let app: string;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  const tarball = await packTarball();
  app = mkdtempSync(join(tmpdir(), 'cok-express-'));
  cpSync(join(ROOT, 'examples/express'), app, { recursive: true, filter: (path) => !/node_modules/.test(path) });
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  manifest.dependencies['claude-overload-kit'] = `file:${tarball}`;
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
  // The mistake the docs warn of: the same server with the body parser first.
  const server = readFileSync(join(app, 'server.js'), 'utf8');
  expect(server).toContain(HANDLER_LINE);
  expect(server).toContain(PARSER_LINE);
  writeFileSync(join(app, 'parser-first.js'), server.replace(`${PARSER_LINE}\n`, '').replace(HANDLER_LINE, `${PARSER_LINE}\n${HANDLER_LINE}`));
}, 300_000);

afterAll(async () => {
  await Promise.all(servers.map(stop));
});

async function serve(file: string): Promise<{ url: string; output: () => string }> {
  // No ANTHROPIC_API_KEY: the example answers from the simulator.
  const { url, child } = await startServer(app, [file], { ANTHROPIC_API_KEY: '' });
  servers.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { url, output: () => output };
}

const question = (content: string) =>
  JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content }] });

describe('the Express 5 recipe, from the packed tarball', () => {
  it("answers the kit's endpoint and an SDK's base URL, and keeps the app's JSON routes", async () => {
    const { url } = await serve('server.js');
    const kit = await fetch(`${url}/api/claude`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: question('From the kit') });
    expect(kit.status).toBe(200);
    expect(JSON.stringify(await kit.json())).toContain('From the kit');

    const sdk = await fetch(`${url}/api/claude/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01' },
      body: question('From an SDK'),
    });
    expect(sdk.status).toBe(200);
    expect(JSON.stringify(await sdk.json())).toContain('From an SDK');

    const notes = await fetch(`${url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });
    expect(notes.status).toBe(201);
    expect(await notes.json()).toEqual({ saved: { text: 'hi' } });
  });

  it('names the body parser when it is mounted before the handler', async () => {
    const { url, output } = await serve('parser-first.js');
    const response = await fetch(`${url}/api/claude`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: question('Hi') });
    expect(response.status).toBe(500);
    expect(response.headers.get('x-claude-kit-error')).toBe('not_configured');
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/request body was read before the handler/);
    await expect.poll(output).toMatch(/body parser mounted before the handler.*express\.json\(\)/);
  });
});
