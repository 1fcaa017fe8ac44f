/**
 * The core at scale: N requests of one app wait through one overload, through the shipped client (retryer, gate,
 * demand store), in virtual time. Prints the CPU each request costs; linear code keeps that figure flat as N grows.
 *
 * Method: every request starts at t = 0; Claude answers 529 `overloaded_error` until t = 30 s, then answers each
 * attempt after 100 ms. A listener reads the demand summary on every change (as a banner does). CPU is
 * `process.cpuUsage()` (user + system) around the whole run, divided by N. Left out: React rendering, fetch and
 * JSON (the attempt is a timer), garbage collection that lands after the run. A 4k warm-up run goes first, unbilled;
 * then three rounds of every size (sizes under 16k repeated to about 16k requests a round); the median run of each
 * size is shown, with the growth fitted over all sizes. The work each request causes (timers, what its retryer and the
 * demand summary told their subscribers) is counted too: it is what decides linear code, on any machine. Tried and not kept: a full collection forced
 * before each run (small runs became 2.4× dearer, the heap it shrank growing again inside the run).
 */
import { createClaudeClient } from '../src/core/client.js';
import type { Clock } from '../src/core/clock.js';
import { ClaudeError } from '../src/core/failure.js';

export const SCALE_SIZES = [1_000, 4_000, 16_000, 64_000] as const;
const OVERLOAD_MS = 30_000;
const LATENCY_MS = 100;

interface Timer {
  at: number;
  seq: number;
  callback: (() => void) | undefined;
}

/** Virtual time on a binary heap; after each instant the microtask queue drains before time moves on. */
function createScaleClock(seed = 1) {
  const heap: Timer[] = [];
  let now = 0;
  let seq = 0;
  let timers = 0;
  let state = seed >>> 0;
  const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  function push(timer: Timer): void {
    let i = heap.push(timer) - 1;
    for (let p = (i - 1) >> 1; i > 0 && before(heap[i]!, heap[p]!); i = p, p = (i - 1) >> 1) swap(i, p);
  }
  function pop(): Timer | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (l + 1 < heap.length && before(heap[l + 1]!, heap[m]!)) m = l + 1;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top;
  }
  const clock: Clock = {
    now: () => now,
    setTimeout(callback, ms) {
      const timer: Timer = { at: now + (ms > 0 ? ms : 0), seq: seq++, callback };
      timers += 1;
      push(timer);
      return timer;
    },
    clearTimeout(handle) {
      if (handle) (handle as Timer).callback = undefined;
    },
    // mulberry32: the same seed gives the same run on every machine.
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  async function run(): Promise<void> {
    await settle();
    for (let timer = pop(); timer; timer = pop()) {
      if (!timer.callback) continue;
      now = timer.at;
      const callback = timer.callback;
      timer.callback = undefined;
      callback();
      if (heap.length === 0 || heap[0]!.at !== now) await settle();
    }
  }
  return { clock, run, timers: () => timers };
}

export interface ScaleRow {
  requests: number;
  cpuMs: number;
  cpuPerRequestMs: number;
  virtualSeconds: number;
  answered: number;
  demandNotifications: number;
  /**
   * The work the run caused, counted: timers set, and what every request's retryer told its subscribers (each moved
   * window that held it, each state) plus what the demand summary told its own. Per request, it is the same at every
   * size for linear code, on any machine.
   */
  work: number;
}

/** One run of `requests` requests through one overload. */
export async function runScale(requests: number): Promise<ScaleRow> {
  const { clock, run, timers } = createScaleClock();
  const client = createClaudeClient({ clock });
  let demandNotifications = 0;
  const stop = client.demand.subscribe(() => {
    demandNotifications += 1;
    client.demand.getSnapshot();
  });
  const attempt = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      if (clock.now() < OVERLOAD_MS) {
        reject(new ClaudeError({ kind: 'overloaded', status: 529, type: 'overloaded_error', message: 'Overloaded' }));
        return;
      }
      const timer = clock.setTimeout(() => resolve('ok'), LATENCY_MS);
      signal.addEventListener('abort', () => {
        clock.clearTimeout(timer);
        reject(signal.reason);
      }, { once: true });
    });

  const cpu = process.cpuUsage();
  const promises: Array<Promise<unknown>> = [];
  let retryerNotifications = 0;
  const heard = () => (retryerNotifications += 1);
  for (let i = 0; i < requests; i++) {
    const retryer = client.run(attempt);
    retryer.subscribe(heard);
    promises.push(retryer.promise);
  }
  await run();
  const results = await Promise.allSettled(promises);
  const used = process.cpuUsage(cpu);
  stop();
  client.dispose();
  const cpuMs = (used.user + used.system) / 1000;
  return {
    requests,
    cpuMs,
    cpuPerRequestMs: cpuMs / requests,
    virtualSeconds: clock.now() / 1000,
    answered: results.filter((r) => r.status === 'fulfilled').length,
    demandNotifications,
    work: timers() + retryerNotifications + demandNotifications,
  };
}

/**
 * Growth of CPU per request from the smallest size to the largest, fitted (least squares of log CPU per request on
 * log N, over the sizes' medians): a single noisy size moves it by a quarter of its own error, where the max / min
 * ratio of the medians takes the full error of the two worst. Linear code gives 1; a cost growing with N (a scan of
 * the waiting) gives about N/1k at N, 64 at 64k.
 */
export function fittedGrowth(rows: readonly ScaleRow[]): number {
  const xs = rows.map((r) => Math.log(r.requests));
  const ys = rows.map((r) => Math.log(r.cpuPerRequestMs));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  return Math.exp(slope * (Math.max(...xs) - Math.min(...xs)));
}

/**
 * The targets. Work per request (counted, the same on any machine) the same at every size, within 1.1×: linear code.
 * CPU per request under 1 ms at 16k, and its fitted growth from 1k to 64k within 2×: issue 14's "flat within 1.5×"
 * measured the machine as much as the kit (the same work costs 1.24–1.66× more at 64k in runs here and in CI, from
 * garbage collection of a 64k-request heap and cache misses walking it; docs/core.md), while a scan of the waiting
 * per request grows 5× or more and still fails it.
 */
export function checkScale(rows: ScaleRow[]): Array<{ target: string; holds: boolean }> {
  const at16k = rows.find((r) => r.requests === 16_000);
  const growth = fittedGrowth(rows);
  const work = rows.map((r) => r.work / r.requests);
  const workGrowth = Math.max(...work) / Math.min(...work);
  return [
    { target: `work per request the same at every size within 1.1× (${work.map((w) => w.toFixed(2)).join(', ')}: ${workGrowth.toFixed(3)}×)`, holds: workGrowth <= 1.1 },
    { target: `CPU per request grows at most 2× from 1k to 64k (fitted growth ${growth.toFixed(2)}×)`, holds: growth <= 2 },
    ...(at16k ? [{ target: 'under 1 ms per request at 16k', holds: at16k.cpuPerRequestMs < 1 }] : []),
    { target: 'every request answered', holds: rows.every((r) => r.answered === r.requests) },
  ];
}

/** Rounds of every size, interleaved, so a slow spell of the machine lands on all sizes alike, not on one. */
const ROUNDS = 3;

export async function main(sizes: readonly number[] = SCALE_SIZES): Promise<boolean> {
  console.log(`Core at scale: N requests wait through a ${OVERLOAD_MS / 1000} s overload (one client, virtual time)\n`);
  console.log('  requests   CPU total   CPU/request   virtual s   answered   demand notifications   work/request');
  // A warm-up run so the JIT's compiling is not billed to the first size.
  await runScale(4_000);
  // Each round runs every size once, small sizes repeated to about 16k requests (a 1k run lasts ~0.1 s, short enough
  // for a neighbour on the machine to double it); the median of a size's runs over all rounds is kept. Measured
  // before the rounds (one pass, sizes in order, 64k once): the same code gave 1.15× one run and 1.64× the next in CI.
  const runs = new Map<number, ScaleRow[]>(sizes.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of sizes) {
      for (let i = 0; i < Math.max(1, Math.round(16_000 / n)); i++) runs.get(n)!.push(await runScale(n));
    }
  }
  const rows: ScaleRow[] = [];
  for (const n of sizes) {
    const all = runs.get(n)!.sort((a, b) => a.cpuMs - b.cpuMs);
    const row = all[Math.floor((all.length - 1) / 2)]!;
    rows.push(row);
    console.log(
      `  ${String(n).padStart(8)}   ${row.cpuMs.toFixed(0).padStart(7)} ms   ${row.cpuPerRequestMs.toFixed(3).padStart(8)} ms`
        + `   ${row.virtualSeconds.toFixed(0).padStart(9)}   ${String(row.answered).padStart(8)}   ${String(row.demandNotifications).padStart(20)}`
        + `   ${(row.work / row.requests).toFixed(2).padStart(12)}   (median of ${all.length} runs)`,
    );
  }
  console.log('\nTargets:');
  const targets = checkScale(rows);
  for (const t of targets) console.log(`  ${t.holds ? 'holds ' : 'MISSES'}  ${t.target}`);
  return targets.every((t) => t.holds);
}
