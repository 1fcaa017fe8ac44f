import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { fallbackOffers } from '../../src/core/offers.js';
import { modelFallback } from '../../src/features/fallback.js';
import { overloaded } from './helpers.js';

const policy = createRetryPolicy({ random: () => 0.5 });
const T0 = 1_000_000;
const fallback = modelFallback({ models: ['big', 'small'], mode: 'offer' });

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** `big` answers 529, every other model its name. */
function models() {
  const calls: Array<{ model?: string; at: number }> = [];
  const run = async (_signal: AbortSignal, _attempt: number, model?: string) => {
    calls.push({ model, at: Date.now() - T0 });
    if (model === 'big') throw overloaded();
    return `answered by ${model}`;
  };
  return { run, calls };
}

describe('fallbackOffers(): the offer in the demand summary', () => {
  it('shows an offer in the demand summary, and accepting it there moves every request that has one', async () => {
    const { run, calls } = models();
    const client = createClaudeClient({ fallback, policy, gate: { drainJitterMs: 0 }, features: [fallbackOffers()] });
    const a = client.run(run, { model: 'big' });
    const b = client.run(run, { model: 'big' });
    await vi.advanceTimersByTimeAsync(15_000);
    const { offer } = client.demand.getSnapshot();
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy', offer: { model: 'small', from: 'big' } });
    offer!.accept!();
    await expect(Promise.all([a.promise, b.promise])).resolves.toEqual(['answered by small', 'answered by small']);
    expect(calls.filter((c) => c.model === 'small').map((c) => c.at)).toEqual([15_000, 15_000]);
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot().offer).toBeUndefined();
    client.dispose();
  });

  it('keeps every request on its model when the person declines, and offers it no more', async () => {
    const { run, calls } = models();
    const client = createClaudeClient({ fallback, policy, gate: { drainJitterMs: 0 }, features: [fallbackOffers()] });
    const a = client.run(run, { model: 'big' });
    await vi.advanceTimersByTimeAsync(15_000);
    client.demand.getSnapshot().offer!.decline!();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy' });
    expect(client.demand.getSnapshot().offer).toBeUndefined();
    expect(calls.every((c) => c.model === 'big')).toBe(true);
    a.cancel();
    await a.promise.catch(() => {});
    client.dispose();
  });

  it('keeps the same offer object while the offer stays the same, so the summary does not change under the person', async () => {
    const { run } = models();
    const client = createClaudeClient({ fallback, policy, gate: { drainJitterMs: 0 }, features: [fallbackOffers()] });
    const a = client.run(run, { model: 'big' });
    await vi.advanceTimersByTimeAsync(15_000);
    const first = client.demand.getSnapshot().offer;
    const b = client.run(run, { model: 'big' });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(client.demand.getSnapshot().offer).toBe(first);
    a.cancel();
    b.cancel();
    await Promise.allSettled([a.promise, b.promise]);
    client.dispose();
  });

  it('puts no offer in the summary without the feature, though the request has one', async () => {
    const { run } = models();
    const client = createClaudeClient({ fallback, policy, gate: { drainJitterMs: 0 } });
    const a = client.run(run, { model: 'big' });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(a.getSnapshot().offer).toEqual({ model: 'small', from: 'big' });
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy' });
    expect(client.demand.getSnapshot().offer).toBeUndefined();
    a.cancel();
    await a.promise.catch(() => {});
    client.dispose();
  });
});
