import { formatWorld, type Scenario } from './scenario.js';
import { percentile, type RunResult } from './simulate.js';
import { ORACLE } from './oracle.js';

export const KIT = 'claude-overload-kit';

export interface StrategyRow {
  name: string;
  successRate: number;
  amplification: number;
  rejected: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Kit rows through the handler: requests the browsers sent to the backend, per user request. */
  browserRequestsPerRequest?: number;
  /**
   * Recovery lag (bench/recovery.ts): from Claude's first slot back after the drop until every request then waiting
   * (turned away, unanswered) had been sent again; its p95; and how many were waiting. Null when none was.
   */
  recoveryLagMs?: number | null;
  recoveryLagP95Ms?: number | null;
  recoveryWaiting?: number;
}

export interface BenchReport {
  scenario: string;
  ideal: { p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  strategies: StrategyRow[];
}

// Users arrive at fractional virtual milliseconds; nobody needs the fraction in a report.
const wholeMs = (ms: number | null) => (ms === null ? null : Math.round(ms));
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function toRow(run: RunResult): StrategyRow {
  return {
    name: run.name,
    successRate: round(run.requests === 0 ? 0 : run.succeeded / run.requests, 4),
    amplification: round(run.requests === 0 ? 0 : run.attempts / run.requests, 3),
    rejected: run.rejected,
    p50Ms: wholeMs(percentile(run.latencyMs, 50)),
    p95Ms: wholeMs(percentile(run.latencyMs, 95)),
    p99Ms: wholeMs(percentile(run.latencyMs, 99)),
    ...(run.browserRequests === undefined ? {}
      : { browserRequestsPerRequest: round(run.requests === 0 ? 0 : run.browserRequests / run.requests, 3) }),
    recoveryLagMs: wholeMs(percentile(run.recovery.lagMs, 100)),
    recoveryLagP95Ms: wholeMs(percentile(run.recovery.lagMs, 95)),
    recoveryWaiting: run.recovery.waiting,
  };
}

export function toReport(scenario: Scenario, ideal: RunResult, runs: readonly RunResult[]): BenchReport {
  const { p50Ms, p95Ms, p99Ms } = toRow(ideal);
  return { scenario: scenario.name, ideal: { p50Ms, p95Ms, p99Ms }, strategies: runs.map(toRow) };
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
/** The recovery lag with the number of requests it covers: `17.5 s (46)`, or `—` when none was waiting. */
const recovery = (row: StrategyRow) => (row.recoveryWaiting ? `${seconds(row.recoveryLagMs ?? null)} (${row.recoveryWaiting})` : '—');

/** Where a peer beats ours, and whether it only does by answering fewer requests. */
function note(row: StrategyRow, kit: StrategyRow | undefined): string {
  if (!kit || row.name === kit.name) return '';
  const better: string[] = [];
  if (row.amplification < kit.amplification) better.push('amplification');
  if (row.rejected < kit.rejected) better.push('529s');
  for (const key of ['p50Ms', 'p95Ms', 'p99Ms'] as const) {
    const mine = row[key];
    const ours = kit[key];
    if (mine !== null && ours !== null && mine < ours) better.push(key.slice(0, 3));
  }
  if (better.length === 0) return '';
  const why = row.successRate < kit.successRate ? ' (by giving up early)' : '';
  return `beats ours on ${better.join(', ')}${why}`;
}

export function formatTable(report: BenchReport, scenario: Scenario, ideal: RunResult): string {
  const kit = report.strategies.find((row) => row.name.startsWith(KIT));
  const header = ['strategy', 'success', 'amplif.', 'to backend', '529s', 'p50', 'p95', 'p99', 'recovery', 'note'];
  const idealRow = toRow(ideal);
  const rows = [
    ...report.strategies.map((r) => [r.name, percent(r.successRate), r.amplification.toFixed(2),
      r.browserRequestsPerRequest === undefined ? '' : r.browserRequestsPerRequest.toFixed(2), String(r.rejected),
      seconds(r.p50Ms), seconds(r.p95Ms), seconds(r.p99Ms), recovery(r), note(r, kit)]),
    ['ideal (fair FIFO)', percent(idealRow.successRate), idealRow.amplification.toFixed(2), '', '0',
      seconds(idealRow.p50Ms), seconds(idealRow.p95Ms), seconds(idealRow.p99Ms), '—', 'a fair FIFO reference, never refused'],
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0)
    : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const t = scenario.timeline;
  const title = `${scenario.name}: ${ideal.requests} requests from ${scenario.apps} apps at ${scenario.ratePerSec}/s; `
    + `Claude ${t.slots} slots, −${Math.round(t.dropDepth * 100)} % for ${t.dropMs / 60_000} min from `
    + `minute ${t.dropStartMs / 60_000}; patience ${scenario.patienceMs / 60_000} min; seed ${scenario.seed}`
    + (scenario.retryAfterMs === undefined ? '' : `; 529s carry retry-after ${scenario.retryAfterMs} ms`)
    + (scenario.world === undefined ? '' : `; world: ${formatWorld(scenario.world)}`)
    + (scenario.exogenous ? `; Claude refuses ${percent(scenario.exogenous.baseRate)} of calls, `
      + `${percent(scenario.exogenous.incidentRate)} during the incident, whatever the load` : '')
    + '\nPercentiles over all requests, a failure counted as the patience limit; amplif. = calls reaching Claude per '
    + 'request; to backend = browser→backend requests per request; recovery = from Claude\'s first slot back until '
    + 'every request it had turned away and not yet answered was sent again (how many were waiting).';
  return [title, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The targets for our defaults, each with its figures. */
export function checkTargets(report: BenchReport): Array<{ target: string; holds: boolean; figures: string }> {
  const kit = report.strategies.find((row) => row.name === KIT || row.name === `${KIT} (shared store)`);
  if (!kit) return [];
  if (report.scenario === 'exogenous') {
    const rivals = report.strategies.filter((r) => !r.name.startsWith(KIT) && !r.name.startsWith(ORACLE) && r.successRate >= 0.99 && r.p95Ms !== null);
    const best = rivals.sort((a, b) => (a.p95Ms ?? 0) - (b.p95Ms ?? 0))[0];
    const limit = best ? (best.p95Ms ?? 0) * 1.25 : Infinity;
    return [
      { target: 'success ≥ 99 %', holds: kit.successRate >= 0.99, figures: percent(kit.successRate) },
      { target: 'p95 ≤ 1.25 × the best peer reaching 99 %', holds: kit.p95Ms !== null && kit.p95Ms <= limit,
        figures: best ? `${seconds(kit.p95Ms)} vs ${seconds(limit)} (${best.name} ${seconds(best.p95Ms)})` : 'no peer reaches 99 %' },
    ];
  }
  const limit = (report.ideal.p95Ms ?? 0) * 1.15;
  return [
    { target: 'success 100 %', holds: kit.successRate === 1, figures: percent(kit.successRate) },
    { target: 'calls to Claude per request ≤ 1.15', holds: kit.amplification <= 1.15, figures: kit.amplification.toFixed(2) },
    { target: 'p95 ≤ 1.15 × ideal p95', holds: kit.p95Ms !== null && kit.p95Ms <= limit,
      figures: `${seconds(kit.p95Ms)} vs ${seconds(limit)} (ideal ${seconds(report.ideal.p95Ms)})` },
  ];
}
