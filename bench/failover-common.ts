/** What the failover and priority runs share, in the browser and through the handler: Claude per model, arrivals. */
import { createSimulatedClaude, type SimulatedClaude } from './claude.js';
import type { VirtualClock } from './virtual-clock.js';

/** A request not answered within this long has failed (it is cancelled then). */
export const PATIENCE_MS = 120_000;
export const RTT_MS = 150;

export interface Model {
  claude: SimulatedClaude;
  serviceMs: number;
}

/** One model: `slots`, of which `share` are free for the whole run, answering in `serviceMs`. */
export function model(clock: VirtualClock, slots: number, share: number, serviceMs: number, runMs: number): Model {
  const claude = createSimulatedClaude(clock, {
    timeline: { slots, dropDepth: 1 - share, dropStartMs: 0, dropMs: runMs + 2 * PATIENCE_MS, rampMs: 1 },
    rttMs: RTT_MS,
    bucketMs: 10_000,
  });
  return { claude, serviceMs };
}

export interface Sample { ms: number; ok: boolean; model?: string }

export function percentile(samples: Sample[], p: number): number {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Poisson arrivals of one kind of request; each resolves to its latency (a failure counts as the patience limit). */
export function arrivals(clock: VirtualClock, ratePerSec: number, runMs: number, send: (signal: AbortSignal) => Promise<string | undefined>): Sample[] {
  const samples: Sample[] = [];
  let at = 0;
  for (;;) {
    at += (-Math.log(1 - clock.random()) / ratePerSec) * 1000;
    if (at >= runMs) break;
    clock.setTimeout(() => {
      const start = clock.now();
      const patience = new AbortController();
      const timer = clock.setTimeout(() => patience.abort(), PATIENCE_MS);
      send(patience.signal).then(
        (answeredBy) => samples.push({ ms: clock.now() - start, ok: true, model: answeredBy }),
        () => samples.push({ ms: PATIENCE_MS, ok: false }),
      ).finally(() => clock.clearTimeout(timer));
    }, at);
  }
  return samples;
}
