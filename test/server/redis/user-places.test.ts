// A user's places in the Redis store's line are the fleet's: `maxPerUser` counts every instance's requests of that
// user together, in Redis. Each way a request leaves the line gives its place back (it goes, its client leaves, it
// times out, Claude turns it away and it returns); an instance cut off from Redis, as a crashed one is, stops holding
// its places and they lapse. Stores driven directly, on a real redis-server.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import type { RedisStore } from '../../../src/server/redis-entry.js';
import type { StoreAdmission } from '../../../src/server/store/types.js';
import { LINE_CONTROL, lineArgs, lineKeys, placesKey, userTag } from '../../../src/server/store/redis-admission.js';
import { lineRetryAfterMs } from '../../../src/server/admission/defaults.js';
import { useRedisTestbed } from './fleet.js';
import { eventually } from './redis-server.js';

const testbed = useRedisTestbed();
const stores: RedisStore[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  for (const client of clients.splice(0)) client.disconnect();
});

const MAX_PER_USER = 3;
const context = {
  maxConcurrency: 8, maxQueue: 80, maxPerUser: MAX_PER_USER, queueTimeoutMs: 20_000, clock: systemClock, logger: { warn: () => {} },
  run: async () => ({ status: 200, headers: {}, body: '' }),
};

async function client(): Promise<Redis> {
  const redis = new Redis(testbed.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {});
  await redis.connect();
  clients.push(redis);
  return redis;
}

/** Two instances of one app, one call at Claude at a time for the fleet (so the rest wait), sharing `prefix`. */
async function fleetOf(prefix: string, own?: Redis): Promise<[RedisStore, RedisStore]> {
  const options = { prefix, maxConcurrency: 1, commandTimeoutMs: 200, logger: { warn: () => {} } };
  const a = createRedisStore(own ? { ...options, client: own } : { ...options, url: testbed.redis.url });
  const b = createRedisStore({ ...options, url: testbed.redis.url });
  stores.push(a, b);
  a.attach(context);
  b.attach(context);
  expect(await a.ready()).toBe(true);
  expect(await b.ready()).toBe(true);
  return [a, b];
}

const placesOf = async (prefix: string, user: string) => (await client()).zcard(placesKey(prefix, await userTag(user)));
const outcome = (admission: StoreAdmission) => ('release' in admission ? 'permit' : admission.refused);
/** Each admission's outcome, each permit's call ended at once: one at a time, as the fleet lets them go. */
const answerAll = (admissions: ReadonlyArray<Promise<StoreAdmission>>) => Promise.all(admissions.map(async (next) => {
  const permit = await next;
  if ('release' in permit) await permit.release({ status: 200 });
  return outcome(permit);
}));

describe("a user's places in the Redis store's line", () => {
  it('counts every instance together, and gives a place back however its request leaves', async () => {
    const prefix = `places-${Date.now()}:`;
    const [a, b] = await fleetOf(prefix);
    const redis = await client();
    const count = async () => redis.zcard(placesKey(prefix, await userTag('u')));
    // Someone else's call holds the fleet's one slot: the user's requests wait.
    const busy = await a.admit(new AbortController().signal, { user: 'someone' });
    expect(outcome(busy)).toBe('permit');
    const leaving = new AbortController();
    const waiting = [
      a.admit(leaving.signal, { user: 'u' }),
      b.admit(new AbortController().signal, { user: 'u' }),
      a.admit(new AbortController().signal, { user: 'u', deadlineAt: Date.now() + 300 }),
    ];
    await eventually(async () => (await count()) === MAX_PER_USER, 'three places taken on two instances');
    // A fourth, on either instance, is the user's one too many; another user still gets a place.
    expect(outcome(await b.admit(new AbortController().signal, { user: 'u' }))).toBe('user-full');
    expect(outcome(await a.admit(new AbortController().signal, { user: 'u' }))).toBe('user-full');

    // Its client leaves: its place is free at once, and the user's next request takes it.
    leaving.abort();
    expect(outcome(await waiting[0]!)).toBe('aborted');
    expect(await count()).toBe(MAX_PER_USER - 1);
    waiting.push(b.admit(new AbortController().signal, { user: 'u' }));
    await eventually(async () => (await count()) === MAX_PER_USER, 'the freed place taken again');
    // Timed out: its place goes with it (its ticket keeps its order, not a place).
    expect(outcome(await waiting[2]!)).toBe('timeout');
    expect(await count()).toBe(MAX_PER_USER - 1);

    // The call ends: the first of the user's waiters goes, its place given back as it goes.
    if ('release' in busy) await busy.release({ status: 200 });
    const first = await waiting[1]!;
    expect(outcome(first)).toBe('permit');
    expect(await count()).toBe(MAX_PER_USER - 2);
    // Claude turns it away (a 529): it comes back with its order to the instance that gave it (as the handler
    // retries), and keeps a place even while the user holds its share: no user-full 429 for its own request.
    const more = [a.admit(new AbortController().signal, { user: 'u' }), b.admit(new AbortController().signal, { user: 'u' })];
    await eventually(async () => (await count()) === MAX_PER_USER, 'the share full again');
    if (!('release' in first)) throw new Error('unreachable');
    await first.release({ status: 529 });
    const back = b.admit(new AbortController().signal, { user: 'u', order: first.order });

    // Everyone answered, one at a time as the fleet lets them go: no place is left behind.
    const answered = await answerAll([back, waiting[3]!, ...more]);
    expect(answered).toEqual(['permit', 'permit', 'permit', 'permit']);
    expect(await count()).toBe(0);
  }, 30_000);

  it("lets a crashed instance's places lapse: its user gets places again on the others", async () => {
    const prefix = `places-crash-${Date.now()}:`;
    const doomedClient = await client();
    const [doomed, survivor] = await fleetOf(prefix, doomedClient);
    const busy = await survivor.admit(new AbortController().signal, { user: 'someone' });
    const orphans = Array.from({ length: MAX_PER_USER }, () => doomed.admit(new AbortController().signal, { user: 'u' }));
    await eventually(async () => (await placesOf(prefix, 'u')) === MAX_PER_USER, "the doomed instance holds the user's share");
    expect(outcome(await survivor.admit(new AbortController().signal, { user: 'u' }))).toBe('user-full');
    // The instance dies: its connection goes, and nothing it held is given back or held again.
    doomedClient.disconnect();
    const started = Date.now();
    await eventually(async () => (await placesOf(prefix, 'u')) === 0, "the dead instance's places lapse", 5_000);
    // Within a waiter's alive time (2 × (500 + 2 × 25 + 200) ms) and a poll: not the queue timeout (20 s).
    expect(Date.now() - started).toBeLessThan(2_500);
    const again = survivor.admit(new AbortController().signal, { user: 'u' });
    await eventually(async () => (await placesOf(prefix, 'u')) === 1, 'the user has a place again');
    if ('release' in busy) await busy.release({ status: 200 });
    const permit = await again;
    expect(outcome(permit)).toBe('permit');
    if ('release' in permit) await permit.release({ status: 200 });
    // The dead instance's waiters went on in its memory store, as any request does when Redis goes away.
    for (const orphan of await Promise.all(orphans)) if ('release' in orphan) await orphan.release();
  }, 30_000);

  it("tells a user's one request too many when to come back, by the line's one rule", async () => {
    const prefix = `places-retry-${Date.now()}:`;
    const [a, b] = await fleetOf(prefix);
    const busy = await a.admit(new AbortController().signal, { user: 'someone' });
    const waiting = Array.from({ length: MAX_PER_USER }, () => a.admit(new AbortController().signal, { user: 'u' }));
    await eventually(async () => (await placesOf(prefix, 'u')) === MAX_PER_USER, "the user's share taken");
    const refusal = await b.admit(new AbortController().signal, { user: 'u' });
    if ('release' in refusal) throw new Error('a fourth place was given');
    expect(refusal.refused).toBe('user-full');
    // The wait for its place that goes first, at the rate Claude took calls, and a retry-after from it as every other
    // refusal of the line gets (lineRetryAfterMs); before, none (the handler's flat 2 s).
    expect(refusal.expectedWaitMs).toBeGreaterThan(0);
    expect(refusal.retryAfterMs).toBe(lineRetryAfterMs(refusal.expectedWaitMs!, 0));
    if ('release' in busy) await busy.release({ status: 200 });
    const answered = await answerAll(waiting);
    expect(answered).toEqual(['permit', 'permit', 'permit']);
  }, 30_000);

  it("makes a user's places again after Redis lost them (a flush), so the user still holds only its share", async () => {
    const prefix = `places-flush-${Date.now()}:`;
    const [a, b] = await fleetOf(prefix);
    const busy = await a.admit(new AbortController().signal, { user: 'someone' });
    const waiting = Array.from({ length: MAX_PER_USER }, (_, i) => (i % 2 ? b : a).admit(new AbortController().signal, { user: 'u' }));
    await eventually(async () => (await placesOf(prefix, 'u')) === MAX_PER_USER, "the user's share taken");
    // Redis loses every place (as a restart without persistence, or FLUSHALL, does).
    await (await client()).del(placesKey(prefix, await userTag('u')));
    // Within a third of a place's life (2 × (500 + 2 × 25 + 200) ms) its instances hold them again: a fourth
    // request is still the user's one too many, where before it got a place (the user held twice its share).
    await eventually(async () => (await placesOf(prefix, 'u')) === MAX_PER_USER, 'the places made again', 3_000);
    expect(outcome(await b.admit(new AbortController().signal, { user: 'u' }))).toBe('user-full');
    if ('release' in busy) await busy.release({ status: 200 });
    // One at a time, as the fleet lets them go (in whichever order their instances asked).
    const answered = await answerAll(waiting);
    expect(answered).toEqual(['permit', 'permit', 'permit']);
    // Each place given back as its request went, none made again after: nothing is left behind.
    await eventually(async () => (await placesOf(prefix, 'u')) === 0, 'every place given back', 3_000);
  }, 30_000);
});

describe("the line's script for places", () => {
  it('takes a place only under the share, and holds waiting places again (several users in one command)', async () => {
    const redis = await client();
    const prefix = `places-script-${Date.now()}:`;
    const run = (op: string, user: string, extraKeys: string[], ...rest: Array<string | number>) => {
      const keys = [...lineKeys(prefix, { user }), ...extraKeys];
      return redis.eval(LINE_CONTROL, keys.length, ...keys, ...lineArgs({}, op), ...rest) as Promise<number>;
    };
    // Two places of a share of two, 100 ms each; a third is refused, unless it is a returning request's.
    expect(await run('hold', 'ua', [], 'a1', 2, 100, '0')).toBe(1);
    expect(await run('hold', 'ua', [], 'a2', 2, 100, '0')).toBe(2);
    expect(await run('hold', 'ua', [], 'a3', 2, 100, '0')).toEqual([0, 0, expect.any(Number)]);
    expect(await run('hold', 'ua', [], 'a3', 2, 100, '1')).toBe(3);
    expect(await run('hold', 'ub', [], 'b1', 2, 100, '0')).toBe(1);
    // Held again for a minute: a1 (ua's) and b1 (ub's), in one command; one Redis lost (x: a restart, a flush) is
    // made again, since its instance still holds it.
    const held = await run('hold-places', 'ua', [placesKey(prefix, 'ub'), placesKey(prefix, 'ua')], 60_000, 'a1', 'b1', 'x');
    expect(held).toBe(3);
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1000 + Number(micros) / 1000;
    expect(Number(await redis.zscore(placesKey(prefix, 'ua'), 'a1'))).toBeGreaterThan(now + 50_000);
    expect(Number(await redis.zscore(placesKey(prefix, 'ub'), 'b1'))).toBeGreaterThan(now + 50_000);
    expect(Number(await redis.zscore(placesKey(prefix, 'ua'), 'a2'))).toBeLessThan(now + 1_000);
    expect(Number(await redis.zscore(placesKey(prefix, 'ua'), 'x'))).toBeGreaterThan(now + 50_000);
    expect(await redis.pttl(placesKey(prefix, 'ub'))).toBeGreaterThan(50_000);
  });
});
