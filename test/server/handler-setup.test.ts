// Setup mistakes are the app's to fix: logged once on the server, and a 500 the browser can tell from Claude's own
// errors (x-claude-kit-error: not_configured, x-should-retry: false), never retried as if Claude were down.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import type { ClaudeHandlerOptions } from '../../src/server/index.js';
import { anthropic } from '../testing/helpers.js';
import { API_KEY, handlerOnSimulator, post, recordingUpstream } from './helpers.js';

const savedKey = process.env.ANTHROPIC_API_KEY;
afterEach(() => {
  if (savedKey === undefined) delete process.env.ANTHROPIC_API_KEY;
  else process.env.ANTHROPIC_API_KEY = savedKey;
});

function withLog(options: ClaudeHandlerOptions) {
  const warnings: string[] = [];
  const handler = createClaudeHandler({ ...options, logger: { warn: (message) => void warnings.push(message) } });
  return { handler, warnings };
}

async function expectNotConfigured(response: Response, missing: RegExp) {
  expect(response.status).toBe(500);
  expect(response.headers.get('x-claude-kit-error')).toBe('not_configured');
  expect(response.headers.get('x-should-retry')).toBe('false');
  const body = (await response.json()) as { type: string; error: { type: string; message: string } };
  expect(body.type).toBe('error');
  expect(body.error.type).toBe('api_error');
  expect(body.error.message).toMatch(/^This app's server is not set up to reach Claude \(.+\)\.$/);
  expect(body.error.message).toMatch(missing);
}

describe('createClaudeHandler says when the server is not set up', () => {
  it('with no key (no option, no ANTHROPIC_API_KEY): not_configured, logged once, Claude never called', async () => {
    delete process.env.ANTHROPIC_API_KEY;
    const calls: unknown[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => (calls.push(args), new Response(null, { status: 599 }));
    const { handler, warnings } = withLog({});
    try {
      await expectNotConfigured(await handler(post()), /no API key/);
      await expectNotConfigured(await handler(post({ stream: true })), /no API key/);
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/no API key\. Set ANTHROPIC_API_KEY/)]);
    expect(handler.stats().active).toBe(0);
  });

  it('needs no key in front of the simulator (a fetch of its own), and says "no API key" if the upstream wants one', async () => {
    delete process.env.ANTHROPIC_API_KEY;
    const open = handlerOnSimulator({ apiKey: undefined });
    const { handler: keyless } = withLog({ fetch: open.simulator.fetch });
    expect((await keyless(post())).status).toBe(200);
    const guarded = handlerOnSimulator({ apiKey: 'the-simulators-own-key' });
    const { handler, warnings } = withLog({ fetch: guarded.simulator.fetch });
    await expectNotConfigured(await handler(post()), /no API key/);
    expect(warnings).toEqual([expect.stringMatching(/401 to a request sent without a key/)]);
  });

  it('with a base URL where nothing listens (connection refused)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { handler, warnings } = withLog({ apiKey: API_KEY, baseURL: `http://127.0.0.1:${port}` });
    await expectNotConfigured(await handler(post()), /cannot be reached/);
    expect(warnings).toEqual([expect.stringContaining(`http://127.0.0.1:${port}`)]);
    expect(warnings[0]).toContain('ECONNREFUSED');
  });

  it('with a base URL whose host does not resolve (the simulator URL without its fetch)', async () => {
    // What fetch throws for an unknown host, without asking a real DNS server.
    const fetch = async () => { throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND simulator.invalid'), { code: 'ENOTFOUND' }) }); };
    const { handler, warnings } = withLog({ apiKey: API_KEY, baseURL: 'http://simulator.invalid', fetch });
    await expectNotConfigured(await handler(post()), /cannot be reached/);
    expect(warnings[0]).toMatch(/ENOTFOUND.*pass the simulator's fetch/);
  });

  it('with a base URL that is not a URL (no scheme)', async () => {
    const { handler, warnings } = withLog({ apiKey: API_KEY, baseURL: 'localhost:8080' });
    await expectNotConfigured(await handler(post()), /not an http\(s\) URL/);
    expect(warnings[0]).toContain('"localhost:8080"');
  });

  it('with a base URL that ends in /v1', async () => {
    const upstream = recordingUpstream();
    const { handler } = withLog({ apiKey: API_KEY, baseURL: 'https://api.anthropic.com/v1', fetch: upstream.fetch });
    await expectNotConfigured(await handler(post()), /ends in \/v1/);
    expect(upstream.calls).toEqual([]);
  });

  it("with a key Claude refuses (401): the upstream's request id kept for support", async () => {
    const refusal = anthropic.errors.find((fixture) => fixture.name === 'authentication')!;
    const fetch = async () => new Response(JSON.stringify(refusal.body), { status: 401, headers: refusal.headers });
    const { handler, warnings } = withLog({ apiKey: API_KEY, fetch });
    const response = await handler(post());
    expect(response.headers.get('request-id')).toBe(refusal.headers['request-id']);
    await expectNotConfigured(response, /API key was refused/);
    expect(warnings).toEqual([expect.stringMatching(/401 authentication_error/)]);
  });

  it('with a simulator that demands another key than the handler sends', async () => {
    const { simulator } = handlerOnSimulator({ apiKey: 'the-simulators-own-key' });
    const { handler } = withLog({ apiKey: API_KEY, fetch: simulator.fetch });
    await expectNotConfigured(await handler(post()), /API key was refused/);
  });

  it('keeps telling the gate nothing: a setup mistake is not an overload', async () => {
    const { handler } = withLog({ apiKey: API_KEY, baseURL: 'https://api.anthropic.com/v1', maxConcurrency: 1, maxQueue: 0 });
    for (let i = 0; i < 3; i += 1) expect((await handler(post())).status).toBe(500);
    expect(handler.stats()).toEqual({ active: 0, queued: 0, shed: 0, limit: 1 });
  });
});

describe('createClaudeHandler refuses a wait no timer can measure', () => {
  // setTimeout fires at once past 2^31 − 1 ms (about 24.8 days): every request would have timed out at once.
  it('names holdMs, queueTimeoutMs, lineUpdateMs or bodyTimeoutMs above about 24.8 days, NaN or negative', () => {
    for (const name of ['holdMs', 'queueTimeoutMs', 'lineUpdateMs', 'bodyTimeoutMs'] as const) {
      for (const value of [2 ** 31, 30 * 24 * 3_600_000, Number.NaN, -1, ...(name === 'bodyTimeoutMs' ? [] : [Infinity])]) {
        expect(() => createClaudeHandler({ apiKey: API_KEY, [name]: value }), `${name}: ${value}`).toThrow(TypeError);
        expect(() => createClaudeHandler({ apiKey: API_KEY, [name]: value })).toThrow(new RegExp(`^${name}: `));
      }
    }
    // Infinity is no deadline for the upload only (the line's waits would outlive any platform's request limit).
    expect(() => createClaudeHandler({ apiKey: API_KEY, bodyTimeoutMs: Infinity })).not.toThrow();
  });

  it('keeps a request waiting in line for a wait at the largest value, instead of timing it out at once', async () => {
    vi.useFakeTimers();
    try {
      const longest = 2 ** 31 - 1;
      const { handler } = handlerOnSimulator({ serviceTimeMs: 10_000 }, { maxConcurrency: 1, holdMs: longest, queueTimeoutMs: longest });
      const first = handler(post());
      await vi.advanceTimersByTimeAsync(0);
      let settled = false;
      const waiting = handler(post()).finally(() => void (settled = true));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(settled).toBe(false);
      expect(handler.stats()).toMatchObject({ queued: 1 });
      await vi.advanceTimersByTimeAsync(20_000);
      expect((await first).status).toBe(200);
      expect((await waiting).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
