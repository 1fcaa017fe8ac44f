import { renderChart } from './chart.js';
import { toReport, type BenchReport } from './report.js';
import { createWorkload, type Scenario } from './scenario.js';
import { simulate, type RunResult } from './simulate.js';
import { claudeOverloadKit, ideal, PEERS, sharedGateKit, type KitOptions, type Strategy } from './strategies.js';

export interface BenchResult {
  report: BenchReport;
  ideal: RunResult;
  runs: RunResult[];
  chart: string;
}

/**
 * Plays one scenario's workload against every strategy, each on its own fresh Claude and clock, one after the
 * other (they share nothing, so the order cannot change a figure). `extra` adds variants of the kit, e.g. tuned
 * options to compare with the defaults.
 */
export async function runBench(scenario: Scenario, extra: readonly KitOptions[] = []): Promise<BenchResult> {
  const workload = createWorkload(scenario);
  // fleet: the kit with a gate per instance (the memory store) against one gate for all (the Redis store).
  const fleet = scenario.name === 'fleet' ? [sharedGateKit(scenario.apps)] : [];
  const strategies: Strategy[] = [...PEERS, claudeOverloadKit(), ...fleet, ...extra.map(claudeOverloadKit)];
  const runs: RunResult[] = [];
  for (const strategy of strategies) runs.push(await simulate(scenario, workload, strategy));
  const idealRun = await simulate(scenario, workload, ideal);
  const services = workload.flatMap((s) => s.requests.map((r) => r.serviceMs));
  const meanServiceMs = services.reduce((a, b) => a + b, 0) / Math.max(1, services.length);
  const chart = renderChart({
    title: `${scenario.name}: attempts sent to Claude per second (seed ${scenario.seed})`,
    runs: [...runs, idealRun],
    timeline: scenario.timeline,
    bucketMs: scenario.bucketMs,
    meanServiceMs,
  });
  return { report: toReport(scenario, idealRun, runs), ideal: idealRun, runs, chart };
}
