import { describe, expect, it } from 'vitest';
import { runBench } from '../../bench/bench.js';
import { createScenario } from '../../bench/scenario.js';

// Four instances of one backend against a six-slot Claude that loses most of its slots, small enough to run fast.
const tiny = (seed: number) =>
  createScenario('fleet', { seed, capacity: 6, apps: 4, ratePerSec: 0.5, arrivalMinutes: 2, dropMinutes: 1, dropDepth: 0.85 });

describe('the fleet scenario of the benchmark', () => {
  it('plays the kit with a gate per instance and with one gate shared by the fleet', async () => {
    const { report } = await runBench(tiny(5));
    const names = report.strategies.map((s) => s.name);
    expect(names).toContain('claude-overload-kit (store per instance)');
    expect(names).toContain('claude-overload-kit (shared gate, stand-in)');
  });

  it('sends Claude no more refused attempts with a shared gate than with a gate per instance', async () => {
    const { report } = await runBench(tiny(11));
    const row = (name: string) => report.strategies.find((s) => s.name === name)!;
    expect(row('claude-overload-kit (shared gate, stand-in)').rejected).toBeLessThanOrEqual(row('claude-overload-kit (store per instance)').rejected);
    expect(row('claude-overload-kit (shared gate, stand-in)').successRate).toBe(1);
  });
});
