// createClaudeFetch under the AI SDK's own streamText: calls wait in the kit's line (in virtual time, fake timers)
// instead of hammering a Claude that refuses every call, and each call's wait reaches its route's UI message stream.
import { createAnthropic } from '@ai-sdk/anthropic';
import { LINE_TUNING } from '../../src/server/admission/defaults.js';
import { createUIMessageStream, generateText, streamText } from 'ai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { claudeWaitHeaders, createClaudeFetch } from '../../src/ai-sdk/index.js';
import type { ClaudeFetchOptions, ClaudeWait } from '../../src/ai-sdk/index.js';
import { createClaudeHandler, createMemoryStore } from '../../src/server/index.js';
import { outageUpstream, type OutageUpstream } from './upstream.js';

const MODEL = 'claude-sonnet-4-5';
const quiet = { warn: () => {} };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The kit's fetch in front of `upstream`; a line that starts at `initial` calls (the handler's default is 32). */
function kitFetch(upstream: OutageUpstream, options: ClaudeFetchOptions & { initial?: number } = {}) {
  const { initial, ...rest } = options;
  return createClaudeFetch({
    apiKey: 'sk-server', baseURL: 'http://claude.test', fetch: upstream.fetch, logger: quiet,
    ...(initial !== undefined && { store: createMemoryStore({ line: { limit: { initial } } }) }),
    ...rest,
  });
}

/** `count` streamText calls started together; resolves, in virtual time, with each one's text or error. */
async function streamTogether(fetch: typeof globalThis.fetch, count: number, options: { maxRetries?: number; untilMs?: number } = {}) {
  const anthropic = createAnthropic({ apiKey: 'sk-not-used', baseURL: 'http://claude.test/v1', fetch });
  const startedAt = Date.now();
  const outcomes: Array<{ text?: string; error?: unknown; atMs: number }> = [];
  const calls = Array.from({ length: count }, async (_, i) => {
    const result = streamText({ model: anthropic(MODEL), prompt: `question ${i}`, maxRetries: options.maxRetries, onError: () => {} });
    try {
      outcomes[i] = { text: await result.text, atMs: Date.now() - startedAt };
    } catch (error) {
      outcomes[i] = { error, atMs: Date.now() - startedAt };
    }
  });
  const until = startedAt + (options.untilMs ?? 120_000);
  while (outcomes.filter(Boolean).length < count && Date.now() < until) await vi.advanceTimersByTimeAsync(250);
  await Promise.all(calls);
  return outcomes;
}

describe('createClaudeFetch under streamText', () => {
  it('answers 20 calls started together in a 5 s outage, at most 1.5 calls to Claude per request', async () => {
    const upstream = outageUpstream(systemClock, 5_000);
    const outcomes = await streamTogether(kitFetch(upstream, { initial: 4 }), 20);
    expect(outcomes.map((o) => o.error)).toEqual(Array(20).fill(undefined));
    expect(outcomes.every((o) => typeof o.text === 'string' && o.text.length > 0)).toBe(true);
    expect(upstream.calls / 20).toBeLessThanOrEqual(1.5);
    // Answered once Claude is back: the line's probe finds it within its closed window (1 s, then 2 s).
    expect(Math.max(...outcomes.map((o) => o.atMs))).toBeLessThanOrEqual(7_000);
  });

  it('at the line’s default start (32 calls) sends the first 20 at once: 2.2 calls per request, all answered', async () => {
    const upstream = outageUpstream(systemClock, 5_000);
    const outcomes = await streamTogether(kitFetch(upstream), 20);
    expect(outcomes.filter((o) => o.text).length).toBe(20);
    // 20 refused at once, 4 refused probes (one a second in an outage, at 1–4 s), 20 answers. Measured here so a
    // change of the line's start shows.
    expect(upstream.calls).toBe(44);
  });

  it('answers every call in a 40 s outage where the AI SDK alone gives up after 6 s, with its retries never stacking', async () => {
    const upstream = outageUpstream(systemClock, 40_000);
    let sdkCalls = 0;
    const fetch = kitFetch(upstream, { initial: 4 });
    const counted = (async (input: RequestInfo | URL, init?: RequestInit) => {
      sdkCalls += 1;
      return fetch(input, init);
    }) as typeof globalThis.fetch;
    // The AI SDK's defaults (maxRetries: 2): the call is held, not refused, so the SDK never has a failure to retry.
    const outcomes = await streamTogether(counted, 20);
    expect(outcomes.filter((o) => o.text).length).toBe(20);
    expect(sdkCalls).toBe(20);
    // What Claude refused: the first 4 and one probe per closed window for the whole app, not per request: one a
    // second for the outage's first 10 s (LINE_TUNING.fastProbesMs), then one every 2 s at most.
    const { fastProbesMs } = LINE_TUNING;
    expect(upstream.refused).toBeLessThanOrEqual(4 + fastProbesMs / 1_000 + (40_000 - fastProbesMs) / 2_000 + 1);
    // Answered within 2 s of Claude's return.
    expect(Math.max(...outcomes.map((o) => o.atMs))).toBeLessThanOrEqual(42_000);

    // The same outage with the AI SDK on its own: three calls each (now, 2 s, 6 s), then "Failed after 3 attempts".
    const direct = outageUpstream(systemClock, 40_000);
    const alone = await streamTogether(direct.fetch as typeof globalThis.fetch, 20);
    expect(alone.filter((o) => o.text).length).toBe(0);
    expect(direct.calls).toBe(60);
    expect(Math.max(...alone.map((o) => o.atMs))).toBe(6_000);
  });

  it('holds generateText calls in the line too: 10 answered in a 5 s outage, one AI SDK fetch each', async () => {
    const upstream = outageUpstream(systemClock, 5_000);
    const claudeFetch = kitFetch(upstream, { initial: 4 });
    let sdkCalls = 0;
    const anthropic = createAnthropic({
      apiKey: 'sk-not-used', baseURL: 'http://claude.test/v1',
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        sdkCalls += 1;
        return claudeFetch(input, init);
      }) as typeof globalThis.fetch,
    });
    const texts: string[] = [];
    const calls = Array.from({ length: 10 }, (_, i) =>
      generateText({ model: anthropic(MODEL), prompt: `question ${i}` }).then((r) => texts.push(r.text)));
    const until = Date.now() + 60_000;
    while (texts.length < 10 && Date.now() < until) await vi.advanceTimersByTimeAsync(250);
    await Promise.all(calls);
    expect(texts.every((t) => t.length > 0)).toBe(true);
    expect(sdkCalls).toBe(10);
    // Refused: the first 4 sent and one probe a second in the outage (at 1, 2, 3 and 4 s; the one at 5 s is answered).
    expect(upstream.refused).toBe(8);
  });

  it('gives the AI SDK the line’s 529 after maxWaitMs, so maxRetries: 0 ends the call then', async () => {
    const upstream = outageUpstream(systemClock, 60_000);
    const waits: ClaudeWait[] = [];
    const outcomes = await streamTogether(kitFetch(upstream, { initial: 4, maxWaitMs: 20_000, onWait: (w) => waits.push(w) }), 1, { maxRetries: 0 });
    expect(outcomes[0]!.error).toBeDefined();
    expect(outcomes[0]!.atMs).toBeGreaterThanOrEqual(20_000);
    expect(outcomes[0]!.atMs).toBeLessThan(30_000);
    expect(waits.at(-1)).toMatchObject({ state: 'gave-up' });
  });

  it('shares one line with the browser’s route when the app mounts claudeFetch.handler', async () => {
    const upstream = outageUpstream(systemClock, 0);
    // A browser request through the mounted handler takes the only slot and is answered when the test says.
    let release!: () => void;
    let first: Promise<void> | undefined = new Promise<void>((resolve) => (release = resolve));
    const claudeFetch = kitFetch(upstream, {
      maxConcurrency: 1,
      fetch: async (input, init) => {
        const held = first;
        first = undefined;
        await held;
        return upstream.fetch(input, init);
      },
    });
    const browser = claudeFetch.handler(new Request('http://app.test/api/claude', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 32, messages: [{ role: 'user', content: 'hello' }] }),
    }));
    await vi.advanceTimersByTimeAsync(0);
    expect(claudeFetch.handler.stats()).toMatchObject({ active: 1, queued: 0 });
    const sdk = streamTogether(claudeFetch as typeof globalThis.fetch, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(claudeFetch.handler.stats()).toMatchObject({ active: 1, queued: 1 });
    release();
    expect((await browser).status).toBe(200);
    expect((await sdk)[0]!.text).toBeTruthy();
  });

  it('leaves the line when the route’s abortSignal fires, and rejects as fetch does', async () => {
    const upstream = outageUpstream(systemClock, 60_000);
    const claudeFetch = kitFetch(upstream, { initial: 4 });
    const stop = new AbortController();
    const anthropic = createAnthropic({ apiKey: 'sk-not-used', baseURL: 'http://claude.test/v1', fetch: claudeFetch });
    let failure: unknown;
    const result = streamText({ model: anthropic(MODEL), prompt: 'hello', abortSignal: stop.signal, maxRetries: 0, onError: () => {} });
    const text = Promise.resolve(result.text).catch((error: unknown) => (failure = error));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(claudeFetch.handler.stats().queued).toBe(1);
    stop.abort();
    await vi.advanceTimersByTimeAsync(0);
    await text;
    expect(claudeFetch.handler.stats()).toMatchObject({ queued: 0, active: 0 });
    expect(String((failure as Error)?.name ?? failure)).toMatch(/Abort/);
    // Nothing more reached Claude after the stop.
    const calls = upstream.calls;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(upstream.calls).toBe(calls);
  });

  it('refuses options it cannot honour, where the mistake is', () => {
    expect(() => createClaudeFetch({ maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    expect(() => createClaudeFetch({ maxWaitMs: Infinity })).toThrow(/maxWaitMs/);
    const handler = createClaudeHandler({ logger: quiet });
    expect(() => createClaudeFetch({ handler, maxConcurrency: 4 })).toThrow(/maxConcurrency.*set them on that handler/);
    expect(() => createClaudeFetch({ handler: {} as never })).toThrow(/handler/);
  });
});

describe('claudeWaitHeaders: the wait in the route’s UI message stream', () => {
  it('writes transient data-claude-wait parts while the call waits, then the answer follows', async () => {
    const upstream = outageUpstream(systemClock, 5_000);
    const seen: Headers[] = [];
    const outage = upstream.fetch;
    upstream.fetch = async (input, init) => {
      seen.push(new Request(input, init).headers);
      return outage(input, init);
    };
    const anthropic = createAnthropic({ apiKey: 'sk-not-used', baseURL: 'http://claude.test/v1', fetch: kitFetch(upstream) });
    const stream = createUIMessageStream({
      execute: ({ writer }) => {
        const result = streamText({ model: anthropic(MODEL), prompt: 'hello', headers: claudeWaitHeaders(writer) });
        writer.merge(result.toUIMessageStream());
      },
    });
    const chunks: Array<{ type: string; data?: ClaudeWait; transient?: boolean; delta?: string }> = [];
    const reading = (async () => {
      for await (const chunk of stream as unknown as AsyncIterable<(typeof chunks)[number]>) chunks.push({ ...chunk });
    })();
    let doneReading = false;
    void reading.then(() => (doneReading = true));
    for (let i = 0; i < 60 && !doneReading; i++) await vi.advanceTimersByTimeAsync(250);
    await reading;

    const waits = chunks.filter((c) => c.type === 'data-claude-wait');
    // Told at Claude's first refusal (t = 0), not after the line's first update; then once its turn came.
    expect(waits[0]).toMatchObject({ transient: true, data: { state: 'waiting', waitedMs: 0 } });
    expect(waits.at(-1)!.data).toMatchObject({ state: 'answered' });
    expect(waits.at(-1)!.data!.waitedMs).toBeGreaterThanOrEqual(5_000);
    const firstText = chunks.findIndex((c) => c.type === 'text-delta');
    expect(firstText).toBeGreaterThan(chunks.indexOf(waits.at(-1)!));
    // Neither the wait's id nor the AI SDK's key went to Claude: the handler sends its own.
    for (const headers of seen) {
      expect(headers.get('x-claude-kit-wait')).toBeNull();
      expect(headers.get('x-api-key')).toBe('sk-server');
    }
  });

  it('names the place in line a second after arrival (the line’s first update), then at each later update', async () => {
    const upstream = outageUpstream(systemClock, 20_000);
    const waits: ClaudeWait[] = [];
    const fetch = kitFetch(upstream, { initial: 4, onWait: (w) => waits.push(w) });
    const outcomes = await streamTogether(fetch as typeof globalThis.fetch, 3);
    expect(outcomes.filter((o) => o.text).length).toBe(3);
    const placed = waits.filter((w) => w.state === 'waiting' && w.ahead !== undefined);
    expect(placed[0]!.waitedMs).toBe(1_000);
    expect(placed.map((w) => w.ahead)).toEqual(expect.arrayContaining([0, 1, 2]));
    // Then every lineUpdateMs (8 s) while the outage lasts: at 1, 9 and 17 s for each of the three.
    expect(placed.map((w) => w.waitedMs).sort((a, b) => a - b)).toEqual([1_000, 1_000, 1_000, 9_000, 9_000, 9_000, 17_000, 17_000, 17_000]);
  });

  it('asks for the writer createUIMessageStream gives', () => {
    expect(() => claudeWaitHeaders({} as never)).toThrow(/writer/);
  });
});
