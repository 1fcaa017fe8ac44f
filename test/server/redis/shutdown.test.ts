// The Redis store's side of a graceful shutdown: requests waiting in the fleet's line when the store closes hear
// "come back" (a retryable 503), as with the memory store, never a 499.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClaudeError } from '../../../src/core/failure.js';
import { createClaudeHandler } from '../../../src/server/index.js';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';
import { eventually, realPause, startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('a Redis store closed while requests wait', () => {
  it.each([
    ["in the fleet's line (the fleet's maxConcurrency is full)", { fleet: 1, handler: undefined }],
    ["for this instance's own slots (the handler's maxConcurrency is full)", { fleet: undefined, handler: 1 }],
  ])('answers a request waiting %s a retryable 503 at once, and lets the call on the wire finish', async (_, limits) => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 300 });
    const store = createRedisStore({ url: redis.url, prefix: `shutdown-${Date.now()}:`, maxConcurrency: limits.fleet, logger: { warn: () => {} } });
    const handler = createClaudeHandler({
      apiKey: API_KEY, fetch: simulator.fetch, store, maxConcurrency: limits.handler, logger: { warn: () => {} },
    });
    expect(await store.ready()).toBe(true);
    const first = handler(post());
    await eventually(() => simulator.stats().inFlight === 1, 'the first call at Claude');
    const waiting = handler(post());
    // A waiter in the fleet's line is not counted in this instance's stats: it is given time to ask Redis.
    await realPause(100);
    expect(simulator.stats().requests).toBe(1);
    const closedAt = Date.now();
    await store.close();
    const response = await waiting;
    // Before, it went on alone in memory after the close, outside the fleet's line: a second call at Claude.
    expect(response.status).toBe(503);
    expect(Date.now() - closedAt).toBeLessThan(250);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await readClaudeError(response)).retryable).toBe(true);
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { type: string }).type).toBe('message');
    expect(simulator.stats().requests).toBe(1);
    // Arriving after close(): the same 503, and nothing sent to Claude.
    expect((await handler(post())).status).toBe(503);
    expect((await handler(post({ stream: true }))).status).toBe(503);
    expect(simulator.stats().requests).toBe(1);
  });

  it('answers a request waiting in the fleet\'s job queue a retryable 503 too, not an overloaded 529', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 300 });
    const store = createRedisStore({ url: redis.url, prefix: `shutdown-queue-${Date.now()}:`, queue: { concurrency: 1 }, logger: { warn: () => {} } });
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: simulator.fetch, store, logger: { warn: () => {} } });
    expect(await store.ready()).toBe(true);
    const first = handler(post());
    await eventually(() => simulator.stats().inFlight === 1, 'the first job at Claude');
    const waiting = handler(post());
    await realPause(100);
    await store.close();
    const response = await waiting;
    expect(response.status).toBe(503);
    expect((await readClaudeError(response)).retryable).toBe(true);
    // The job already at Claude finishes and is answered: before, its request got the 503 too (and Claude's answer
    // was lost after being paid for).
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { type: string }).type).toBe('message');
    expect(simulator.stats().requests).toBe(1);
    expect((await handler(post())).status).toBe(503);
    expect(simulator.stats().requests).toBe(1);
  });

  it('lets a job at Claude on one instance answer its request waiting on another that closes', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 300 });
    const prefix = `shutdown-queue-two-${Date.now()}:`;
    // Instance A only asks (its worker is busy elsewhere: concurrency 1 and a long first job); B runs the job.
    const worker = createRedisStore({ url: redis.url, prefix, queue: { concurrency: 1 }, logger: { warn: () => {} } });
    const workerHandler = createClaudeHandler({ apiKey: API_KEY, fetch: simulator.fetch, store: worker, logger: { warn: () => {} } });
    expect(await worker.ready()).toBe(true);
    const asking = createRedisStore({ url: redis.url, prefix, queue: { concurrency: 1 }, logger: { warn: () => {} } });
    const askingHandler = createClaudeHandler({ apiKey: API_KEY, fetch: simulator.fetch, store: asking, logger: { warn: () => {} } });
    expect(await asking.ready()).toBe(true);
    const request = askingHandler(post());
    await eventually(() => simulator.stats().inFlight === 1, 'the job at Claude');
    await asking.close();
    const answered = await request;
    expect(answered.status).toBe(200);
    expect(simulator.stats().requests).toBe(1);
    await worker.close();
    void workerHandler;
  });
});
