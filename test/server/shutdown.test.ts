// A graceful shutdown (a rolling deploy, a serverless instance recycled) closes the store while requests still wait in
// line: they must hear "come back" (another instance will serve them), never the 499 the browser gives up on.
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRetryPolicy } from '../../src/core/policy.js';
import { readClaudeError } from '../../src/core/failure.js';
import { createMemoryStore } from '../../src/server/index.js';
import { handlerOnSimulator, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('a store closed while requests wait in line', () => {
  it('answers each waiting request a retryable 503 in Anthropic\'s shape, which the browser retries', async () => {
    vi.useFakeTimers();
    const store = createMemoryStore();
    const { handler } = handlerOnSimulator({ serviceTimeMs: 10_000 }, { maxConcurrency: 1, store });
    const first = handler(post());
    await vi.advanceTimersByTimeAsync(0);
    const waiting = handler(post());
    await vi.advanceTimersByTimeAsync(0);
    expect(handler.stats()).toMatchObject({ active: 1, queued: 1 });

    await store.close();
    const response = await waiting;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('x-should-retry')).toBe('true');
    expect(response.headers.get('request-id')).toMatch(/^req_kit_/);
    const body = (await response.clone().json()) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(body.request_id).toBe(response.headers.get('request-id'));
    // The kit's browser transport reads it as a failure worth retrying, after its retry-after.
    const failure = await readClaudeError(response);
    expect(failure).toMatchObject({ kind: 'server_error', status: 503, retryable: true, retryAfterMs: 1000 });
    expect(createRetryPolicy({ random: () => 0.5 }).nextDelay(failure, { attempt: 1, elapsedMs: 0 })).toBeGreaterThanOrEqual(1000);
    // The call already on the wire is not cut: it finishes.
    await vi.advanceTimersByTimeAsync(10_000);
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { type: string }).type).toBe('message');
  });

  it('answers a request that arrives after close() the same 503, and sends nothing more to Claude', async () => {
    const store = createMemoryStore();
    const { handler, simulator } = handlerOnSimulator({}, { store });
    expect((await handler(post())).status).toBe(200);
    await store.close();
    const countTokens = new Request('http://app.test/api/claude/v1/messages/count_tokens', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    for (const request of [post(), post({ stream: true }), countTokens]) {
      const response = await handler(request);
      expect(response.status).toBe(503);
      expect(response.headers.get('x-should-retry')).toBe('true');
    }
    expect(simulator.stats().requests).toBe(1);
  });

  it('still answers nothing retryable to a request whose own client left before the store closed', async () => {
    vi.useFakeTimers();
    const store = createMemoryStore();
    const { handler } = handlerOnSimulator({ serviceTimeMs: 10_000 }, { maxConcurrency: 1, store });
    const first = handler(post());
    await vi.advanceTimersByTimeAsync(0);
    const browser = new AbortController();
    const waiting = handler(post({}, { signal: browser.signal }));
    await vi.advanceTimersByTimeAsync(0);
    browser.abort();
    await store.close();
    const response = await waiting;
    expect(response.status).toBe(499);
    expect((await readClaudeError(response)).retryable).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    await first;
  });
});

describe('the official SDK through a rolling deploy', () => {
  it('retries the 503 of an instance that closes under it and gets its answer from the next instance', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const closing = createMemoryStore();
    const old = handlerOnSimulator({ serviceTimeMs: 10_000 }, { maxConcurrency: 1, store: closing });
    const next = handlerOnSimulator({ serviceTimeMs: 5 });
    void old.handler(post());
    await vi.advanceTimersByTimeAsync(0);
    // A load balancer: the SDK's first request lands on the old instance, its retries on the new one.
    const statuses: number[] = [];
    let sent = 0;
    const balancer = async (input: string | URL | Request, init?: RequestInit) => {
      const response = await (sent++ === 0 ? old : next).handler(new Request(input, init));
      statuses.push(response.status);
      return response;
    };
    const sdk = new Anthropic({ apiKey: 'client-side-key', baseURL: 'http://app.test/api/claude', fetch: balancer, maxRetries: 2 });
    const started = Date.now();
    const answer = sdk.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(old.handler.stats()).toMatchObject({ queued: 1 });

    await closing.close();
    await vi.advanceTimersByTimeAsync(2_000);
    const message = await answer;
    expect(message.type).toBe('message');
    expect(statuses).toEqual([503, 200]);
    // It waited the retry-after the handler gave (1 s), not a backoff of its own choosing, and nobody saw an error.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeLessThanOrEqual(2_000);
    await vi.advanceTimersByTimeAsync(10_000);
  });
});
