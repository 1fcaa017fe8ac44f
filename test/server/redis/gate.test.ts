import { describe, expect, it } from 'vitest';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';
import { createFleet, useRedisTestbed } from './fleet.js';

// About the shared window, so Claude's 529s are passed on (holdMs 0) rather than held in line (line.test.ts).
import type { Instance } from './fleet.js';
import { eventually } from './redis-server.js';

const testbed = useRedisTestbed();

const CLOSED_MS = 400;

describe('the shared gate on Redis', () => {
  it('holds every instance after one meets a 529, then lets one probe go first', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['529'], serviceTimeMs: 30 });
    // Every call that reaches Claude, with when it arrived: read afterwards, no polling.
    const arrivals: number[] = [];
    const upstream = simulator.fetch;
    simulator.fetch = (input, init) => {
      arrivals.push(Date.now());
      return upstream(input, init);
    };
    const fleet = await createFleet(testbed.redis.url, simulator, { holdMs: 0, instances: 3, minClosedMs: CLOSED_MS, maxClosedMs: CLOSED_MS, leaseMs: 300 });
    const [a, b, c] = fleet as [Instance, Instance, Instance];

    const first = await a.handler(post());
    expect(first.status).toBe(529);
    const closedAt = Date.now();
    expect(simulator.stats().requests).toBe(1);

    // The other instances never saw a 529 themselves, yet they wait behind the fleet's gate.
    const held = [b, c, b, c, a, b].map((instance) => instance.handler(post()));
    const responses = await Promise.all(held);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(arrivals).toHaveLength(7);
    const [, probe, ...rest] = arrivals as [number, number, ...number[]];
    // Nothing reached Claude while the window was closed (Redis's clock and ours may differ by a few ms).
    expect(probe - closedAt).toBeGreaterThanOrEqual(CLOSED_MS - 20);
    // A single probe went first, alone: the rest only after its answer (its service time is 30 ms).
    expect(Math.min(...rest) - probe).toBeGreaterThanOrEqual(25);
    expect(responses.every((r) => r.headers.get('x-claude-kit-store') === 'redis')).toBe(true);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(CLOSED_MS - 20);
    expect(simulator.stats().requests).toBe(7);
  });

  it('does not hold the fleet for the spend-limit 429, which no wait will cure', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['spend-limit', 'ok'] });
    const fleet = await createFleet(testbed.redis.url, simulator, { holdMs: 0, instances: 2, minClosedMs: 5_000, maxClosedMs: 5_000 });
    const [a, b] = fleet as [Instance, Instance];
    expect((await a.handler(post())).status).toBe(429);
    const started = Date.now();
    expect((await b.handler(post())).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers 529 with the real reopen time when the gate stays shut longer than a request may wait', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['529'] });
    const fleet = await createFleet(testbed.redis.url, simulator, { holdMs: 0, instances: 2, minClosedMs: 5_000, maxClosedMs: 5_000, queueTimeoutMs: 200 });
    const [a, b] = fleet as [Instance, Instance];
    expect((await a.handler(post())).status).toBe(529);
    const started = Date.now();
    const refused = await b.handler(post());
    expect(Date.now() - started).toBeLessThan(150);
    expect(refused.status).toBe(529);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(4);
    expect(simulator.stats().requests).toBe(1);
  });

  it('closes the gate for a 429 for as long as its retry-after says', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['429'], retryAfterSeconds: 1 });
    const fleet = await createFleet(testbed.redis.url, simulator, { holdMs: 0, instances: 2, minClosedMs: 100, maxClosedMs: 100 });
    const [a, b] = fleet as [Instance, Instance];
    expect((await a.handler(post())).status).toBe(429);
    const started = Date.now();
    expect((await b.handler(post())).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(simulator.stats().requests).toBe(2);
  });
});
