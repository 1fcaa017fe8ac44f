import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import type { RedisStore } from '../../../src/server/redis-entry.js';
import { systemClock } from '../../../src/core/clock.js';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';
import { closeFleet, createFleet } from './fleet.js';
import type { Instance } from './fleet.js';
import { startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

let redis: RedisServer;
let fleet: Instance[] = [];
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await closeFleet(fleet);
  await Promise.all(stores.splice(0).map((store) => store.close()));
  fleet = [];
});
afterAll(async () => {
  await redis?.stop();
});

const context = (queueTimeoutMs: number) => ({
  maxConcurrency: 8, maxQueue: 8, queueTimeoutMs, clock: systemClock, logger: { warn: () => {} },
  run: async () => ({ status: 200, headers: {}, body: '' }),
});

describe('the fleet-wide semaphore on Redis', () => {
  it('never lets 3 instances × 20 concurrent requests exceed the fleet limit at Claude', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 15 });
    fleet = await createFleet(redis.url, simulator, { instances: 3, maxConcurrency: 4, leaseMs: 300 });
    const requests = fleet.flatMap((instance) => Array.from({ length: 20 }, () => instance.handler(post())));
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status)).toEqual(Array(60).fill(200));
    const stats = simulator.stats();
    expect(stats.requests).toBe(60);
    expect(stats.maxInFlight).toBeLessThanOrEqual(4);
    // The limit was used, not just respected by accident of timing.
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it("frees a crashed instance's lease after leaseMs, so the fleet does not lose the slot", async () => {
    const prefix = `crash-${Date.now()}:`;
    const doomedClient = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    doomedClient.on('error', () => {});
    await doomedClient.connect();
    const doomed = createRedisStore({ client: doomedClient, prefix, maxConcurrency: 1, leaseMs: 300, logger: { warn: () => {} } });
    const survivor = createRedisStore({ url: redis.url, prefix, maxConcurrency: 1, leaseMs: 300, logger: { warn: () => {} } });
    stores.push(doomed, survivor);
    doomed.attach(context(100));
    survivor.attach(context(2_000));
    expect(await survivor.ready()).toBe(true);

    const held = await doomed.admit(new AbortController().signal);
    expect('release' in held && held.via).toBe('redis');
    // The slot is taken: a short wait is refused.
    const shortWait = createRedisStore({ url: redis.url, prefix, maxConcurrency: 1, leaseMs: 300, logger: { warn: () => {} } });
    stores.push(shortWait);
    shortWait.attach(context(100));
    await shortWait.ready();
    expect(await shortWait.admit(new AbortController().signal)).toMatchObject({ refused: 'timeout' });

    // The instance dies mid-request: its connection goes and nothing is released.
    doomedClient.disconnect();
    const started = Date.now();
    const next = await survivor.admit(new AbortController().signal);
    const waited = Date.now() - started;
    expect('release' in next && next.via).toBe('redis');
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(1_000);
    if ('release' in next) await next.release({ status: 200 });
  });

  it('keeps a long call’s lease alive past leaseMs by renewing it', async () => {
    const prefix = `renew-${Date.now()}:`;
    // b waits more than three lease lives; renewals every 100 ms leave room for a loaded machine's event-loop stalls.
    const a = createRedisStore({ url: redis.url, prefix, maxConcurrency: 1, leaseMs: 300, logger: { warn: () => {} } });
    const b = createRedisStore({ url: redis.url, prefix, maxConcurrency: 1, leaseMs: 300, logger: { warn: () => {} } });
    stores.push(a, b);
    a.attach(context(100));
    b.attach(context(1_000));
    await Promise.all([a.ready(), b.ready()]);
    const long = await a.admit(new AbortController().signal);
    expect(await b.admit(new AbortController().signal)).toMatchObject({ refused: 'timeout' });
    if ('release' in long) await long.release({ status: 200 });
    const after = await b.admit(new AbortController().signal);
    expect('release' in after && after.via).toBe('redis');
    if ('release' in after) await after.release({ status: 200 });
  });
});
