import { describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../../src/server/index.js';
import { handlerOnSimulator, post } from './helpers.js';

// The handler must work where ioredis and bullmq are not installed: loading either here fails the test.
vi.mock('ioredis', () => {
  throw new Error('ioredis was loaded without createRedisStore');
});
vi.mock('bullmq', () => {
  throw new Error('bullmq was loaded without a queue');
});

describe('the memory store', () => {
  it('is the default, answers without loading ioredis or bullmq, and adds no store header', async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(post());
    expect(response.status).toBe(200);
    expect(response.headers.get('x-claude-kit-store')).toBeNull();
  });

  it('caches successful answers of identical requests when asked, and never an error', async () => {
    // holdMs 0: Claude's 529 reaches the browser instead of waiting in line again, so there is an error to not cache.
    const { handler, simulator } = handlerOnSimulator({ script: ['529'] }, { store: createMemoryStore({ cache: { ttlMs: 1_000 } }), holdMs: 0 });
    expect((await handler(post())).status).toBe(529);
    expect((await handler(post())).status).toBe(200);
    const hit = await handler(post());
    expect(hit.headers.get('x-claude-kit-cache')).toBe('hit');
    expect(simulator.stats().requests).toBe(2);
  });

  it('forgets a cached answer after its ttl', async () => {
    let now = 0;
    const { handler, simulator } = handlerOnSimulator({}, { store: createMemoryStore({ cache: { ttlMs: 1_000 }, now: () => now }) });
    await handler(post());
    now = 999;
    expect((await handler(post())).headers.get('x-claude-kit-cache')).toBe('hit');
    now = 1_000;
    expect((await handler(post())).headers.get('x-claude-kit-cache')).toBeNull();
    expect(simulator.stats().requests).toBe(2);
  });
});
