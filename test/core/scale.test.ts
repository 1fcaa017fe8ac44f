import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { createGate, type GatePermit } from '../../src/core/gate.js';
import { createFifo } from '../../src/core/fifo.js';
import { overloaded } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** `n` requests through one 20 s overload; counts what each retryer told its subscribers, and what the summary told. */
async function crowd(n: number) {
  const client = createClaudeClient();
  const overUntil = Date.now() + 20_000;
  const attempt = () => (Date.now() < overUntil ? Promise.reject(overloaded()) : Promise.resolve('ok'));
  let retryerNotifications = 0;
  let demandNotifications = 0;
  client.demand.subscribe(() => (demandNotifications += 1));
  // The first request meets the overload and closes the gate; the crowd then arrives one by one behind it.
  const opener = client.run(attempt);
  await vi.advanceTimersByTimeAsync(0);
  const retryers = Array.from({ length: n }, () => {
    const retryer = client.run(attempt);
    retryer.subscribe(() => (retryerNotifications += 1));
    return retryer;
  });
  await vi.runAllTimersAsync();
  await opener.promise;
  const answered = (await Promise.allSettled(retryers.map((r) => r.promise))).filter((r) => r.status === 'fulfilled');
  client.dispose();
  return { answered: answered.length, perRequest: retryerNotifications / n, demandNotifications };
}

describe('the core at scale', () => {
  it('tells each waiting request only of the windows that hold it, so a crowd costs the same per request at any size', async () => {
    const small = await crowd(200);
    const large = await crowd(1_600);
    expect(small.answered).toBe(200);
    expect(large.answered).toBe(1_600);
    // A request hears: waiting, each moved window, sending, succeeded — not the admission of everyone ahead of it.
    expect(large.perRequest).toBeLessThan(12);
    expect(large.perRequest).toBeLessThanOrEqual(small.perRequest * 1.1);
  });

  it('tells the demand summary’s subscribers once per tick, however many requests changed in it', async () => {
    const client = createClaudeClient();
    const listener = vi.fn();
    client.demand.subscribe(listener);
    const retryers = Array.from({ length: 500 }, () => client.run(() => Promise.reject(overloaded())));
    await vi.advanceTimersByTimeAsync(0);
    // 500 requests started and 8 failed and 492 lined up behind the closed gate: one change the banner can see.
    expect(listener.mock.calls.length).toBeLessThanOrEqual(2);
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy', waiting: 500 });
    client.dispose();
    await Promise.allSettled(retryers.map((r) => r.promise));
  });

  it('notifies nobody when the gate’s window is told again with the same time', async () => {
    const gate = createGate();
    const first = await gate.acquire();
    first.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    const heard: Array<number | undefined> = [];
    const controller = new AbortController();
    gate.acquire({ signal: controller.signal, onHold: (at) => heard.push(at) }).catch(() => {});
    // Another waiter joining or leaving does not concern this one.
    const other = new AbortController();
    gate.acquire({ signal: other.signal }).catch(() => {});
    other.abort();
    expect(heard).toEqual([5_000]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heard).toEqual([5_000, undefined]); // the probe decides now
    controller.abort();
  });

  it('admits the requests that waited through a window in the order they came', async () => {
    const gate = createGate({ maxConcurrency: 1, minClosedMs: 1_000, maxClosedMs: 1_000 });
    const first = await gate.acquire();
    first.release({ ok: false, failure: overloaded() });
    const order: number[] = [];
    const permits: GatePermit[] = [];
    for (let i = 0; i < 5; i++) {
      gate.acquire().then((permit) => {
        order.push(i);
        permits.push(permit);
      });
    }
    await vi.advanceTimersByTimeAsync(1_000);
    for (let i = 0; i < 5; i++) {
      permits.at(-1)!.release({ ok: true });
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('createFifo', () => {
  it('lets an entry leave from the middle and keeps the others in order', () => {
    const fifo = createFifo<string>();
    const [, b] = ['a', 'b', 'c', 'd'].map((v) => fifo.push(v));
    fifo.remove(b!);
    fifo.remove(b!); // a second leave does nothing
    expect(fifo.size).toBe(3);
    const seen: string[] = [];
    fifo.forEach((v) => seen.push(v));
    expect(seen).toEqual(['a', 'c', 'd']);
    expect([fifo.shift(), fifo.shift(), fifo.shift(), fifo.shift()]).toEqual(['a', 'c', 'd', undefined]);
    expect(fifo.size).toBe(0);
  });
});

describe('the demand summary’s headline cause', () => {
  it('names the failure of a request still waiting, not of one that was answered since', async () => {
    const { createDemandStore } = await import('../../src/core/demand.js');
    const { createRetryer } = await import('../../src/core/retryer.js');
    const { createRetryPolicy } = await import('../../src/core/policy.js');
    const { ClaudeError } = await import('../../src/core/failure.js');
    const policy = createRetryPolicy({ random: () => 0.5 });
    const store = createDemandStore();
    const waiting = createRetryer({ run: () => Promise.reject(overloaded({ retryAfterMs: 60_000 })), policy });
    store.track(waiting as never);
    await vi.advanceTimersByTimeAsync(0);
    const flaky = createRetryer({
      run: (_s, attempt) => (attempt === 1 ? Promise.reject(new ClaudeError({ kind: 'server_error', status: 502, message: 'x' })) : Promise.resolve('ok')),
      policy,
    });
    store.track(flaky as never);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().lastFailureKind).toBe('server_error');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(flaky.getSnapshot().phase).toBe('succeeded');
    expect(store.getSnapshot().level).toBe('busy');
    expect(store.getSnapshot().lastFailureKind).not.toBe('server_error');
    waiting.cancel();
  });
});
