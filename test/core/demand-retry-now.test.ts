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

describe("the app-wide Retry now (the banner's and the toast's)", () => {
  it('sends the person’s waiting request, not the background work held behind the closed window', async () => {
    const sent: string[] = [];
    let first = true;
    const client = createClaudeClient({ gate: { lanes: priorityLanes(), maxConcurrency: 2, minClosedMs: 10_000, maxClosedMs: 10_000 }, clock: fakeTimersClock });
    const run = (name: string) => client.run(async () => {
      sent.push(name);
      if (first) {
        first = false;
        throw overloaded();
      }
      await answerTime(1_000); // Claude takes a second to answer
      return name;
    }, name.startsWith('summary') ? { priority: 'background' } : {});
    const person = run('person');
    await vi.advanceTimersByTimeAsync(0);
    expect(client.gate!.getSnapshot().state).toBe('closed');
    // A backlog of summaries nobody watches queues behind the window.
    const backlog = [run('summary 1'), run('summary 2'), run('summary 3')];
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual(['person']);
    // The person presses "Retry now" on the banner.
    client.demand.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    // Only the person's request goes past the closed window; the summaries wait for it to show Claude has room.
    expect(sent).toEqual(['person', 'person']);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(person.promise).resolves.toBe('person');
    for (const summary of backlog) summary.cancel();
    client.dispose();
  });
  it("leaves another request's answer on the wire alone: only the waiting one is sent again", async () => {
    const client = createClaudeClient({ clock: fakeTimersClock });
    const sent: string[] = [];
    const aborted: string[] = [];
    let refuseWaiting = true;
    // One request is being answered (5 s); the other was refused and waits for its retry.
    const answering = client.run(async (signal) => {
      sent.push('answering');
      signal.addEventListener('abort', () => aborted.push('answering'));
      await answerTime(5_000);
      return 'answer';
    });
    const waiting = client.run(async () => {
      sent.push('waiting');
      if (refuseWaiting) {
        refuseWaiting = false;
        throw overloaded();
      }
      return 'later';
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(client.demand.getSnapshot().waiting).toBe(1);
    client.demand.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    await expect(waiting.promise).resolves.toBe('later');
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(answering.promise).resolves.toBe('answer');
    // The answer in flight was neither cut nor sent twice.
    expect(aborted).toEqual([]);
    expect(sent.filter((name) => name === 'answering')).toHaveLength(1);
  });
});
