// Redis killed, restarted, flushed and paused under a running fleet, as an operator would see it happen. Each test
// has its own redis-server (it is killed or paused on purpose) and prompts that name their sender.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LINE_CONTROL, lineKeys } from '../../../src/server/store/redis-admission.js';
import { closeFleet, createFleet } from './fleet.js';
import type { FleetOptions, Instance } from './fleet.js';
import { eventually, startRedis, realPause } from './redis-server.js';
import type { RedisServer } from './redis-server.js';
import { answerText, ask, askAsAClient, echoUpstream, emptyTally } from './senders.js';
import type { EchoUpstream } from './senders.js';

let redis: RedisServer | undefined;
const fleets: Instance[][] = [];
const clients: Redis[] = [];
afterEach(async () => {
  redis?.resume();
  await Promise.all(fleets.splice(0).map((fleet) => closeFleet(fleet)));
  for (const client of clients.splice(0)) client.disconnect();
  await redis?.stop();
  redis = undefined;
});

async function fleetOn(server: RedisServer, upstream: EchoUpstream, options: FleetOptions): Promise<Instance[]> {
  const fleet = await createFleet(server.url, upstream.simulator, { commandTimeoutMs: 300, ...options });
  fleets.push(fleet);
  return fleet;
}

/** Kill -9, then a fresh, empty redis-server on the same port; resolves once every store is back on it. */
async function restart(server: RedisServer, stores: readonly Instance[]): Promise<RedisServer> {
  await server.stop();
  const fresh = await startRedis(server.port);
  await eventually(async () => (await Promise.all(stores.map((s) => s.store.ready(50)))).every(Boolean), 'the fleet reconnects', 5_000);
  return fresh;
}

describe('the Redis store when Redis restarts under the job queue', () => {
  it("never hands Alice Bob's answer when Redis restarts while her job is at Claude", async () => {
    redis = await startRedis();
    const upstream = echoUpstream({ serviceTimeMs: 800 });
    const fleet = await fleetOn(redis, upstream, { instances: 2, queue: true, leaseMs: 2_000 });
    const [a, b] = fleet as [Instance, Instance];

    const alice = a.handler(ask('Alice: my private question'));
    await eventually(() => upstream.simulator.stats().inFlight === 1, "Alice's job reaches Claude");
    redis = await restart(redis, fleet);
    const bob = await b.handler(ask("Bob: my private question"));
    expect(await answerText(bob)).toBe('answer to: Bob: my private question');

    const answered = await alice;
    // Her own answer, or a 529 to retry; never anyone else's.
    if (answered.status === 200) expect(await answerText(answered)).toBe('answer to: Alice: my private question');
    else expect(answered.status).toBe(529);
  }, 15_000);

  it('takes the answer from its own worker when Redis dies under a job this instance is running: Claude is called once', async () => {
    redis = await startRedis();
    const upstream = echoUpstream({ serviceTimeMs: 600 });
    const [a] = (await fleetOn(redis, upstream, { instances: 1, queue: true, leaseMs: 2_000 })) as [Instance];
    const pending = a.handler(ask('mine'));
    await eventually(() => upstream.simulator.stats().inFlight === 1, 'the job is at Claude');
    await redis.stop();
    const response = await pending;
    expect(await answerText(response)).toBe('answer to: mine');
    expect(upstream.calls.get('mine')).toBe(1);
    redis = await startRedis(redis.port);
  }, 15_000);

  it('sends a job again when Redis is flushed under it, and answers every waiting request with its own answer', async () => {
    redis = await startRedis();
    // One slot for the fleet: most jobs are still waiting in Redis when it is flushed.
    const upstream = echoUpstream({ serviceTimeMs: 150 });
    const fleet = await fleetOn(redis, upstream, { instances: 2, queue: true, maxConcurrency: 1, leaseMs: 2_000, queueTimeoutMs: 10_000 });
    const prompts = Array.from({ length: 8 }, (_, i) => `user ${i}: question ${i}`);
    const pending = prompts.map((prompt, i) => (fleet[i % 2] as Instance).handler(ask(prompt)));
    await eventually(() => upstream.simulator.stats().requests === 1, 'the first job is at Claude');
    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
    } finally {
      admin.disconnect();
    }
    const texts = await Promise.all(pending.map(async (response) => answerText(await response)));
    expect(texts).toEqual(prompts.map((prompt) => `answer to: ${prompt}`));
    // The waiting jobs were sent again, not answered twice: only the one already at Claude may have gone twice.
    expect([...upstream.calls.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(1);
  }, 15_000);

  it('runs no waiting job a second time when the connections drop but Redis keeps its data (CLIENT KILL)', async () => {
    redis = await startRedis();
    const upstream = echoUpstream({ serviceTimeMs: 300 });
    const fleet = await fleetOn(redis, upstream, { instances: 2, queue: true, maxConcurrency: 1, leaseMs: 2_000, queueTimeoutMs: 10_000 });
    const prompts = Array.from({ length: 6 }, (_, i) => `user ${i}: question ${i}`);
    const pending = prompts.map((prompt, i) => (fleet[i % 2] as Instance).handler(ask(prompt)));
    await eventually(() => upstream.simulator.stats().inFlight === 1, 'the first job is at Claude');
    const admin = new Redis(redis.url);
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
    } finally {
      admin.disconnect();
    }
    const texts = await Promise.all(pending.map(async (response) => answerText(await response)));
    expect(texts).toEqual(prompts.map((prompt) => `answer to: ${prompt}`));
    // A request that went on without its queued job (answered in memory) marks the job once it can, so no worker
    // runs it after the reconnect; only the job already at Claude may have gone twice.
    expect([...upstream.calls.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(1);
  }, 15_000);

  it('answers every request of a running fleet with its own answer, none lost, none twice, across a kill -9 and restart', async () => {
    redis = await startRedis();
    const upstream = echoUpstream({ serviceTimeMs: 100 });
    const fleet = await fleetOn(redis, upstream, { instances: 2, queue: true, maxConcurrency: 4, leaseMs: 2_000, queueTimeoutMs: 5_000 });
    const tally = emptyTally();
    const seen = new Set<string>();
    const sent: Array<Promise<void>> = [];
    for (let i = 0; i < 40; i++) {
      if (i === 15) redis = await restart(redis, fleet);
      sent.push(askAsAClient((fleet[i % 2] as Instance).handler, `sender ${i}: question ${i}`, tally, seen));
      await realPause(15);
    }
    await Promise.all(sent);
    expect(tally).toMatchObject({ wrong: [], lost: [], double: [] });
    // Back on Redis after the restart: the last requests went through the fleet's queue again.
    expect(tally.via.redis).toBeGreaterThan(0);
  }, 30_000);
});

describe('the Redis store when Redis hangs (SIGSTOP) and resumes', () => {
  it('is back at full pace within a second of Redis resuming: a lease command run late takes no slot for a request that went on', async () => {
    redis = await startRedis();
    const server = redis;
    const upstream = echoUpstream({ serviceTimeMs: 200 });
    const prefix = `hang-${globalThis.crypto.randomUUID().slice(0, 8)}:`;
    // Instance a's client stops Redis just as a waiting request asks for the slot its holder has just given back:
    // that request goes on without Redis, and Redis runs its lease command only after the hang.
    const client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false, commandTimeout: 300 });
    clients.push(client);
    let armed = false;
    let paused = false;
    // The line's script, sent whole (eval) or by its digest (evalsha): its op follows it, the key count and the keys.
    const watch = (send: (...args: unknown[]) => Promise<unknown>, isLine: (first: unknown) => boolean) => (...args: unknown[]) => {
      const op = isLine(args[0]) ? args[2 + lineKeys('').length] : undefined;
      if (op === 'settle') armed = true;
      else if (op === 'admit' && armed && !paused) {
        paused = true;
        server.pause();
      }
      return send(...args);
    };
    client.eval = watch(client.eval.bind(client) as (...args: unknown[]) => Promise<unknown>, (first) => first === LINE_CONTROL) as typeof client.eval;
    client.evalsha = watch(client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>, (first) => typeof first === 'string' && /^[0-9a-f]{40}$/.test(first)) as typeof client.evalsha;
    // Earlier versions gave the lease back with a ZREM of its own, before the gate script: arm on either.
    const zrem = client.zrem.bind(client) as (...args: unknown[]) => Promise<number>;
    client.zrem = ((...args: unknown[]) => {
      armed = true;
      return zrem(...args);
    }) as typeof client.zrem;
    // One slot for the whole fleet and the default 15 s lease: a slot taken late for nobody would stall it for 15 s.
    const options = { instances: 1, maxConcurrency: 1, queueTimeoutMs: 10_000, prefix };
    const [a] = (await fleetOn(server, upstream, { ...options, client })) as [Instance];
    const [b] = (await fleetOn(server, upstream, options)) as [Instance];
    let started = Date.now();
    expect((await b.handler(ask('before'))).status).toBe(200);
    const normalMs = Date.now() - started;

    // One request at Claude, three polling for the fleet's single slot.
    const waiting = await Promise.all([0, 1, 2, 3].map((i) => a.handler(ask(`waiting ${i}`))));
    expect(paused).toBe(true);
    expect(waiting.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(waiting.filter((r) => r.headers.get('x-claude-kit-store') === 'memory-fallback').length).toBeGreaterThan(0);
    // The hang lasts a second in all.
    await realPause(500);
    server.resume();

    started = Date.now();
    const after = await b.handler(ask('after'));
    const afterMs = Date.now() - started;
    expect([after.status, after.headers.get('x-claude-kit-store')]).toEqual([200, 'redis']);
    expect(afterMs).toBeLessThan(normalMs + 1_000);
  }, 30_000);

  it('answers a queued request sent during a hang within the command timeout, and its job never reaches Claude later', async () => {
    redis = await startRedis();
    const upstream = echoUpstream({ serviceTimeMs: 100 });
    const fleet = await fleetOn(redis, upstream, { instances: 2, queue: true, leaseMs: 2_000 });
    const [a] = fleet as [Instance];
    expect((await a.handler(ask('warm up'))).status).toBe(200);
    redis.pause();
    const started = Date.now();
    const response = await a.handler(ask('sent during the hang'));
    const tookMs = Date.now() - started;
    expect([response.status, response.headers.get('x-claude-kit-store')]).toEqual([200, 'memory-fallback']);
    expect(await answerText(response)).toBe('answer to: sent during the hang');
    // commandTimeoutMs (300) + the call (100), with room for a loaded machine: not the length of the hang.
    expect(tookMs).toBeLessThan(900);
    await realPause(1_000);
    redis.resume();
    // Once Redis runs the add it got during the hang, workers see the job abandoned and skip it.
    await eventually(async () => (await a.handler(ask('after'))).headers.get('x-claude-kit-store') === 'redis', 'the fleet is back on Redis', 5_000);
    const admin = new Redis(redis.url);
    try {
      await eventually(async () => (await admin.keys('*:wait')).length === 0 || (await admin.llen((await admin.keys('*:wait'))[0] as string)) === 0, 'the queue is drained', 5_000);
    } finally {
      admin.disconnect();
    }
    expect(upstream.calls.get('sent during the hang')).toBe(1);
  }, 30_000);
});

describe('the Redis store on an app client without a command timeout', () => {
  it('bounds the cache, the queue and the gate by commandTimeoutMs, and sends later requests of a hang straight to memory', async () => {
    redis = await startRedis();
    const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    clients.push(client);
    const upstream = echoUpstream({ serviceTimeMs: 100 });
    const [a] = (await fleetOn(redis, upstream, { instances: 1, client, queue: true, cache: { ttlMs: 5_000 }, leaseMs: 2_000 })) as [Instance];
    expect((await a.handler(ask('warm up'))).headers.get('x-claude-kit-store')).toBe('redis');
    redis.pause();
    const timed = async (prompt: string) => {
      const started = Date.now();
      const response = await a.handler(ask(prompt));
      return { ms: Date.now() - started, via: response.headers.get('x-claude-kit-store'), text: await answerText(response) };
    };
    // The first waits out one command timeout (300 ms, the cache read) and goes on in memory...
    const first = await timed('first in the hang');
    expect(first).toMatchObject({ via: 'memory-fallback', text: 'answer to: first in the hang' });
    expect(first.ms).toBeLessThan(900);
    // ...and the next do not wait on Redis at all: the call's own 100 ms, well under the command timeout.
    const second = await timed('second in the hang');
    expect(second).toMatchObject({ via: 'memory-fallback', text: 'answer to: second in the hang' });
    expect(second.ms).toBeLessThan(300);
    redis.resume();
    await eventually(async () => (await a.handler(ask('after'))).headers.get('x-claude-kit-store') === 'redis', 'back on Redis', 3_000);
  }, 30_000);
});

describe('two fleets with different prefixes on one Redis', () => {
  it('keep their jobs, answers and limits apart', async () => {
    redis = await startRedis();
    const first = echoUpstream({ serviceTimeMs: 300 });
    const second = echoUpstream({ serviceTimeMs: 20 });
    const one = await fleetOn(redis, first, { instances: 2, queue: true, maxConcurrency: 1, queueTimeoutMs: 10_000 });
    const two = await fleetOn(redis, second, { instances: 2, queue: true, maxConcurrency: 4 });
    expect(one[0]?.prefix).not.toBe(two[0]?.prefix);
    const tally = emptyTally();
    // Message ids are unique per simulator, and each fleet has its own.
    const [seenOne, seenTwo] = [new Set<string>(), new Set<string>()];
    const slow = [0, 1, 2, 3].map((i) => askAsAClient((one[i % 2] as Instance).handler, `fleet one ${i}`, tally, seenOne));
    const started = Date.now();
    // The second fleet is not held behind the first one's single slot, nor does it take the first one's jobs.
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => askAsAClient((two[i % 2] as Instance).handler, `fleet two ${i}`, tally, seenTwo)));
    expect(Date.now() - started).toBeLessThan(900);
    await Promise.all(slow);
    expect(tally).toMatchObject({ wrong: [], lost: [], double: [] });
    expect([...first.calls.keys()].every((prompt) => prompt.startsWith('fleet one'))).toBe(true);
    expect([...second.calls.keys()].every((prompt) => prompt.startsWith('fleet two'))).toBe(true);
    expect(first.simulator.stats().maxInFlight).toBe(1);
  }, 30_000);
});
