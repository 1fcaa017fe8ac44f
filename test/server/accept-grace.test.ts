// When a call Claude has not refused counts as taken: learned from the refusals the line sees, so 529s that arrive
// later than the default moment (1.5 s) do not count as taken first and grow the limit on refusals (the cliff).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAcceptGrace } from '../../src/server/admission/accept-grace.js';
import { createClaudeHandler, createMemoryStore } from '../../src/server/index.js';
import { anthropic } from '../testing/helpers.js';
import { API_KEY, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the accept grace', () => {
  it('is the base until a refusal comes later, then 1.5 × the slowest recent refusal, up to 10 s', () => {
    const grace = createAcceptGrace(1_500);
    expect(grace.ms()).toBe(1_500);
    grace.refused(300);
    expect(grace.ms()).toBe(1_500);
    grace.refused(2_000);
    expect(grace.ms()).toBe(3_000);
    grace.refused(120_000);
    expect(grace.ms()).toBe(10_000);
    // The slowest of the last 32 refusals: a slow one is forgotten once 32 quicker ones followed it.
    for (let i = 0; i < 32; i += 1) grace.refused(100);
    expect(grace.ms()).toBe(1_500);
  });
});

describe('a line whose 529s come 2 s after the call', () => {
  it('does not count refused calls as taken and grow on them: a few calls, not a flood', async () => {
    vi.useFakeTimers();
    const overloaded = anthropic.errors.find((e) => e.name === 'overloaded')!;
    let calls = 0;
    const fetch = () => {
      calls += 1;
      return new Promise<Response>((resolve) => {
        setTimeout(() => resolve(Response.json(overloaded.body, { status: 529, headers: overloaded.headers })), 2_000);
      });
    };
    const store = createMemoryStore();
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, store, holdMs: 20_000 });
    const answers = Array.from({ length: 200 }, () => handler(post()));
    await vi.advanceTimersByTimeAsync(25_000);
    await Promise.all(answers);
    console.log(`529s after 2 s: ${calls} calls for 200 requests in 20 s, limit ${store.stats().limit}`);
    expect(calls).toBeLessThan(60);
    expect(store.stats().limit ?? 0).toBeLessThan(32);
  });
});
