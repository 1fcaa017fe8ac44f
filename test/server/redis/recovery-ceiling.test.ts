// The Redis line recovers under the same ceiling as the memory line (limit.ts; the differential test checks them event
// by event): after Claude carried 20 calls at once and then refused everything, the fleet's limit grows back to twice
// that and no further while requests keep waiting, until a calm stretch shows Claude carrying it.
import { describe, expect, it } from 'vitest';
import { LINE_TUNING } from '../../../src/server/admission/defaults.js';
import { createRedisLineControl, type RedisLineCall } from '../../../src/server/store/redis-admission.js';
import { useRedisClient } from './redis-server.js';

const testbed = useRedisClient();

describe("the Redis line's ceiling after recovery", () => {
  it('grows back to twice what Claude carried before the outage, not past it, until a calm stretch', async () => {
    const line = createRedisLineControl(testbed.client, 'recovery:', { limit: { initial: 20 }, ttlMs: 3_600_000 });
    let now = 1_000_000;
    // Claude carries 20 calls at once.
    const carried: RedisLineCall[] = [];
    for (let i = 0; i < 20; i++) carried.push(await line.send(false, now));
    for (const call of carried) {
      now += 100;
      await line.accepted(call, true, now);
      await line.finish(call, now);
    }
    expect((await line.snapshot()).ceiling).toBe(Infinity);
    // Then refuses everything: a flood takes the limit down, and the recovery's ceiling is twice the 20 carried.
    for (let i = 0; i < 12; i++) {
      now += 1_000;
      const call = await line.send(true, now);
      await line.finish(call, now + 100);
      await line.refused(call, now + 100);
    }
    const down = await line.snapshot();
    expect(down.limit).toBeLessThan(5);
    expect(down.ceiling).toBe(2 * 20);
    // Claude is back with room for anything; requests keep waiting (binding): each round sends as many calls as the
    // limit lets go at once, and Claude takes them all.
    let highest = 0;
    const back = now;
    const round = async () => {
      now += 500;
      const calls: RedisLineCall[] = [];
      for (let turn = await line.turn(now); turn !== 'wait'; turn = await line.turn(now)) calls.push(await line.send(turn === 'probe', now));
      highest = Math.max(highest, calls.length);
      for (const call of calls) {
        await line.accepted(call, true, now);
        await line.finish(call, now);
      }
    };
    while (now - back < LINE_TUNING.calmMs - 1_000) await round();
    expect(highest).toBe(40);
    // A calm stretch later, Claude has carried the ceiling's worth without refusing: it may go further.
    now += 2_000;
    await round();
    expect((await line.snapshot()).ceiling).toBe(80);
  }, 60_000);
});
