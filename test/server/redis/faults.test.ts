// Redis killed, restarted, flushed and paused under a running fleet, as an operator would see it happen. Each test
// has its own redis-server (it is killed or paused on purpose) and prompts that name their sender.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { closeFleet, createFleet } from './fleet.js';
import type { FleetOptions, Instance } from './fleet.js';
import { eventually, startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';
import { answerText, ask, echoUpstream } from './senders.js';
import type { EchoUpstream } from './senders.js';

let redis: RedisServer | undefined;
const fleets: Instance[][] = [];
afterEach(async () => {
  redis?.resume();
  await Promise.all(fleets.splice(0).map((fleet) => closeFleet(fleet)));
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
  });

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
  });
});
