// The handler in a workers runtime (workerd, through miniflare): bundled for a neutral platform, so any `node:`
// import in the handler path fails the build, then run with Web Crypto, Web Streams and no `process` at all.
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KEY = ['sk', 'ant', 'api03', 'workerKEY0123456789abcdefghij', 'AA'].join('-');
const MOUNT = 'http://worker.test/api/claude';

const serverEntry = fileURLToPath(new URL('../../src/server/index.ts', import.meta.url));

async function bundle(entry = fileURLToPath(new URL('./worker-entry.ts', import.meta.url))): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

const post = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], ...body }),
});

describe('createClaudeHandler in workerd (miniflare)', { timeout: 20_000 }, () => {
  let worker: Miniflare;
  let unconfigured: Miniflare;

  beforeAll(async () => {
    const script = await bundle();
    worker = new Miniflare({ modules: true, script, bindings: { ANTHROPIC_API_KEY: KEY }, compatibilityDate: '2025-09-01' });
    unconfigured = new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01' });
    // workerd starts lazily; starting both here keeps the tests' own time about the handler.
    await Promise.all([worker.ready, unconfigured.ready]);
  }, 60_000);
  afterAll(async () => {
    await worker?.dispose();
    await unconfigured?.dispose();
  });

  it('bundles for a neutral platform: the handler path has no node: import', async () => {
    await expect(bundle()).resolves.not.toMatch(/from\s*["']node:/);
  });

  it("bundles the whole 'claude-overload-kit/server' entry for a neutral platform", async () => {
    await expect(bundle(serverEntry)).resolves.toContain('createClaudeHandler');
  });

  it('answers a message, and serves it again from the cache keyed with Web Crypto', async () => {
    const first = await worker.dispatchFetch(`${MOUNT}/v1/messages`, post('', { max_tokens: 16 }));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ type: 'message', content: [{ text: 'Hi from the worker' }] });
    const again = await worker.dispatchFetch(`${MOUNT}/v1/messages`, post('', { max_tokens: 16 }));
    expect(again.headers.get('x-claude-kit-cache')).toBe('hit');
    expect(await (await worker.dispatchFetch('http://worker.test/calls')).json()).toEqual({ calls: 1 });
  });

  it('relays a stream with the key redacted across chunks, and from request-id', async () => {
    const response = await worker.dispatchFetch(MOUNT, post('', { max_tokens: 16, stream: true }));
    const text = await response.text();
    expect(text).toContain('"text":"echo [redacted]"');
    expect(text).not.toContain(KEY.slice(0, 10));
    expect(response.headers.get('request-id')).toBe('req_[redacted]');
  });

  it('forwards count_tokens and the beta header, and 404s other /v1/ paths', async () => {
    const counted = await worker.dispatchFetch(`${MOUNT}/v1/messages/count_tokens`, post('', {}, { 'anthropic-beta': 'some-beta' }));
    expect(await counted.json()).toEqual({ input_tokens: 7 });
    expect(counted.headers.get('request-id')).toBe('req_worker_some-beta');
    expect((await worker.dispatchFetch(`${MOUNT}/v1/models`)).status).toBe(404);
  });

  it('says not_configured when the worker has no key (and no process.env to read)', async () => {
    const response = await unconfigured.dispatchFetch(MOUNT, post('', { max_tokens: 16 }));
    expect(response.status).toBe(500);
    expect(response.headers.get('x-claude-kit-error')).toBe('not_configured');
    expect(await response.json()).toMatchObject({ error: { message: "This app's server is not set up to reach Claude (no API key)." } });
  });

  it('bounds the status page it reads', async () => {
    const response = await worker.dispatchFetch('http://worker.test/status');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { type: 'malformed' } });
  });
});
