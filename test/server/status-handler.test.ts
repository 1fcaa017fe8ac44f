import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStatusHandler } from '../../src/server/status-handler.js';
import type { StatusHandlerOptions } from '../../src/server/status-handler.js';
import operational from '../fixtures/statuspage-summary-operational.json' with { type: 'json' };
import incident from '../fixtures/statuspage-summary-incident.json' with { type: 'json' };

type Reply = (req: IncomingMessage, res: ServerResponse) => void;

const json = (body: unknown, status = 200): Reply => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const raw = (body: string, status: number, contentType: string): Reply => (_req, res) => {
  res.writeHead(status, { 'content-type': contentType }).end(body);
};
const hang: Reply = () => {};

/** A fake status page on 127.0.0.1: counts its hits and answers with whatever `reply` says at the time. */
interface Upstream {
  url: string;
  hits: number;
  reply: Reply;
  close(): Promise<void>;
}

async function startUpstream(reply: Reply): Promise<Upstream> {
  const upstream: Upstream = { url: '', hits: 0, reply, close: async () => {} };
  const server: Server = createServer((req, res) => {
    upstream.hits += 1;
    upstream.reply(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/summary.json`;
  upstream.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return upstream;
}

const get = () => new Request('http://app.test/api/claude/status');

let upstream: Upstream | undefined;
let clock = 0;

function handlerFor(target: Upstream, options: StatusHandlerOptions = {}) {
  return createStatusHandler({ url: target.url, now: () => clock, ...options });
}

beforeEach(() => {
  clock = 1_000_000;
});

afterEach(async () => {
  vi.useRealTimers();
  await upstream?.close();
  upstream = undefined;
});

describe('createStatusHandler against a fake upstream', () => {
  it('serves the parsed summary and asks the upstream once within the TTL', async () => {
    upstream = await startUpstream(json(operational));
    const handle = handlerFor(upstream);

    const first = await handle(get());
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/json');
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(await first.json()).toMatchObject({
      indicator: 'none',
      api: { status: 'operational' },
      incidents: [],
      stale: false,
      fetchedAt: 1_000_000,
    });

    clock += 30_000;
    const second = await handle(get());
    expect(second.headers.get('cache-control')).toBe('public, max-age=30');
    expect(await second.json()).toMatchObject({ stale: false, fetchedAt: 1_000_000 });
    expect(upstream.hits).toBe(1);
  });

  it('asks the upstream again once the TTL has passed', async () => {
    upstream = await startUpstream(json(operational));
    const handle = handlerFor(upstream, { ttlMs: 10_000 });
    await handle(get());

    upstream.reply = json(incident);
    clock += 10_000;
    const body = await (await handle(get())).json();
    expect(upstream.hits).toBe(2);
    expect(body).toMatchObject({ indicator: 'major', stale: false, fetchedAt: 1_010_000 });
    expect(body.incidents[0]).toMatchObject({
      name: 'Elevated errors on Claude Sonnet',
      url: 'https://stspg.io/x1yq3k5m7n9p',
    });
  });

  it('shares one upstream fetch between concurrent requests', async () => {
    let release = () => {};
    upstream = await startUpstream((req, res) => {
      release = () => json(operational)(req, res);
    });
    const handle = handlerFor(upstream);
    const pending = Array.from({ length: 5 }, () => handle(get()));
    await vi.waitFor(() => expect(upstream?.hits).toBe(1));
    release();
    const responses = await Promise.all(pending);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(upstream.hits).toBe(1);
  });

  it.each([
    ['an HTTP 500', json({ error: 'boom' }, 500)],
    ['an HTML challenge page', raw('<html><title>Just a moment...</title></html>', 403, 'text/html')],
    ['invalid JSON', raw('{"status": {', 200, 'application/json')],
  ])('serves the last good copy marked stale when the upstream answers %s', async (_label, failing) => {
    upstream = await startUpstream(json(incident));
    const handle = handlerFor(upstream);
    await handle(get());

    upstream.reply = failing;
    clock += 60_000;
    const response = await handle(get());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=15');
    expect(await response.json()).toMatchObject({ indicator: 'major', stale: true, fetchedAt: 1_000_000 });
    expect(upstream.hits).toBe(2);
  });

  it('waits before asking a failing upstream again, then recovers', async () => {
    upstream = await startUpstream(json(operational));
    const handle = handlerFor(upstream, { retryAfterFailureMs: 5_000 });
    await handle(get());
    upstream.reply = json({}, 502);
    clock += 60_000;
    await handle(get());

    clock += 4_999;
    expect(await (await handle(get())).json()).toMatchObject({ stale: true });
    expect(upstream.hits).toBe(2);

    upstream.reply = json(incident);
    clock += 1;
    expect(await (await handle(get())).json()).toMatchObject({ indicator: 'major', stale: false, fetchedAt: clock });
    expect(upstream.hits).toBe(3);
  });

  it('answers 503 with a typed error when it never had a good copy', async () => {
    upstream = await startUpstream(json({ error: 'boom' }, 500));
    const handle = handlerFor(upstream);
    const response = await handle(get());
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: { type: 'http', message: 'The status page answered HTTP 500' } });
  });

  it('gives up on an upstream that never answers after timeoutMs', async () => {
    upstream = await startUpstream(hang);
    const handle = handlerFor(upstream, { timeoutMs: 50 });
    const response = await handle(get());
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { type: 'timeout' } });
    expect(upstream.hits).toBe(1);
  });

  it('refuses methods other than GET and HEAD', async () => {
    upstream = await startUpstream(json(operational));
    const handle = handlerFor(upstream);
    const response = await handle(new Request('http://app.test/status', { method: 'POST', body: '{}' }));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    const head = await handle(new Request('http://app.test/status', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(upstream.hits).toBe(1);
  });
});

describe('createStatusHandler timeouts with an injected fetch', () => {
  /** A fetch that never answers, but rejects the way fetch does when its signal aborts. */
  const neverAnswers = vi.fn(
    (_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      }),
  );

  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('answers 503 timeout after the default 5 s when there is no copy', async () => {
    const handle = createStatusHandler({ fetch: neverAnswers, now: () => clock });
    const pending = handle(get());
    await vi.advanceTimersByTimeAsync(4_999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: { type: 'timeout', message: 'The status page did not answer within 5000 ms' },
    });
    expect(neverAnswers).toHaveBeenCalledWith('https://status.claude.com/api/v2/summary.json', expect.anything());
    expect(vi.getTimerCount()).toBe(0);
  });

  it('serves the last good copy marked stale when a refresh times out', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(Response.json(operational))
      .mockImplementation(neverAnswers);
    const handle = createStatusHandler({ fetch, now: () => clock, timeoutMs: 200 });
    await handle(get());
    clock += 60_000;
    const pending = handle(get());
    await vi.advanceTimersByTimeAsync(200);
    expect(await (await pending).json()).toMatchObject({ indicator: 'none', stale: true, fetchedAt: 1_000_000 });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
