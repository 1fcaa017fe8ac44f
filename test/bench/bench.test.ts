import { describe, expect, it } from 'vitest';
import { runBench } from '../../bench/bench.js';
import { createScenario } from '../../bench/scenario.js';

// A few dozen requests against a six-slot Claude that loses most of its slots: big enough to overload, small
// enough to run in well under a second.
const tiny = (seed: number) =>
  createScenario('backends', { seed, capacity: 6, apps: 3, ratePerSec: 0.5, arrivalMinutes: 2, dropMinutes: 1, dropDepth: 0.85 });

describe('the retry-storm benchmark', () => {
  it('gives the same report and chart for the same seed', async () => {
    const first = await runBench(tiny(42));
    const second = await runBench(tiny(42));
    expect(JSON.stringify(second.report)).toBe(JSON.stringify(first.report));
    expect(second.chart).toBe(first.chart);
    expect(first.report.strategies.map((s) => s.name)).toEqual([
      'immediate-retry', 'tanstack-mutation-default', 'tanstack-query-default', 'tanstack-query-patient',
      'anthropic-sdk-default', 'anthropic-sdk-patient', 'vercel-ai-sdk-default', 'claude-overload-kit',
    ]);
  });

  it('sends Claude fewer attempts per request with the kit than with an immediate retry loop', async () => {
    const { report } = await runBench(tiny(7));
    const rate = (name: string) => report.strategies.find((s) => s.name === name)!;
    expect(rate('immediate-retry').rejected).toBeGreaterThan(0);
    expect(rate('claude-overload-kit').amplification).toBeLessThan(rate('immediate-retry').amplification);
  });

  it('counts a failed request as the whole patience in the percentiles, so giving up early never looks fast', async () => {
    const { report, runs } = await runBench(tiny(7));
    const mutation = report.strategies.find((s) => s.name === 'tanstack-mutation-default')!;
    const run = runs.find((r) => r.name === 'tanstack-mutation-default')!;
    expect(mutation.successRate).toBeLessThan(1);
    expect(run.latencyMs).toHaveLength(run.requests);
    expect(mutation.p99Ms).toBe(10 * 60_000);
  });

  it('reports how many requests the browsers sent to the backend for the kit, and only for the kit', async () => {
    const { report } = await runBench(tiny(7));
    const kit = report.strategies.find((s) => s.name === 'claude-overload-kit')!;
    expect(kit.browserRequestsPerRequest).toBeGreaterThanOrEqual(1);
    expect(report.strategies.find((s) => s.name === 'immediate-retry')!.browserRequestsPerRequest).toBeUndefined();
  });

  it('reports the ideal FIFO scheduler as never refused', async () => {
    const { ideal } = await runBench(tiny(3));
    expect(ideal.rejected).toBe(0);
    expect(ideal.attempts).toBeLessThanOrEqual(ideal.requests);
  });
});
