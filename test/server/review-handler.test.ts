// Sequences found in review of the handler around its line (holdForClaude and what it calls) that kept a slot toward
// Claude taken for good, or put a bad number on the wire. Time is Vitest's fake clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handlerOnSimulator, post } from './helpers.js';

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
