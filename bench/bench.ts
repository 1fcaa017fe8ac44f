import { renderChart } from './chart.js';
import { KIT, toReport, type BenchReport } from './report.js';
import { createWorkload, type Scenario } from './scenario.js';
import { simulate, type RunResult } from './simulate.js';
import { kitThroughHandler, oneStore, oneStorePerApp, sharedStore, storePerInstance, type KitOptions } from './kit.js';
import { ideal, PEERS, type Strategy } from './strategies.js';
import { aiSdkUseChat, kitAiSdk } from './ai-sdk.js';

/** The kit's rows for a scenario: always the shipped path, browser → handler store → Claude. */
function kitRows(scenario: Scenario, options: KitOptions = {}): Strategy[] {
  if (scenario.name === 'browser-tabs') return [kitThroughHandler(oneStore, options)];
  if (scenario.name !== 'fleet') return [kitThroughHandler(oneStorePerApp, options)];
  // fleet: `apps` instances of one backend behind a load balancer; users land on any of them.
  const name = options.name ?? KIT;
  return [
    kitThroughHandler(sharedStore, { ...options, name: `${name} (shared store)` }),
    kitThroughHandler(storePerInstance, { ...options, name: `${name} (store per instance)` }),
  ];
}

/**
 * The Vercel AI SDK stack (useChat + streamText), at its defaults and with the kit in it (bench/ai-sdk.ts). The kit's
 * row there has the layout of the kit's own row (fleet: the shared store, as the Redis store would share it).
 */
function stackRows(scenario: Scenario): Strategy[] {
  const layout = scenario.name === 'browser-tabs' || scenario.name === 'fleet' ? oneStore : oneStorePerApp;
  const name = `${KIT} (ai-sdk useChat${scenario.name === 'fleet' ? ', shared store' : ''})`;
  return [aiSdkUseChat, kitAiSdk(layout, { name })];
}

export interface BenchOptions {
  /** Also play the AI SDK stack's rows (`npm run bench` does; the world matrix and the tests leave them out). */
  stacks?: boolean;
}

export interface BenchResult {
  report: BenchReport;
  ideal: RunResult;
  runs: RunResult[];
  chart: string;
}

/**
 * Plays one scenario's workload against every strategy, each on its own fresh Claude and clock, one after the
 * other (they share nothing, so the order cannot change a figure). `extra` adds variants of the kit, e.g. tuned
 * options to compare with the defaults; `references` adds bench-side references such as the fair-share oracle.
 */
export async function runBench(scenario: Scenario, extra: readonly KitOptions[] = [],
  references: readonly Strategy[] = [], options: BenchOptions = {}): Promise<BenchResult> {
  const workload = createWorkload(scenario);
  const stacks = options.stacks ? stackRows(scenario) : [];
  const strategies: Strategy[] = [...PEERS, ...kitRows(scenario), ...stacks,
    ...extra.flatMap((kit) => kitRows(scenario, kit)), ...references];
  const runs: RunResult[] = [];
  for (const strategy of strategies) runs.push(await simulate(scenario, workload, strategy));
  const idealRun = await simulate(scenario, workload, ideal);
  const services = workload.flatMap((s) => s.requests.map((r) => r.serviceMs));
  const meanServiceMs = services.reduce((a, b) => a + b, 0) / Math.max(1, services.length);
  const chart = renderChart({
    title: `${scenario.name}: attempts sent to Claude per second (seed ${scenario.seed})`,
    // The stacks' lines would lie on the vercel-ai-sdk-default and kit lines: the chart keeps to the others.
    runs: [...runs.filter((r) => !stacks.some((stack) => stack.name === r.name)), idealRun],
    timeline: scenario.timeline,
    bucketMs: scenario.bucketMs,
    meanServiceMs,
  });
  return { report: toReport(scenario, idealRun, runs), ideal: idealRun, runs, chart };
}
