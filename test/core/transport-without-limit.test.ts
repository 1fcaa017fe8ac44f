import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTransport, messageText } from '../../src/core/transport.js';
import { createClaudeClient } from '../../src/core/client.js';

const SUCCESS = readFileSync(new URL('../fixtures/stream-success.sse', import.meta.url), 'utf8');
import { systemClock, type Clock } from '../../src/core/clock.js';

const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** The real clock as a browser runs it: a delay beyond what a timer can hold (Infinity, 30 days) fires at once. */
const browserClock: Clock = {
  ...systemClock,
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, Number.isFinite(ms) && ms <= MAX_TIMER_DELAY_MS ? ms : 0),
};

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a transport told to wait without end', () => {
  it.each([
    ['timeoutMs', { timeoutMs: Infinity }],
    ['timeoutMs of 30 days', { timeoutMs: 30 * 24 * 60 * 60_000 }],
  ])('with %s, waits for a slow answer instead of failing it at once', async (_name, limits) => {
    const answer = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'hi' }] };
    const fetch = vi.fn(async (_url: unknown, init?: RequestInit) => {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 5_000);
        init?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(init.signal!.reason);
        });
      });
      return Response.json(answer);
    });
    const transport = createTransport({ fetch: fetch as typeof globalThis.fetch, clock: browserClock, ...limits });
    const sent = transport.send({ messages: [{ role: 'user', content: 'hi' }] });
    const outcome = expect(sent).resolves.toMatchObject({ id: 'msg_1' });
    await vi.advanceTimersByTimeAsync(5_000);
    await outcome;
  });

  it('with streamIdleTimeoutMs: Infinity, waits out a silent stretch of a stream instead of failing it at once', async () => {
    const split = SUCCESS.indexOf('event: content_block_delta');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(SUCCESS.slice(0, split)));
        setTimeout(() => {
          controller.enqueue(new TextEncoder().encode(SUCCESS.slice(split)));
          controller.close();
        }, 90_000);
      },
    });
    const transport = createTransport({ fetch: async () => new Response(body), clock: browserClock, streamIdleTimeoutMs: Infinity });
    const streamed = transport.stream({ messages: [{ role: 'user', content: 'hi' }] });
    const outcome = expect(streamed.then(messageText)).resolves.toBe('Hello! How can I help?');
    await vi.advanceTimersByTimeAsync(90_000);
    await outcome;
  });
});

describe('a retry-after longer than a timer can hold', () => {
  it.each([
    ['30 days in seconds', { 'retry-after': String(30 * 24 * 60 * 60) }],
    ['a date in 2100', { 'retry-after': 'Fri, 01 Jan 2100 00:00:00 GMT' }],
  ])('with %s, ends the request at once instead of retrying it every few seconds', async (_name, headers) => {
    const fetch = vi.fn(async () => Response.json(
      { type: 'error', error: { type: 'rate_limit_error', message: 'Come back later' }, request_id: 'req_1' },
      { status: 429, headers },
    ));
    const client = createClaudeClient({ fetch: fetch as typeof globalThis.fetch, gate: false });
    const sent = client.send({ messages: [{ role: 'user', content: 'hi' }] });
    const outcome = expect(sent.promise).rejects.toMatchObject({ kind: 'rate_limited' });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await outcome;
    expect(fetch).toHaveBeenCalledTimes(1);
    // The app can still tell the person it is a long wait.
    expect((await sent.promise.catch((error: { retryAfterMs?: number }) => error)).retryAfterMs).toBeGreaterThan(24 * 60 * 60_000);
    client.dispose();
  });
});
