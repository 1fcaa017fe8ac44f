// Sequences found in review of the handler around its line (holdForClaude and what it calls) that kept a slot toward
// Claude taken for good, or put a bad number on the wire. Time is Vitest's fake clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { anthropic } from '../testing/helpers.js';
import { API_KEY, handlerOnSimulator, post, recordingUpstream } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('review: a stream whose browser leaves', () => {
  it('gives its slot back when the browser leaves even if the server never reads or cancels the body again', async () => {
    vi.useFakeTimers();
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1 });
    const browser = new AbortController();
    // The first bytes are already buffered in the relayed body; then the browser goes away, and the server framework
    // drops the Response (it has nowhere to write it) without reading or cancelling it.
    await handler(post({ stream: true }, { signal: browser.signal }));
    await vi.advanceTimersByTimeAsync(0);
    browser.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(simulator.stats()).toMatchObject({ aborted: 1, inFlight: 0 });
    expect(handler.stats().active).toBe(0);
    // With maxConcurrency 1, the next person gets Claude at once rather than waiting the whole hold for a slot
    // that nobody holds.
    const next = handler(post({}));
    await vi.advanceTimersByTimeAsync(1000);
    expect((await next).status).toBe(200);
  });
});

/**
 * What undici's fetch hands back for a gateway that answers a status outside 200–599 (seen: 600, LinkedIn-style 999):
 * a Response whose status no Response constructor would accept.
 */
function answeredWithStatus(status: number): Response {
  const response = Response.json({ type: 'error', error: { type: 'api_error', message: 'odd gateway' } }, { status: 500 });
  Object.defineProperty(response, 'status', { value: status });
  return response;
}

describe('review: an upstream answer the handler cannot relay', () => {
  it('gives the slot back, so the next request is answered rather than waiting for a slot nobody holds', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const upstream = recordingUpstream(() =>
      (++calls === 1 ? answeredWithStatus(999) : Response.json(anthropic.success.body, { headers: anthropic.success.headers })));
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, maxConcurrency: 1, holdMs: 5000,
      logger: { warn: () => {} },
    });
    const first = await handler(post({}));
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(handler.stats().active).toBe(0);
    const second = handler(post({}));
    await vi.advanceTimersByTimeAsync(100);
    expect((await second).status).toBe(200);
  });
});
