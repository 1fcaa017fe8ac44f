// Sequences on the Redis line (the Lua port), driven with explicit times on a real redis-server:
// the expected wait is bounded as the memory line's (a rate decayed through an outage came out of Lua as a huge
// float, which Redis turns into -9223372036854775808 in its integer reply), and a clock set back ends a closed window.
import { describe, expect, it } from 'vitest';
import { MAX_EXPECTED_WAIT_MS } from '../../../src/server/admission/defaults.js';
import { createRedisLineControl, LINE_CONTROL, lineArgs, lineKeys } from '../../../src/server/store/redis-admission.js';
import { useRedisClient } from './redis-server.js';

const testbed = useRedisClient();

const FOREVER_MS = 3_600_000_000;

describe("the Redis line's expected wait", () => {
  it('stays between 0 and an hour after minutes in which Claude took no call', async () => {
    const keys = lineKeys('review-wait:');
    const options = { limit: { initial: 1 }, ttlMs: FOREVER_MS };
    const run = (op: string, now: number, ...rest: Array<string | number>) =>
      testbed.client.eval(LINE_CONTROL, keys.length, ...keys, ...lineArgs(options, op, now), ...rest) as Promise<unknown>;
    let now = 1_000_000;
    // Claude takes calls at a good pace for a while.
    for (let i = 0; i < 20; i++) {
      const [went, level, epoch, probeId] = (await run('admit', now, `c${i}`, '', FOREVER_MS, FOREVER_MS, '0', '0', '0')) as number[];
      expect(went).toBe(1);
      now += 500;
      await run('settle', now, `c${i}`, level!, epoch!, probeId!, 'ok', -1, '0');
    }
    // Then one call hangs: nothing is taken for minutes, and a request waits behind it.
    const [went, level, epoch, probeId] = (await run('admit', now, 'hung', '', FOREVER_MS, FOREVER_MS, '0', '0', '0')) as number[];
    expect(went).toBe(1);
    await run('accept', now + 1500, level!, epoch!, probeId!);
    let order = '';
    for (const minutes of [1, 3, 10, 60]) {
      now += minutes * 60_000;
      const answer = (await run('admit', now, 'waiter', order, FOREVER_MS, FOREVER_MS, '0', '0', '0')) as number[];
      expect(answer[0]).toBe(0);
      order = String(answer[3]);
      const expectedWaitMs = answer[5]!;
      expect(expectedWaitMs).toBeGreaterThan(0);
      expect(expectedWaitMs).toBeLessThanOrEqual(MAX_EXPECTED_WAIT_MS);
    }
  });
});

describe("the Redis line's closed window", () => {
  it('ends after its length when the clock is set back an hour while it is closed', async () => {
    const control = createRedisLineControl(testbed.client, 'review-step:', { limit: { initial: 4 }, minClosedMs: 1000 });
    const now = 5_000_000;
    const calls = [];
    for (let i = 0; i < 4; i++) {
      expect(await control.turn(now)).toBe('go');
      calls.push(await control.send(false, now));
    }
    // The third call sent comes back refused first: a cut, and the window closes for a second.
    for (const call of [calls[2]!, calls[3]!, calls[1]!, calls[0]!]) {
      await control.finish(call, now + 100);
      await control.refused(call, now + 100);
    }
    expect(await control.turn(now + 500)).toBe('wait');
    // Redis's clock is set back an hour; a second later the window is over, not an hour and a second later.
    expect(await control.turn(now + 1100 - 3_600_000)).toBe('probe');
  });
});

describe("the Redis line's hold of background after a 529", () => {
  it('ends after its length when the clock is set back an hour', async () => {
    const keys = lineKeys('review-held:');
    const options = { limit: { initial: 5 }, ttlMs: FOREVER_MS };
    const run = (op: string, now: number, ...rest: Array<string | number>) =>
      testbed.client.eval(LINE_CONTROL, keys.length, ...keys, ...lineArgs(options, op, now), ...rest) as Promise<unknown>;
    const now = 9_000_000;
    const calls: number[][] = [];
    for (let i = 0; i < 3; i++) calls.push((await run('admit', now, `b${i}`, '', FOREVER_MS, FOREVER_MS, '0', '1', '0')) as number[]);
    expect(calls.map((c) => c[0])).toEqual([1, 1, 1]);
    // A fourth waits: the limit leaves two slots to people.
    expect(((await run('admit', now, 'late', '', FOREVER_MS, FOREVER_MS, '0', '1', '0')) as number[])[0]).toBe(0);
    // Claude refuses one with background on the wire and asks for 5 s; the others end with no answer (500s).
    const settle = (i: number, outcome: string, retryAfterMs: number) =>
      run('settle', now + 100, `b${i}`, calls[i]![1]!, calls[i]![2]!, calls[i]![3]!, outcome, retryAfterMs, '0');
    expect(await settle(0, 'refused', 5000)).toBe('blamed');
    await settle(1, 'neutral', -1);
    await settle(2, 'neutral', -1);
    expect(((await run('admit', now + 200, 'late', '', FOREVER_MS, FOREVER_MS, '0', '1', '0')) as number[])[0]).toBe(0);
    // Redis's clock is set back an hour; 5 s later the hold is over.
    const answer = (await run('admit', now + 5200 - 3_600_000, 'late', '', FOREVER_MS, FOREVER_MS, '0', '1', '0')) as number[];
    expect(answer[0]).toBe(1);
  });
});

describe("the Redis line's outage probe", () => {
  it('says a probe goes in an outage (so the store judges it by how fast refusals came), and not once Claude took a call', async () => {
    const keys = lineKeys('review-outage:');
    const options = { limit: { initial: 2 }, minClosedMs: 1000, ttlMs: FOREVER_MS };
    const run = (op: string, now: number, ...rest: Array<string | number>) =>
      testbed.client.eval(LINE_CONTROL, keys.length, ...keys, ...lineArgs(options, op, now), ...rest) as Promise<unknown>;
    const admit = (now: number, id: string) => run('admit', now, id, '', FOREVER_MS, FOREVER_MS, '0', '0', '0') as Promise<number[]>;
    let now = 7_000_000;
    // Two calls go and Claude refuses both in 100 ms: a cut, and the window closes.
    const first = [await admit(now, 'a'), await admit(now, 'b')];
    expect(first.map((answer) => answer[0])).toEqual([1, 1]);
    expect(first.map((answer) => answer[7])).toEqual([0, 0]);
    now += 100;
    for (const [i, answer] of first.entries()) await run('settle', now, ['a', 'b'][i]!, answer[1]!, answer[2]!, answer[3]!, 'refused', -1, '0');
    // The window's end: one probe, in an outage (Claude has taken none of the line's calls since it began refusing).
    now += 1_000;
    const probe = await admit(now, 'p1');
    expect(probe[0]).toBe(1);
    expect(probe[3]).not.toBe(0);
    expect(probe[7]).toBe(1);
    // Claude takes it: no longer an outage, whatever comes next.
    now += 300;
    await run('settle', now, 'p1', probe[1]!, probe[2]!, probe[3]!, 'ok', -1, '0');
    const next = await admit(now, 'c');
    expect(next[0]).toBe(1);
    expect(next[7]).toBe(0);
  });
});

