import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { fallbackOffers } from '../../src/core/offers.js';
import { modelFallback } from '../../src/features/fallback.js';
import { overloaded, fakeTimersClock } from './helpers.js';
import { priorityLanes } from '../../src/features/lanes.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const clock = fakeTimersClock;

describe("the app-wide Cancel (the banner's and the toast's)", () => {
  it('cancels the person’s waiting request and leaves the background work waiting', async () => {
    const client = createClaudeClient({ gate: false, clock });
    const run = (name: string, background = false) => client.run(async (_signal, attempt) => {
      if (attempt === 1) throw overloaded();
      return name;
    }, background ? { priority: 'background' } : {});
    const person = run('person');
    const summary = run('summary', true);
    await vi.advanceTimersByTimeAsync(0);
    expect([person.getSnapshot().phase, summary.getSnapshot().phase]).toEqual(['waiting', 'waiting']);
    expect(client.demand.getSnapshot().backgroundOnly).toBeUndefined();
    // The person presses Cancel on the banner.
    client.demand.cancel();
    await expect(person.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(summary.getSnapshot().phase).toBe('waiting');
    // Only background work waits now: the banner stays, without buttons that would do nothing.
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy', backgroundOnly: true });
    await vi.runAllTimersAsync();
    await expect(summary.promise).resolves.toBe('summary');
    client.dispose();
  });

  it('leaves a background request’s own cancel() cancelling it', async () => {
    const client = createClaudeClient({ gate: { lanes: priorityLanes() }, clock });
    const summary = client.run(async () => { throw overloaded(); }, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(0);
    summary.cancel();
    await expect(summary.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(vi.getTimerCount()).toBe(0);
    client.dispose();
  });

  it("never tells the person of background work's place in line, which is not theirs", async () => {
    const client = createClaudeClient({ gate: false, clock });
    const inLine = () => overloaded({ line: { ahead: 3, expectedWaitMs: 20_000 } });
    const summary = client.run(async (_signal, attempt) => {
      if (attempt < 3) throw inLine();
      return 'summary';
    }, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy', backgroundOnly: true });
    expect(client.demand.getSnapshot().line).toBeUndefined();
    // A person's request in line too: now the place is theirs to hear.
    const person = client.run(async (_signal, attempt) => {
      if (attempt === 1) throw inLine();
      return 'person';
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot().line).toEqual({ ahead: 3, expectedWaitMs: 20_000 });
    await vi.runAllTimersAsync();
    await expect(Promise.all([summary.promise, person.promise])).resolves.toEqual(['summary', 'person']);
    client.dispose();
  });

  it("never offers the person background work's fallback: nobody at the screen asked for it", async () => {
    const fallback = modelFallback({ models: ['big', 'small'], afterMs: 0, mode: 'offer' });
    const client = createClaudeClient({ gate: false, clock, fallback, features: [fallbackOffers()] });
    const overloadedBig = async (_signal: AbortSignal, _attempt: number, model?: string) => {
      if (model === 'big') throw overloaded();
      return model;
    };
    const summary = client.run(overloadedBig, { model: 'big', priority: 'background' });
    await vi.advanceTimersByTimeAsync(0);
    expect(summary.getSnapshot().offer).toEqual({ model: 'small', from: 'big' });
    expect(client.demand.getSnapshot().offer).toBeUndefined();
    const person = client.run(overloadedBig, { model: 'big' });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot().offer).toMatchObject({ model: 'small', from: 'big' });
    person.cancel();
    summary.cancel();
    await Promise.allSettled([person.promise, summary.promise]);
    client.dispose();
  });
});
