// A graceful shutdown (a rolling deploy, a serverless instance recycled) closes the store while requests still wait in
// line: they must hear "come back" (another instance will serve them), never the 499 the browser gives up on.
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
    expect((await first).status).toBe(200);
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
