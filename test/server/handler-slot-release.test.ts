// Sequences of the handler around its line (holdForClaude and what it calls) that once kept a slot toward Claude
// taken for good, or put a bad number on the wire. Time is Vitest's fake clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { holdForClaude } from '../../src/server/admission/hold.js';
import { createClaudeHandler, createMemoryStore } from '../../src/server/index.js';
import { anthropic } from '../testing/helpers.js';
import { API_KEY, handlerOnSimulator, post, recordingUpstream } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('a stream whose browser leaves', () => {
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

describe('an upstream answer the handler cannot relay', () => {
  it('gives the slot back when the call to Claude throws, so the next request is not left waiting for it', async () => {
    const store = createMemoryStore();
    store.attach({
      maxConcurrency: 1, concurrencyCeiling: 1, maxQueue: 10, queueTimeoutMs: 5000, clock: systemClock,
      logger: { warn: () => {} }, run: () => Promise.reject(new Error('no queue')),
    });
    const signal = new AbortController().signal;
    // Before the relay knew statuses outside 200-599, a gateway's 999 made the handler's call throw a RangeError here.
    const thrown = await holdForClaude(store, signal, () => Promise.reject(new RangeError('status 999')), {
      deadlineAt: Date.now() + 5000, requeue: true,
    }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(RangeError);
    expect(store.stats().active).toBe(0);
    const next = await store.admit(signal, { deadlineAt: Date.now() });
    expect('release' in next).toBe(true);
    await store.close();
  });

  it("answers a gateway's status outside HTTP's range with a retryable 502, not the handler's own 500", async () => {
    const warnings: string[] = [];
    const upstream = recordingUpstream(() => answeredWithStatus(999));
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, logger: { warn: (message) => warnings.push(message) },
    });
    const response = await handler(post({}));
    expect(response.status).toBe(502);
    expect(response.headers.get('x-should-retry')).toBe('true');
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('api_error');
    expect(warnings).toEqual([]);
  });
});
