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

  it('moves a rate-limited request too', async () => {
    const { handler } = setup('rate_limited');
    const pending = handler(post({ model: BIG }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await pending).headers.get('x-claude-kit-model-fallback')).toBe(SMALL);
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

  it('refuses at creation a chain that leaves the allowlist, or has fewer than two models', () => {
    expect(() => createClaudeHandler({ apiKey: API_KEY, models: [BIG], fallback: { models: [BIG, SMALL] } }))
      .toThrow(/claude-haiku-4-5 not in the handler's `models`/);
    expect(() => createClaudeHandler({ apiKey: API_KEY, fallback: { models: [BIG] } })).toThrow(/at least two/);
    expect(() => createClaudeHandler({ apiKey: API_KEY, fallback: { models: [BIG, SMALL], afterMs: -1 } })).toThrow(/afterMs/);
  });
});
