import { describe, expect, it } from 'vitest';
import { runBench } from '../../bench/bench.js';
import { createScenario, refusalAt } from '../../bench/scenario.js';

const tiny = (seed: number) =>
  createScenario('exogenous', { seed, capacity: 20, apps: 3, ratePerSec: 0.5, arrivalMinutes: 4, dropMinutes: 1 });

describe('the exogenous scenario of the benchmark', () => {
  it('refuses calls more often during the incident, whatever the load, and never lowers the slots', () => {
    const scenario = tiny(1);
    expect(scenario.timeline.dropDepth).toBe(0);
    expect(refusalAt(scenario, 0)).toBeCloseTo(0.02);
    expect(refusalAt(scenario, 2.5 * 60_000)).toBeCloseTo(0.35);
    expect(refusalAt(scenario, 3.5 * 60_000)).toBeCloseTo((0.02 + 0.35) / 2);
  });

  it('turns calls away even when Claude has free slots, so a single try fails for some users', async () => {
    const { report } = await runBench(tiny(4));
    const row = (name: string) => report.strategies.find((s) => s.name === name)!;
    expect(row('tanstack-mutation-default').rejected).toBeGreaterThan(0);
    expect(row('tanstack-mutation-default').successRate).toBeLessThan(1);
  });
});
