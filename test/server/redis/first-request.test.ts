// The first request after a start, with Redis up: served through Redis, not by the memory fallback with a false
// "Redis is unreachable" in the log (the connection was still being made).
import { describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../../src/server/index.js';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';
import { useRedisTestbed } from './fleet.js';

const testbed = useRedisTestbed();

describe('a Redis store just created', () => {
  it('serves the very first request through Redis, and logs nothing', async () => {
    const logs: string[] = [];
    const logger = { warn: (message: string) => void logs.push(message), info: (message: string) => void logs.push(message) };
    const store = createRedisStore({ url: testbed.redis.url, prefix: `first-${Date.now()}:`, logger });
    const simulator = createOverloadSimulator({ apiKey: API_KEY });
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: simulator.fetch, store, logger });
    // No `await store.ready()`: as an app's first request after a start, or after a hot reload.
    const response = await handler(post());
    expect(response.status).toBe(200);
    expect(response.headers.get('x-claude-kit-store')).toBe('redis');
    expect(logs).toEqual([]);
    await store.close();
  });

  it('waits no longer than the connect timeout when Redis is not there, then serves from memory and says why', async () => {
    const logs: string[] = [];
    const logger = { warn: (message: string) => void logs.push(message) };
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', prefix: 'none:', connectTimeoutMs: 300, logger });
    const simulator = createOverloadSimulator({ apiKey: API_KEY });
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: simulator.fetch, store, logger });
    const started = performance.now();
    const response = await handler(post());
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(response.headers.get('x-claude-kit-store')).toMatch(/memory/);
    expect(logs.some((line) => /Redis is unreachable/.test(line))).toBe(true);
    await store.close();
  });
});

describe('createRedisStore where Node is not', () => {
  it('throws at creation, naming the runtime problem and the way out, instead of failing on the first request', () => {
    const versions = Object.getOwnPropertyDescriptor(process, 'versions')!;
    Object.defineProperty(process, 'versions', { value: {}, configurable: true });
    try {
      expect(() => createRedisStore({ url: 'redis://127.0.0.1:6379' })).toThrow(/needs Node's TCP sockets.*runtime = 'edge'/);
    } finally {
      Object.defineProperty(process, 'versions', versions);
    }
  });

  it('names the Redis it connects to when no url is given', async () => {
    const logs: string[] = [];
    const store = createRedisStore({ prefix: `nourl-${Date.now()}:`, logger: { warn: () => {}, info: (message) => void logs.push(message) }, connectTimeoutMs: 200 });
    await store.ready(300);
    expect(logs).toContain('createRedisStore: no url given; connecting to redis://127.0.0.1:6379.');
    await store.close();
  });
});
