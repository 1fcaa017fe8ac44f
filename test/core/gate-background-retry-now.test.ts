import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { overloaded, answerTime, fakeTimersClock } from './helpers.js';
import { priorityLanes } from '../../src/features/lanes.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const clock = fakeTimersClock;

describe("a background request's own Retry now", () => {
  it('keeps it in the background lane: it does not take the slot kept free for a person', async () => {
    const sent: string[] = [];
    const client = createClaudeClient({ gate: { lanes: priorityLanes(), maxConcurrency: 2 }, clock });
    const run = (name: string, background = false) => client.run(async () => {
      sent.push(name);
      await answerTime(10_000); // a long answer
      return name;
    }, background ? { priority: 'background' } : {});
    const reading = run('person reading');
    const summary = run('summary', true);
    await vi.advanceTimersByTimeAsync(0);
    // One slot is taken by the person; background never takes the last free one.
    expect(sent).toEqual(['person reading']);
    summary.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['person reading']);
    // So a person who asks now is answered at once, not after the summary.
    const asking = run('person asking');
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['person reading', 'person asking']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual(['person reading', 'person asking', 'summary']);
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(Promise.all([reading.promise, asking.promise, summary.promise])).resolves.toHaveLength(3);
    client.dispose();
  });

  it('does not send it past the hold its model’s overload put on background work', async () => {
    const sent: number[] = [];
    const client = createClaudeClient({ gate: { lanes: priorityLanes(), minClosedMs: 10_000, maxClosedMs: 10_000 }, clock });
    const summary = client.run(async (_signal, attempt) => {
      sent.push(Date.now());
      if (attempt === 1) throw overloaded();
      return 'summary';
    }, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(100);
    expect(client.gate!.snapshotOf().backgroundReopenAt).toBeGreaterThan(Date.now());
    summary.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([0]);
    await vi.runAllTimersAsync();
    await expect(summary.promise).resolves.toBe('summary');
    expect(sent[1]).toBeGreaterThanOrEqual(10_000);
    client.dispose();
  });
});
