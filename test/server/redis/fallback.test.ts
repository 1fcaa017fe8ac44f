import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../../src/server/index.js';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import type { RedisStore } from '../../../src/server/redis-entry.js';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';
import { closeFleet, createFleet } from './fleet.js';
import type { Instance } from './fleet.js';
import { eventually, startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

let redis: RedisServer | undefined;
let fleet: Instance[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await closeFleet(fleet);
  fleet = [];
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await redis?.stop();
  redis = undefined;
});

function handlerWith(store: RedisStore, logs: string[] = []) {
  const simulator = createOverloadSimulator({ apiKey: API_KEY });
  const handler = createClaudeHandler({
    apiKey: API_KEY, baseURL: 'http://simulator.test', fetch: simulator.fetch, store,
    logger: { warn: (message) => logs.push(message) },
  });
  cleanups.push(() => store.close());
  return { simulator, handler };
}

describe('the Redis store when Redis goes away', () => {
  it('answers every request after Redis stops mid-run, marks the fallback, logs once, and rejoins when Redis is back', async () => {
    redis = await startRedis();
    const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 5 });
    fleet = await createFleet(redis.url, simulator, { instances: 2, leaseMs: 300, commandTimeoutMs: 200 });
    const [a, b] = fleet as [Instance, Instance];
    expect((await a.handler(post())).headers.get('x-claude-kit-store')).toBe('redis');

    const port = redis.port;
    const inFlight = [a, b, a, b].map((instance) => instance.handler(post()));
    await redis.stop();
    const during = await Promise.all([...inFlight, ...[a, b, a, b, a, b].map((instance) => instance.handler(post()))]);
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
    const after = await Promise.all([a.handler(post()), b.handler(post())]);
    expect(after.map((r) => r.headers.get('x-claude-kit-store'))).toEqual(['memory-fallback', 'memory-fallback']);
    // 1 + 10 + 2 requests, each answered exactly once by Claude.
    expect(simulator.stats().requests).toBe(13);
    for (const instance of fleet) expect(instance.logs.filter((line) => line.startsWith('warn'))).toHaveLength(1);

    redis = await startRedis(port);
    await eventually(async () => (await a.handler(post())).headers.get('x-claude-kit-store') === 'redis', 'a rejoins', 5_000);
    expect(a.logs.filter((line) => line.startsWith('info'))).toHaveLength(1);
  });

  it('answers from memory at once when Redis was never reachable', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    const logs: string[] = [];
    const { handler } = handlerWith(store, logs);
    const started = Date.now();
    const responses = await Promise.all([handler(post()), handler(post())]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(responses.map((r) => [r.status, r.headers.get('x-claude-kit-store')])).toEqual([
      [200, 'memory-fallback'], [200, 'memory-fallback'],
    ]);
    await eventually(() => logs.length > 0, 'the fallback is logged');
    expect(logs).toHaveLength(1);
  });

  it('does not let a Redis that accepts connections but never answers hang a request', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 200, commandTimeoutMs: 100 });
    const { handler } = handlerWith(store);
    const started = Date.now();
    const response = await handler(post());
    expect(Date.now() - started).toBeLessThan(500);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-claude-kit-store')).toBe('memory-fallback');
  });
});
