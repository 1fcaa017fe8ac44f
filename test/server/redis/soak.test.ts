// A minute of traffic on two fleets sharing one redis-server (one through the job queue, one through the gate and
// leases, each with 2 instances and its own prefix) while Redis is killed and restarted, paused and resumed, and
// flushed, in turn. Every request names its sender; wrong, lost and double answers are counted and must all be 0.
// REDIS_SOAK_MS sets the length (default 60 s, as in CI).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { closeFleet, createFleet } from './fleet.js';
import type { Instance } from './fleet.js';
import { eventually, startRedis, realPause } from './redis-server.js';
import type { RedisServer } from './redis-server.js';
import { askAsAClient, echoUpstream, emptyTally } from './senders.js';
import type { EchoUpstream, Tally } from './senders.js';

const SOAK_MS = Number(process.env.REDIS_SOAK_MS ?? 60_000);
/** One request per fleet every this long (about 25 a second each). */
const SEND_EVERY_MS = 40;
/** A fault every this long, in turn: kill -9 and restart, a 1.5 s SIGSTOP, FLUSHALL. */
const FAULT_EVERY_MS = 5_000;
const HANG_MS = 1_500;

let redis: RedisServer | undefined;
const fleets: Instance[][] = [];
afterAll(async () => {
  redis?.resume();
  await Promise.all(fleets.map((fleet) => closeFleet(fleet)));
  await redis?.stop();
});

interface Traffic {
  name: string;
  fleet: Instance[];
  upstream: EchoUpstream;
  tally: Tally;
  seen: Set<string>;
  sent: number;
  /** [started, finished] of every request, to read how long requests took right after each hang. */
  timings: Array<[number, number]>;
}

describe('two fleets on one Redis that is killed, paused and flushed in turn', () => {
  it(`never gives a wrong, lost or double answer over ${Math.round(SOAK_MS / 1000)} s`, async () => {
    redis = await startRedis();
    const base = { commandTimeoutMs: 300, leaseMs: 3_000, queueTimeoutMs: 8_000, instances: 2 };
    const traffic: Traffic[] = [];
    for (const [name, options] of [['queue', { queue: true, maxConcurrency: 4 }], ['gate', { maxConcurrency: 3 }]] as const) {
      const upstream = echoUpstream({ serviceTimeMs: 60 });
      const fleet = await createFleet(redis.url, upstream.simulator, { ...base, ...options });
      fleets.push(fleet);
      traffic.push({ name, fleet, upstream, tally: emptyTally(), seen: new Set(), sent: 0, timings: [] });
    }
    const inFlight = new Set<Promise<void>>();
    const resumes: number[] = [];
    const faults = { restarts: 0, hangs: 0, flushes: 0 };
    const endAt = Date.now() + SOAK_MS;
    let nextFault = Date.now() + FAULT_EVERY_MS;
    let turn = 0;

    const send = () => {
      for (const t of traffic) {
        const n = t.sent++;
        const started = Date.now();
        const done = askAsAClient((t.fleet[n % 2] as Instance).handler, `${t.name} sender ${n}`, t.tally, t.seen).then(() => {
          t.timings.push([started, Date.now()]);
        });
        inFlight.add(done);
        void done.finally(() => inFlight.delete(done));
      }
    };
    const ticker = setInterval(send, SEND_EVERY_MS);
    try {
      while (Date.now() < endAt) {
        await realPause(Math.max(0, Math.min(nextFault, endAt) - Date.now()));
        if (Date.now() >= endAt) break;
        const server: RedisServer = redis;
        const fault = turn++ % 3;
        if (fault === 0) {
          await server.stop();
          redis = await startRedis(server.port);
          faults.restarts++;
        } else if (fault === 1) {
          server.pause();
          await realPause(HANG_MS);
          server.resume();
          resumes.push(Date.now());
          faults.hangs++;
        } else {
          const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
          await admin.flushall().finally(() => admin.disconnect());
          faults.flushes++;
        }
        nextFault = Date.now() + FAULT_EVERY_MS;
      }
    } finally {
      clearInterval(ticker);
    }
    await Promise.all([...inFlight]);
    await eventually(async () => (await Promise.all(fleets.flat().map((i) => i.store.ready(50)))).every(Boolean), 'the fleets are back on Redis', 5_000);

    const report = traffic.map((t) => {
      const calls = [...t.upstream.calls.values()];
      const normal = median(t.timings.map(([s, f]) => f - s));
      // For each resume, the first request sent after it: how much longer than usual it took.
      const afterHang = resumes.map((at) => {
        const first = t.timings.filter(([s]) => s >= at).sort((x, y) => x[0] - y[0])[0];
        return first ? first[1] - first[0] - normal : 0;
      });
      return {
        fleet: t.name, requests: t.sent, wrong: t.tally.wrong.length, lost: t.tally.lost.length, double: t.tally.double.length,
        via: t.tally.via, claudeCalls: calls.reduce((a, b) => a + b, 0), sentTwiceToClaude: calls.filter((n) => n > 1).length,
        medianMs: normal, worstFirstAfterHangMs: Math.max(0, ...afterHang),
      };
    });
    console.info(`[soak] ${SOAK_MS} ms, faults ${JSON.stringify(faults)}\n${report.map((r) => JSON.stringify(r)).join('\n')}`);
    for (const t of traffic) expect({ fleet: t.name, ...t.tally }).toMatchObject({ wrong: [], lost: [], double: [] });
    for (const r of report) expect(r.worstFirstAfterHangMs).toBeLessThan(1_000);
    expect(faults.restarts + faults.hangs + faults.flushes).toBeGreaterThan(0);
  }, SOAK_MS + 60_000);
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
