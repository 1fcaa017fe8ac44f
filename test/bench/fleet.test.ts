import { describe, expect, it } from 'vitest';
import { runBench } from '../../bench/bench.js';
import { createScenario } from '../../bench/scenario.js';

// Four instances of one backend against a 20-slot Claude that loses most of its slots, small enough to run fast
// (a few seconds of virtual-time simulation; the timeout leaves room for a loaded CI machine, not for slowness).
const tiny = (seed: number) =>
  createScenario('fleet', { seed, capacity: 20, apps: 4, ratePerSec: 1.5, arrivalMinutes: 3, dropMinutes: 1, dropDepth: 0.85 });

describe('the fleet scenario of the benchmark', () => {
  it('plays the kit with one line shared by the fleet and with a line per instance', async () => {
    const { report } = await runBench(tiny(5));
    const names = report.strategies.map((s) => s.name);
    expect(names).toContain('claude-overload-kit (shared store)');
    expect(names).toContain('claude-overload-kit (store per instance)');
  }, 30_000);

  it('sends Claude fewer refused calls with one shared line than with a line per instance', async () => {
    const { report } = await runBench(tiny(11));
    const row = (name: string) => report.strategies.find((s) => s.name === name)!;
    expect(row('claude-overload-kit (shared store)').rejected).toBeLessThan(row('claude-overload-kit (store per instance)').rejected);
    expect(row('claude-overload-kit (shared store)').successRate).toBe(1);
  }, 30_000);
});
