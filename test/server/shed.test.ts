import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createShedder } from '../../src/server/shed.js';
import { until } from '../testing/helpers.js';
import { errorOf, handlerOnSimulator, post } from './helpers.js';

// setImmediate stays real so `until` can let the in-process request pipeline settle; timeouts are fake.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createClaudeHandler sheds load', () => {
  it('answers a third concurrent request 529 with retry-after when one runs and one waits', async () => {
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 1 });
    const first = handler(post());
    const second = handler(post());
    await until(() => handler.stats().active === 1 && handler.stats().queued === 1);
    const third = await handler(post());
    expect(third.status).toBe(529);
    expect(third.headers.get('retry-after')).toBe('2');
    expect(third.headers.get('x-should-retry')).toBe('true');
    expect(third.headers.get('request-id')).toMatch(/^req_kit_/);
    expect((await errorOf(third)).type).toBe('overloaded_error');
    await vi.advanceTimersByTimeAsync(1000);
    expect((await first).status).toBe(200);
    await until(() => simulator.stats().inFlight === 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect((await second).status).toBe(200);
    expect(simulator.stats().maxInFlight).toBe(1);
    expect(handler.stats()).toEqual({ active: 0, queued: 0, shed: 1 });
  });

  it('frees the place of a queued request whose browser goes away', async () => {
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 1 });
    const first = handler(post());
    const browser = new AbortController();
    const leaving = handler(post({}, { signal: browser.signal }));
    await until(() => handler.stats().queued === 1);
    browser.abort();
    expect((await leaving).status).toBe(499);
    const third = handler(post());
    await until(() => handler.stats().queued === 1);
    await vi.advanceTimersByTimeAsync(2000);
    expect([(await first).status, (await third).status]).toEqual([200, 200]);
    expect(simulator.stats().requests).toBe(2);
  });

  it('answers 529 to a request that waited longer than queueTimeoutMs', async () => {
    const { handler } = handlerOnSimulator({ script: ['timeout'] }, { maxConcurrency: 1, maxQueue: 5, queueTimeoutMs: 5000, shedRetryAfterSeconds: 7 });
    const hanging = new AbortController();
    const first = handler(post({}, { signal: hanging.signal }));
    const waiting = handler(post());
    await until(() => handler.stats().queued === 1);
    await vi.advanceTimersByTimeAsync(5000);
    const response = await waiting;
    expect(response.status).toBe(529);
    expect(response.headers.get('retry-after')).toBe('7');
    hanging.abort();
    expect((await first).status).toBe(499);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds a slot for a stream until it has been relayed to the end', async () => {
    const { handler } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 0 });
    const stream = await handler(post({ stream: true }));
    expect((await handler(post())).status).toBe(529);
    const text = stream.text();
    await vi.advanceTimersByTimeAsync(1000);
    await text;
    expect(handler.stats().active).toBe(0);
  });
});

describe('createShedder', () => {
  const clock = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

  it('admits waiters first in, first out as slots are released', async () => {
    const shedder = createShedder({ maxConcurrency: 1, maxQueue: 2, queueTimeoutMs: Infinity, clock });
    const order: string[] = [];
    const first = await shedder.acquire();
    const b = shedder.acquire().then((r) => (order.push('b'), r));
    const c = shedder.acquire().then((r) => (order.push('c'), r));
    expect(await shedder.acquire()).toBe('full');
    if (typeof first !== 'function') throw new Error('expected a slot');
    first();
    first(); // a second release of the same slot changes nothing
    const second = await b;
    expect(shedder.active).toBe(1);
    if (typeof second !== 'function') throw new Error('expected a slot');
    second();
    await c;
    expect(order).toEqual(['b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers aborted for a request whose signal already fired', async () => {
    const shedder = createShedder({ maxConcurrency: 1, maxQueue: 1, queueTimeoutMs: 1000, clock });
    expect(await shedder.acquire(AbortSignal.abort())).toBe('aborted');
  });
});
