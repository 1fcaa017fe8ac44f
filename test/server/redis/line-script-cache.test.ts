// The line's Lua script is 34 KB. Sent with every command (EVAL), it cost the network about 107 KB per request (an
// admission and its release are three commands) and Redis a SHA-1 of it each time. It is sent whole once per Redis
// and run by its digest after that, and sent whole again when Redis no longer has it (a restart, SCRIPT FLUSH).
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import type { RedisStore } from '../../../src/server/redis-entry.js';
import { useRedisTestbed } from './fleet.js';

const testbed = useRedisTestbed();
const opened: Array<RedisStore | Redis> = [];
afterEach(async () => {
  for (const it of opened.splice(0)) {
    if (it instanceof Redis) it.disconnect();
    else await it.close();
  }
});

const context = {
  maxConcurrency: 4, maxQueue: 100, queueTimeoutMs: 10_000, clock: systemClock, logger: { warn: () => {} },
  run: async () => ({ status: 200, headers: {}, body: '' }),
};

/** What Redis was sent while `work` ran: script bodies, digest runs, bytes. */
async function sentDuring(admin: Redis, work: () => Promise<void>) {
  await admin.config('RESETSTAT');
  const bytes = async () => Number((await admin.info('stats')).match(/total_net_input_bytes:(\d+)/)?.[1]);
  const before = await bytes();
  await work();
  const stats = await admin.info('commandstats');
  const calls = (name: string) => Number(stats.match(new RegExp(`cmdstat_${name}:calls=(\\d+)`))?.[1] ?? 0);
  return { eval: calls('eval'), evalsha: calls('evalsha'), bytes: (await bytes()) - before };
}

describe("the Redis line's script", () => {
  it('is sent to Redis once, not with every command, and sent again when Redis has lost it', async () => {
    const admin = new Redis(testbed.redis.url);
    const store = createRedisStore({ prefix: `script-${globalThis.crypto.randomUUID().slice(0, 8)}:`, url: testbed.redis.url, logger: { warn: () => {} } });
    opened.push(admin, store);
    store.attach(context);
    expect(await store.ready()).toBe(true);
    const requests = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        const permit = await store.admit(new AbortController().signal);
        expect('release' in permit).toBe(true);
        if ('release' in permit) await permit.release({ status: 200 });
      }
    };
    await requests(1);

    const steady = await sentDuring(admin, () => requests(50));
    expect(steady.eval).toBe(0);
    expect(steady.evalsha).toBeGreaterThanOrEqual(50);
    // Keys, the app's options and the tuning sheet: a few KB per request, where the script alone is 34 KB a command.
    expect(steady.bytes / 50).toBeLessThan(10_000);

    // Redis forgot it (as after a restart): the next command finds out and sends it whole, once.
    await admin.script('FLUSH');
    const after = await sentDuring(admin, () => requests(20));
    expect(after.eval).toBe(1);
    expect(after.evalsha).toBeGreaterThanOrEqual(20);
  });
});
