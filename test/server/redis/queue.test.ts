import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';
import { createFleet, useRedisTestbed } from './fleet.js';
import type { Instance } from './fleet.js';
import { eventually } from './redis-server.js';

const testbed = useRedisTestbed();

describe('the BullMQ job queue of the Redis store', () => {
  it('answers every non-streamed request once, through jobs shared by the fleet, within the fleet limit', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 10 });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 3, queue: true, maxConcurrency: 2, leaseMs: 300 });
    const responses = await Promise.all(fleet.flatMap((instance) => [1, 2, 3, 4].map(() => instance.handler(post()))));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(responses.every((r) => r.headers.get('x-claude-kit-store') === 'redis')).toBe(true);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(12);
    expect(simulator.stats().requests).toBe(12);
    expect(simulator.stats().maxInFlight).toBeLessThanOrEqual(2);
  });

  it('pauses the queue on a 529 and answers the job after the pause instead of the 529', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['529'] });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 2, queue: { pauseMs: 300 }, minClosedMs: 300, maxClosedMs: 300 });
    const [a] = fleet as [Instance];
    const started = Date.now();
    const response = await a.handler(post());
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(simulator.stats().requests).toBe(2);
  });

  it("answers Claude's rate-limit 429 as that 429 with its retry-after, and pauses the queue for the next job", async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['429', 'ok'], retryAfterSeconds: 1 });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 2, queue: { pauseMs: 5_000 } });
    const [a, b] = fleet as [Instance, Instance];
    const limited = await a.handler(post());
    // Before, the job went back to wait and the request was answered 200 later: the client never heard the 429.
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect(simulator.stats().requests).toBe(1);
    // The fleet's queue waits out Claude's retry-after before its next call.
    const paused = Date.now();
    expect((await b.handler(post())).status).toBe(200);
    expect(Date.now() - paused).toBeGreaterThanOrEqual(700);
  });

  it('never retries the spend-limit 429: the job is answered with it at once, and the queue is not paused', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['spend-limit', 'ok'] });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 2, queue: { pauseMs: 5_000 }, minClosedMs: 5_000, maxClosedMs: 5_000 });
    const [a, b] = fleet as [Instance, Instance];
    const started = Date.now();
    const spent = await a.handler(post());
    expect(spent.status).toBe(429);
    expect(((await spent.json()) as { error: { details?: { error_code?: string } } }).error.details?.error_code).toBe('enforced_spend_limit_reached');
    expect(simulator.stats().requests).toBe(1);
    // Not a load signal: the next request goes straight through, not after a 5 s pause.
    expect((await b.handler(post())).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers 529 with retry-after when the fleet queue is full', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 300 });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 1, queue: { maxWaiting: 1, concurrency: 1 }, leaseMs: 1_000 });
    const [a] = fleet as [Instance];
    const observer = new Queue('claude-messages', { connection: { host: '127.0.0.1', port: testbed.redis.port }, prefix: `${a.prefix}bull` });
    try {
      const first = a.handler(post());
      await eventually(() => simulator.stats().inFlight === 1, 'the first job is at Claude');
      const second = a.handler(post());
      await eventually(async () => (await observer.getWaitingCount()) === 1, 'the second job waits');
      const third = await a.handler(post());
      expect(third.status).toBe(529);
      expect(third.headers.get('retry-after')).toBe('2');
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(simulator.stats().requests).toBe(2);
    } finally {
      await observer.close();
    }
  });
});
