// createClaudeFetch over the Redis store: two instances of a backend (each its own fetch, store and Redis client)
// share the fleet's line toward a Claude that refuses every call for 5 s. A real redis-server, so real time: the
// line's windows are timed by Redis's own clock, which fake timers cannot move.
import { createAnthropic } from '@ai-sdk/anthropic';
import { streamText } from 'ai';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { createClaudeFetch } from '../../src/ai-sdk/index.js';
import { createRedisStore } from '../../src/server/redis-entry.js';
import type { RedisStore } from '../../src/server/redis-entry.js';
import { startRedis, type RedisServer } from '../server/redis/redis-server.js';
import { outageUpstream } from './upstream.js';

let redis: RedisServer;
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis?.stop();
});

it('answers 20 streamText calls over two instances in a 5 s outage, at most 1.5 calls to Claude per request', async () => {
  const upstream = outageUpstream(systemClock, 5_000);
  const prefix = `ai-sdk-${randomUUID().slice(0, 8)}:`;
  const via: string[] = [];
  const instances = [0, 1].map(() => {
    const store = createRedisStore({ url: redis.url, prefix, line: { limit: { initial: 4 } }, logger: { warn: () => {} } });
    stores.push(store);
    const fetch = createClaudeFetch({ apiKey: 'sk-server', baseURL: 'http://claude.test', fetch: upstream.fetch, store, logger: { warn: () => {} } });
    const watched = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await fetch(input, init);
      via.push(response.headers.get('x-claude-kit-store') ?? 'none');
      return response;
    };
    return { store, anthropic: createAnthropic({ apiKey: 'sk-not-used', baseURL: 'http://claude.test/v1', fetch: watched as typeof globalThis.fetch }) };
  });
  expect(await Promise.all(instances.map((i) => i.store.ready(3_000)))).toEqual([true, true]);

  const startedAt = Date.now();
  const outcomes = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const { anthropic } = instances[i % 2]!;
    const result = streamText({ model: anthropic('claude-sonnet-4-5'), prompt: `question ${i}`, onError: () => {} });
    try {
      return { text: await result.text, atMs: Date.now() - startedAt };
    } catch (error) {
      return { error, atMs: Date.now() - startedAt };
    }
  }));
  expect(outcomes.map((o) => o.error)).toEqual(Array(20).fill(undefined));
  expect(outcomes.every((o) => (o.text ?? '').length > 0)).toBe(true);
  expect(upstream.calls / 20).toBeLessThanOrEqual(1.5);
  // Every call went through the fleet's line in Redis, none through an instance's memory fallback.
  expect(via).toEqual(Array(20).fill('redis'));
  // Within the fleet's closed window (at most 2 s) of Claude's return.
  expect(Math.max(...outcomes.map((o) => o.atMs))).toBeLessThan(7_500);
}, 30_000);
