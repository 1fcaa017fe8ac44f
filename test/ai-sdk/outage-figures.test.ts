// The figures docs/ai-sdk.md gives: 20 streamText calls started together against a Claude that refuses every call
// (529 overloaded_error, at once) for 5 s or 40 s, then answers; the AI SDK's defaults (maxRetries: 2) throughout.
// Virtual time (fake timers): the AI SDK's own backoff, the handler's line and the fake Claude all run on it.
import { createAnthropic } from '@ai-sdk/anthropic';
import { streamText } from 'ai';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { createClaudeFetch } from '../../src/ai-sdk/index.js';
import { createMemoryStore } from '../../src/server/index.js';
import { outageUpstream } from './upstream.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

type Way = 'direct' | 'kit' | 'kit, line starting at 4';

async function measure(way: Way, outageMs: number) {
  const upstream = outageUpstream(systemClock, outageMs);
  let firstNoticeMs: number | undefined;
  let firstPlaceMs: number | undefined;
  const startedAt = Date.now();
  const fetch = way === 'direct' ? upstream.fetch : createClaudeFetch({
    fetch: upstream.fetch, apiKey: 'sk-server', baseURL: 'http://claude.test', logger: { warn: () => {} },
    ...(way === 'kit, line starting at 4' && { store: createMemoryStore({ line: { limit: { initial: 4 } } }) }),
    onWait: (wait) => {
      firstNoticeMs ??= Date.now() - startedAt;
      if (wait.ahead !== undefined) firstPlaceMs ??= Date.now() - startedAt;
    },
  });
  const anthropic = createAnthropic({ apiKey: 'sk-not-used', baseURL: 'http://claude.test/v1', fetch: fetch as typeof globalThis.fetch });
  const ends: Array<{ ok: boolean; atMs: number }> = [];
  const calls = Array.from({ length: 20 }, async (_, i) => {
    const result = streamText({ model: anthropic('claude-sonnet-4-5'), prompt: `question ${i}`, onError: () => {} });
    const ok = await result.text.then(() => true, () => false);
    ends.push({ ok, atMs: Date.now() - startedAt });
  });
  while (ends.length < 20) await vi.advanceTimersByTimeAsync(250);
  await Promise.all(calls);
  const answered = ends.filter((e) => e.ok);
  return {
    answered: answered.length,
    callsPerRequest: upstream.calls / 20,
    lastEndS: Math.max(...ends.map((e) => e.atMs)) / 1000,
    firstNoticeS: firstNoticeMs === undefined ? undefined : firstNoticeMs / 1000,
    firstPlaceS: firstPlaceMs === undefined ? undefined : firstPlaceMs / 1000,
  };
}

it('gives the figures of docs/ai-sdk.md', async () => {
  const rows: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const outageMs of [5_000, 40_000]) {
    for (const way of ['direct', 'kit', 'kit, line starting at 4'] as const) rows[`${way}, ${outageMs / 1000} s`] = await measure(way, outageMs);
  }
  expect(rows).toEqual({
    // The AI SDK alone: calls at 0, 2 and 6 s (2 s, then 4 s, no jitter); answered at 6 s, or failed then.
    'direct, 5 s': { answered: 20, callsPerRequest: 3, lastEndS: 6, firstNoticeS: undefined, firstPlaceS: undefined },
    'direct, 40 s': { answered: 0, callsPerRequest: 3, lastEndS: 6, firstNoticeS: undefined, firstPlaceS: undefined },
    // Through the kit: the first 20 go together (the line starts at 32); then one probe per closed window (every
    // second for the outage's first 10 s, then every 2 s), so the last is answered within 2 s of Claude's return. Told at once that they wait, and their
    // place after a second (the line's first update), then every 8 s.
    'kit, 5 s': { answered: 20, callsPerRequest: 2.2, lastEndS: 5, firstNoticeS: 0, firstPlaceS: 1 },
    'kit, 40 s': { answered: 20, callsPerRequest: 3.2, lastEndS: 40, firstNoticeS: 0, firstPlaceS: 1 },
    'kit, line starting at 4, 5 s': { answered: 20, callsPerRequest: 1.4, lastEndS: 5, firstNoticeS: 0, firstPlaceS: 1 },
    'kit, line starting at 4, 40 s': { answered: 20, callsPerRequest: 2.4, lastEndS: 40, firstNoticeS: 0, firstPlaceS: 1 },
  });
});
