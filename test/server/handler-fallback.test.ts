// The handler's own fallback chain, for clients that have none: a request held in line while its model keeps
// refusing it (overload, rate limit) moves to the next model of the chain after `afterMs`, and the answer says which
// model it came from. Nothing else moves a request. Time is vitest's fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler, createMemoryStore } from '../../src/server/index.js';
import type { ClaudeHandlerOptions } from '../../src/server/index.js';
import { anthropic, streamSuccess, until } from '../testing/helpers.js';
import { API_KEY, post, recordingUpstream } from './helpers.js';

const BIG = 'claude-opus-4-1';
const SMALL = 'claude-haiku-4-5';
const OTHER = 'claude-sonnet-4-5';
const errorNamed = (name: string) => anthropic.errors.find((e) => e.name === name)!;

/** How long the fake upstream takes to answer: on the test's fake timers, it passes only as the test advances them. */
const answerTime = (ms: number) => new Promise<void>((done) => {
  setTimeout(done, ms);
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** An upstream where BIG answers `bigAnswers` (an error fixture's name) and every other model answers. */
function setup(bigAnswers: string, options: ClaudeHandlerOptions = {}) {
  const upstream = recordingUpstream(async (request) => {
    const { model } = (await request.json()) as { model: string };
    if (model !== BIG) return Response.json(anthropic.success.body, { headers: anthropic.success.headers });
    const error = errorNamed(bigAnswers);
    return Response.json(error.body, { status: error.status, headers: error.headers });
  });
  const handler = createClaudeHandler({
    apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, models: [BIG, SMALL, OTHER], holdMs: 10_000,
    fallback: { models: [BIG, SMALL], afterMs: 3_000 }, ...options,
  });
  const modelsCalled = () => upstream.calls.map((call) => (JSON.parse(call.body) as { model: string }).model);
  return { handler, modelsCalled };
}

describe("the handler's fallback chain", () => {
  it('moves a request its model keeps overloading to the next model after afterMs, and names that model', async () => {
    const { handler, modelsCalled } = setup('overloaded', { cors: { origin: 'https://app.test' } });
    let answered = false;
    const pending = handler(post({ model: BIG }, { headers: { 'content-type': 'application/json', origin: 'https://app.test' } }))
      .then((r) => {
        answered = true;
        return r;
      });
    await vi.advanceTimersByTimeAsync(2_500);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-claude-kit-model-fallback');
    expect(modelsCalled()[0]).toBe(BIG);
    expect(modelsCalled().at(-1)).toBe(SMALL);
  });

  it('moves a stream refused before its first byte the same way, and relays the fallback model\'s stream', async () => {
    const upstream = recordingUpstream(async (request) => {
      const { model } = (await request.json()) as { model: string };
      if (model === SMALL) return new Response(streamSuccess, { headers: { 'content-type': 'text/event-stream' } });
      const error = errorNamed('overloaded');
      return Response.json(error.body, { status: error.status, headers: error.headers });
    });
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, holdMs: 10_000,
      fallback: { models: [BIG, SMALL], afterMs: 2_000 },
    });
    const pending = handler(post({ model: BIG, stream: true }));
    await vi.advanceTimersByTimeAsync(10_000);
    const response = await pending;
    expect(response.headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    expect(await response.text()).toBe(streamSuccess);
    expect(handler.stats().active).toBe(0);
  });

  it("passes a rate limit through as it is: a 429 is the app's own limit, not an overload to wait out or move from", async () => {
    const { handler, modelsCalled } = setup('rate_limited');
    const response = await handler(post({ model: BIG }));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBeTruthy();
    expect(response.headers.has('x-claude-kit-model-fallback')).toBe(false);
    expect(modelsCalled()).toEqual([BIG]);
  });

  it('never moves a request on a spend limit or a 400: the client gets that answer from its own model', async () => {
    for (const name of ['spend_limited', 'invalid_request']) {
      const { handler, modelsCalled } = setup(name);
      const response = await handler(post({ model: BIG }));
      expect(response.status).toBe(errorNamed(name).status);
      expect(response.headers.has('x-claude-kit-model-fallback')).toBe(false);
      expect(modelsCalled()).toEqual([BIG]);
    }
  });

  it('leaves a request for a model outside the chain, and the last model of the chain, where they are', async () => {
    const { handler, modelsCalled } = setup('overloaded', { fallback: { models: [SMALL, BIG], afterMs: 1_000 } });
    const pending = handler(post({ model: BIG }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await pending).status).toBe(529);
    expect(new Set(modelsCalled())).toEqual(new Set([BIG]));
  });

  it('answers from the first model when it takes the request, with no header', async () => {
    const { handler } = setup('overloaded');
    const response = await handler(post({ model: SMALL }));
    expect(response.status).toBe(200);
    expect(response.headers.has('x-claude-kit-model-fallback')).toBe(false);
  });

  it("never caches a fallback model's answer as the answer to the request as asked", async () => {
    const { handler, modelsCalled } = setup('overloaded', { store: createMemoryStore({ cache: { ttlMs: 60_000 } }) });
    const first = handler(post({ model: BIG }));
    // The cache key is a digest, which resolves outside the fake clock: wait for the request to reach Claude first.
    await until(() => modelsCalled().length === 1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await first).headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    const calls = modelsCalled().length;
    const second = handler(post({ model: BIG }));
    await until(() => modelsCalled().length > calls);
    await vi.advanceTimersByTimeAsync(10_000);
    const response = await second;
    expect(response.headers.get('x-claude-kit-cache')).toBeNull();
    expect(modelsCalled().length).toBeGreaterThan(calls);
  });

  it('counts the wait of a request held behind its overloaded model from its arrival, though Claude never refused it itself', async () => {
    const { handler } = setup('overloaded');
    // The first request meets Claude's 529s and closes the window; the second waits behind it, never sent to BIG
    // (the first, older, is each window's probe).
    const first = handler(post({ model: BIG }));
    await vi.advanceTimersByTimeAsync(500);
    let answeredAt: number | undefined;
    const second = handler(post({ model: BIG })).then((r) => {
      answeredAt = Date.now();
      return r;
    });
    const arrivedAt = Date.now();
    await vi.advanceTimersByTimeAsync(2_900);
    expect(answeredAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect((await second).headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    expect(answeredAt! - arrivedAt).toBeLessThanOrEqual(3_100);
    await vi.advanceTimersByTimeAsync(1_000);
    await first;
  });

  it("keeps counting across the kit transport's returns with its ticket, instead of starting over each time", async () => {
    const { handler } = setup('overloaded', { lineUpdateMs: 2_000 });
    const kit = (ticket: string) => post({ model: BIG }, { headers: { 'content-type': 'application/json', 'x-claude-kit-ticket': ticket } });
    // Held 2 s (lineUpdateMs), told its place, it comes back 1 s later with its ticket (retry-after 1 s).
    const firstTry = handler(kit('new'));
    await vi.advanceTimersByTimeAsync(2_000);
    const told = await firstTry;
    expect(told.status).toBe(529);
    const ticket = told.headers.get('x-claude-kit-ticket')!;
    expect(ticket).toBeTruthy();
    await vi.advanceTimersByTimeAsync(500);
    let answered = false;
    const back = handler(kit(ticket)).then((r) => {
      answered = true;
      return r;
    });
    // 3 s after its first arrival, not 3 s after its return.
    await vi.advanceTimersByTimeAsync(600);
    expect(answered).toBe(true);
    const response = await back;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
  });

  it('in an outage (its model overloaded for afterMs already) sends a new request whose turn is not in sight to the fallback at once', async () => {
    // A line whose closed window grows long (a turn out of sight), as the Redis store's may be told to keep it.
    const { handler, modelsCalled } = setup('overloaded', { store: createMemoryStore({ line: { maxClosedMs: 15_000 } }) });
    const first = handler(post({ model: BIG }));
    await vi.advanceTimersByTimeAsync(3_500);
    expect((await first).headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    // While the window is closed (in an outage the line probes every second for its first 10 s: the probe at 3 s was
    // refused, the window reopens at 4 s).
    await vi.advanceTimersByTimeAsync(200);
    const calls = modelsCalled().length;
    let answered = false;
    const later = handler(post({ model: BIG })).then((r) => {
      answered = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(answered).toBe(true);
    expect((await later).headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    expect(modelsCalled().slice(calls)).toEqual([SMALL]);
  });

  it('leaves a model that answers slowly sooner, by as much as it answers slower than the fallback, so its answer is not later', async () => {
    let phase: 'slow' | 'overloaded' = 'slow';
    const upstream = recordingUpstream(async (request) => {
      const { model } = (await request.json()) as { model: string };
      if (model === BIG && phase === 'overloaded') {
        const error = errorNamed('overloaded');
        return Response.json(error.body, { status: error.status, headers: error.headers });
      }
      await answerTime(model === BIG ? 4_000 : 1_000);
      return Response.json(anthropic.success.body, { headers: anthropic.success.headers });
    });
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, holdMs: 20_000,
      fallback: { models: [BIG, SMALL], afterMs: 10_000 },
    });
    // BIG's answers have taken 4 s lately, SMALL's 1 s.
    const warm = [handler(post({ model: BIG })), handler(post({ model: BIG })), handler(post({ model: SMALL }))];
    await vi.advanceTimersByTimeAsync(4_000);
    await Promise.all(warm);
    phase = 'overloaded';
    let answeredAfter: number | undefined;
    const start = Date.now();
    const pending = handler(post({ model: BIG })).then((r) => {
      answeredAfter = Date.now() - start;
      return r;
    });
    // It moves at 10 - (4 - 1) = 7 s, and SMALL answers by 8 s: what BIG started at 7 s could not have done.
    await vi.advanceTimersByTimeAsync(7_900);
    expect(answeredAfter).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect((await pending).headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
    expect(answeredAfter).toBeGreaterThanOrEqual(7_000);
  });

  it("never moves a request that only waited for the app's own maxConcurrency, its model not overloaded", async () => {
    const upstream = recordingUpstream(async () => {
      await answerTime(5_000);
      return Response.json(anthropic.success.body, { headers: anthropic.success.headers });
    });
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, holdMs: 20_000, maxConcurrency: 1,
      fallback: { models: [BIG, SMALL], afterMs: 3_000 },
    });
    const busy = handler(post({ model: OTHER }));
    const waiting = handler(post({ model: BIG }));
    await vi.advanceTimersByTimeAsync(10_000);
    await busy;
    const response = await waiting;
    expect(response.status).toBe(200);
    expect(response.headers.has('x-claude-kit-model-fallback')).toBe(false);
    expect(upstream.calls.map((call) => (JSON.parse(call.body) as { model: string }).model)).toEqual([OTHER, BIG]);
  });

  it('refuses at creation a chain that leaves the allowlist, or has fewer than two models', () => {
    expect(() => createClaudeHandler({ apiKey: API_KEY, models: [BIG], fallback: { models: [BIG, SMALL] } }))
      .toThrow(/claude-haiku-4-5 not in the handler's `models`/);
    expect(() => createClaudeHandler({ apiKey: API_KEY, fallback: { models: [BIG] } })).toThrow(/at least two/);
    expect(() => createClaudeHandler({ apiKey: API_KEY, fallback: { models: [BIG, SMALL], afterMs: -1 } })).toThrow(/afterMs/);
  });
});
