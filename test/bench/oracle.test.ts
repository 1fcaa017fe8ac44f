import { describe, expect, it } from 'vitest';
import type { SimulatedClaude } from '../../bench/claude.js';
import { fairShareOracle } from '../../bench/oracle.js';
import { checkTargets, type BenchReport } from '../../bench/report.js';
import { createScenario } from '../../bench/scenario.js';
import { createVirtualClock, type VirtualClock } from '../../bench/virtual-clock.js';

/** A Claude that takes every call (the oracle's share is the only bound) and records when each one was on the wire. */
function recordingClaude(clock: VirtualClock) {
  const calls: Array<{ start: number; end?: number }> = [];
  let inFlight = 0;
  let most = 0;
  const claude: SimulatedClaude = {
    send(_signal, serviceMs) {
      const call: { start: number; end?: number } = { start: clock.now() };
      calls.push(call);
      most = Math.max(most, ++inFlight);
      return new Promise((resolve) => clock.setTimeout(() => {
        inFlight -= 1;
        call.end = clock.now();
        resolve();
      }, serviceMs));
    },
    admit: () => Promise.reject(new Error('not the ideal')),
    attempts: 0,
    rejected: 0,
    perBucket: [],
  };
  return { claude, calls, most: () => most };
}

// Two apps on 6 slots: each app's fair share is 3 calls before the drop, and half of the one slot left during it.
const scenario = createScenario('backends', { apps: 2, capacity: 6, dropDepth: 0.85 });

describe('the fair-share oracle of the benchmark', () => {
  it('keeps no more calls in flight than its share of the slots', async () => {
    const clock = createVirtualClock(1);
    const { claude, most } = recordingClaude(clock);
    const answer = fairShareOracle(1).setup(clock, claude, { scenario, browserRequests: 0 });
    const done = Array.from({ length: 10 }, () => answer(0, 6000, new AbortController().signal));
    await clock.run();
    await Promise.all(done);
    expect(most()).toBe(3);
  });

  it('below one call, paces: after each call it waits the typical call × (1 / share − 1)', async () => {
    const clock = createVirtualClock(1, scenario.timeline.dropStartMs + 1000);
    const { claude, calls } = recordingClaude(clock);
    const answer = fairShareOracle(1).setup(clock, claude, { scenario, browserRequests: 0 });
    const done = Array.from({ length: 3 }, () => answer(0, 6000, new AbortController().signal));
    await clock.run();
    await Promise.all(done);
    expect(calls).toHaveLength(3);
    // Typical 6 s (the scenario's median, then the calls' own 6 s) at a share of 0.5: 6 × (1/0.5 − 1) = 6 s.
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.start - calls[i - 1]!.end!).toBe(6000);
  });

  it('lets a person who gives up leave its line at once', async () => {
    const clock = createVirtualClock(1, scenario.timeline.dropStartMs + 1000);
    const { claude } = recordingClaude(clock);
    const answer = fairShareOracle(1).setup(clock, claude, { scenario, browserRequests: 0 });
    void answer(0, 6000, new AbortController().signal);
    const patience = new AbortController();
    const waiting = answer(0, 6000, patience.signal);
    clock.setTimeout(() => patience.abort(), 2000);
    const outcome = waiting.then(() => 'answered', () => clock.now());
    await clock.run(scenario.timeline.dropStartMs + 3000);
    expect(await outcome).toBe(scenario.timeline.dropStartMs + 3000);
  });

  it('is never taken for a peer: the exogenous target still compares with the best real client', () => {
    const row = (name: string, p95Ms: number) => ({
      name, successRate: 1, amplification: 1, rejected: 0, p50Ms: p95Ms, p95Ms, p99Ms: p95Ms,
    });
    const report: BenchReport = {
      scenario: 'exogenous', ideal: { p50Ms: 1, p95Ms: 1, p99Ms: 1 },
      strategies: [row('immediate-retry', 16_000), row('claude-overload-kit', 19_000), row('oracle: knows', 1_000)],
    };
    const target = checkTargets(report).find((t) => t.target.startsWith('p95'))!;
    expect(target.holds).toBe(true);
    expect(target.figures).toContain('immediate-retry');
  });
});
