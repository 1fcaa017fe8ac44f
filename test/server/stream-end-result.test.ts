// What the line learns when a stream ends: Claude can refuse a call after its 200 and some events (an SSE
// `event: error` with overloaded_error); that is a refusal like a 529 before the first byte, not a success.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../../src/server/index.js';
import type { SimulatorOutcome } from '../../src/testing/index.js';
import { handlerOnSimulator, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Six streams at once through a line whose limit starts at 2 (so it binds), each ending as `outcome` says. */
async function limitAfterStreams(outcome: SimulatorOutcome): Promise<{ limit: number; state: string; texts: string[] }> {
  vi.useFakeTimers();
  const store = createMemoryStore({ line: { limit: { initial: 2 } } });
  const { handler } = handlerOnSimulator({ script: Array(6).fill(outcome), serviceTimeMs: 100 }, { store, holdMs: 60_000 });
  const texts: Promise<string>[] = [];
  for (let i = 0; i < 6; i++) texts.push(handler(post({ stream: true })).then((response) => response.text()));
  await vi.advanceTimersByTimeAsync(200);
  const { limit, models } = store.stats();
  const state = Object.values(models ?? {})[0]?.state ?? 'none';
  // Whatever the line decided, every stream is eventually relayed to its end.
  await vi.advanceTimersByTimeAsync(60_000);
  const done = await Promise.all(texts);
  await store.close();
  return { limit: limit ?? 0, state, texts: done };
}

describe('a stream that Claude breaks off with an overload', () => {
  it('counts as a refusal for the line (its limit is cut and its window closes), unlike streams that end normally', async () => {
    const normal = await limitAfterStreams('ok');
    expect(normal.state).toBe('open');
    expect(normal.limit).toBeGreaterThanOrEqual(2);
    const overloaded = await limitAfterStreams('stream-error-midway');
    expect(overloaded.texts[0]).toContain('overloaded_error');
    expect(overloaded.limit).toBeLessThan(2);
    expect(overloaded.state).toBe('closed');
  });

  it('learns nothing new from a stream that breaks with a network error: it counts as it did', async () => {
    const cut = await limitAfterStreams('stream-cut');
    expect(cut.texts[0]).toContain('api_error');
    expect(cut.state).toBe('open');
    expect(cut.limit).toBeGreaterThanOrEqual(2);
  });
});
