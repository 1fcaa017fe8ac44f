// `holdRateLimits`: an app that would rather its clients waited out a short rate limit inside the hold than heard it
// lets the handler hold Claude's 429 at its place up to its retry-after, then try again. A 429 stays a 429 all the
// same: one that does not fit in the hold, or the last one when the hold runs out, reaches the client as Claude sent
// it, with its retry-after, never as the handler's 529.
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { MODEL, anthropic } from '../testing/helpers.js';
import { API_KEY, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const fixture = (name: string) => anthropic.errors.find((e) => e.name === name)!;
/** Claude's rate-limit 429 (or its spend-limit 429) with `retry-after: seconds`. */
const limited = (seconds: number, name: 'rate_limited' | 'spend_limited' = 'rate_limited') => {
  const error = fixture(name);
  return Response.json(error.body, { status: 429, headers: { ...error.headers, 'retry-after': String(seconds) } });
};
const success = () => Response.json(anthropic.success.body, { headers: anthropic.success.headers });

/** A handler whose Claude answers the n-th call with `answers[n]` (the last one from then on); `sent` records when. */
function handlerAnswering(answers: (() => Response)[], options: { holdRateLimits?: boolean; holdMs?: number } = {}) {
  const t0 = Date.now();
  const sent: number[] = [];
  const fetch = async () => {
    sent.push(Date.now() - t0);
    return answers[Math.min(sent.length, answers.length) - 1]!();
  };
  const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, holdRateLimits: true, ...options });
  return { handler, sent, t0 };
}

/** Starts a request and records when its answer came, without waiting for it. */
function ask(handler: (request: Request) => Promise<Response>, t0: number, request = post()) {
  const answer: { response?: Response; at?: number } = {};
  void handler(request).then((response) => {
    answer.response = response;
    answer.at = Date.now() - t0;
  });
  return answer;
}

describe('holdRateLimits', () => {
  it("waits out Claude's 429 at its place for its retry-after, then tries again and answers with Claude's answer", async () => {
    vi.useFakeTimers();
    const { handler, sent, t0 } = handlerAnswering([() => limited(2), success]);
    const answer = ask(handler, t0);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(sent).toEqual([0]);
    expect(answer.response).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([0, 2_000]);
    expect(answer.response?.status).toBe(200);
    expect(answer.at).toBe(2_000);
  });

  it('passes a 429 whose retry-after outlasts the hold on at once, as the 429 with its retry-after', async () => {
    vi.useFakeTimers();
    const { handler, sent, t0 } = handlerAnswering([() => limited(30)], { holdMs: 25_000 });
    const answer = ask(handler, t0);
    await vi.advanceTimersByTimeAsync(0);
    expect(answer.at).toBe(0);
    expect(answer.response?.status).toBe(429);
    expect(answer.response?.headers.get('retry-after')).toBe('30');
    expect(sent).toEqual([0]);
  });

  it("holds while each retry-after fits in the hold, then gives the official SDK the last 429 as a RateLimitError, not an OverloadedError", async () => {
    vi.useFakeTimers();
    // Claude stays rate limited, 10 s at a time; the hold is 25 s: tries at 0 and 10 s fit, the one at 20 s does not.
    const { handler, sent } = handlerAnswering([() => limited(10)], { holdMs: 25_000 });
    const sdk = new Anthropic({ apiKey: 'unused', baseURL: 'http://app.test', maxRetries: 0, fetch: async (url, init) => handler(new Request(url, init)) });
    const started = Date.now();
    let error: unknown;
    let failedAfter: number | undefined;
    void sdk.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => {
      error = e;
      failedAfter = Date.now() - started;
    });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sent).toEqual([0, 10_000, 20_000]);
    expect(failedAfter).toBe(20_000);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('10');
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ error: { type: 'rate_limit_error' } });
  });

  it('answers the held 429 as itself, not as a 529, when its hold runs out while it waits at its place', async () => {
    vi.useFakeTimers();
    const t0 = Date.now();
    let release: (() => void) | undefined;
    // One slot. Request B is rate limited (retry-after 1 s) every time; request A, in line behind it, takes the slot
    // when B gives it back and keeps it until released, so B's hold runs out while it waits to be tried again.
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      const body = (await request.json()) as { metadata?: { user_id?: string } };
      if (body.metadata?.user_id === 'b') return limited(1);
      await new Promise<void>((resolve) => (release = resolve));
      return success();
    };
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test', fetch, holdRateLimits: true, holdMs: 4_000, maxConcurrency: 1,
    });
    const b = ask(handler, t0, post({ metadata: { user_id: 'b' } }));
    const a = ask(handler, t0, post({ metadata: { user_id: 'a' } }));
    await vi.advanceTimersByTimeAsync(4_000);
    expect(b.response?.status).toBe(429);
    expect(b.response?.headers.get('retry-after')).toBe('1');
    expect(((await b.response!.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect(b.at).toBe(4_000);
    release!();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.response?.status).toBe(200);
  });

  it('never holds the spend-limit 429: no wait cures it', async () => {
    vi.useFakeTimers();
    const { handler, sent, t0 } = handlerAnswering([() => limited(2, 'spend_limited'), success]);
    const answer = ask(handler, t0);
    await vi.advanceTimersByTimeAsync(0);
    expect(answer.response?.status).toBe(429);
    expect(sent).toEqual([0]);
  });

  it("is off by default: Claude's 429 reaches the client at once", async () => {
    vi.useFakeTimers();
    const { handler, sent, t0 } = handlerAnswering([() => limited(2), success], { holdRateLimits: undefined });
    const answer = ask(handler, t0);
    await vi.advanceTimersByTimeAsync(0);
    expect(answer.response?.status).toBe(429);
    expect(sent).toEqual([0]);
  });

  it('stops waiting, and leaves no timer behind, when the client leaves during a held rate limit', async () => {
    vi.useFakeTimers();
    const { handler, sent, t0 } = handlerAnswering([() => limited(20), success]);
    const controller = new AbortController();
    const answer = ask(handler, t0, post({}, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(answer.response).toBeUndefined();
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(answer.response?.status).toBe(499);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sent).toEqual([0]);
  });
});
