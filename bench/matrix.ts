import { runBench } from './bench.js';
import { ORACLE } from './oracle.js';
import { KIT, type BenchReport } from './report.js';
import { formatWorld, type World, type WorldKey } from './scenario.js';
import type { KitOptions } from './strategies.js';

/**
 * The world matrix of issue 26: each key takes these values, one key at a time from the base world (today's unless
 * `--world` says otherwise), not their product: 12 worlds a scenario instead of 288, so the matrix runs in minutes.
 */
export const MATRIX_VALUES: ReadonlyArray<readonly [WorldKey, readonly number[]]> = [
  ['refusalMs', [100, 1000, 2000, 3000]],
  ['returnMs', [0, 100, 500]],
  ['dropSlots', [5, 15, 30, 60]],
  ['serviceMedianS', [6, 20]],
  ['midStream', [0, 0.25, 0.5]],
];

/**
 * The matrix CI runs (`--matrix --ci`, .ci/run): the far end of each key, where a line tuned in today's world breaks
 * first (the 2 s and 3 s refusals were the cliff; 500 ms gaps, the deepest drop, half the overloads mid-stream), and
 * not the 20 s answers, which triple a world's run time and no peer reaches 99 % in. 5 worlds a scenario instead of
 * 12, so it fits in CI's budget (docs/bench-worlds.md has the times).
 */
export const MATRIX_CI_VALUES: ReadonlyArray<readonly [WorldKey, readonly number[]]> = [
  ['refusalMs', [3000]],
  ['returnMs', [500]],
  ['dropSlots', [5]],
  ['midStream', [0.5]],
];

/**
 * The base world first, then every value of the matrix that differs from it, one key changed each (`full` is the base
 * world with every key). A drop to more slots than Claude has (`--capacity` below 60) is left out.
 */
export function matrixWorlds(base: Partial<World>, full: World, slots: number,
  values: ReadonlyArray<readonly [WorldKey, readonly number[]]> = MATRIX_VALUES): Array<Partial<World>> {
  const worlds: Array<Partial<World>> = [base];
  for (const [key, keyValues] of values) {
    for (const value of keyValues) {
      if (value !== full[key] && !(key === 'dropSlots' && value > slots)) worlds.push({ ...base, [key]: value });
    }
  }
  return worlds;
}

export interface WorldTarget {
  row: string;
  target: string;
  holds: boolean;
  figures: string;
  /** A miss with a measured argument (DOCUMENTED_MISSES): why, and the bound the kit still holds there. */
  documented?: string;
}

/** Calls per request the kit may make in any world (issue 26), whatever the peers do. */
export const MAX_CALLS = 1.5;

/**
 * Misses of the calls target with a measured argument (docs/bench-worlds.md, "Documented misses"). Each still holds
 * the kit to a bound of its own (`maxCalls`), so `--strict` fails when the kit gets worse than the argument allows;
 * the target itself is not loosened, and the matrix prints these as "documented", not "holds".
 */
export interface DocumentedMiss {
  scenario: string;
  /** The worlds it covers; every world when absent. */
  worlds?: (world: Partial<World>) => boolean;
  /** The bound the argument leaves: calls per request at most this, in that world's report. */
  maxCalls(report: BenchReport): number;
  why: string;
}

const peersOf = (report: BenchReport) => report.strategies.filter((r) => !r.name.startsWith(KIT) && !r.name.startsWith(ORACLE));

/** Calls per request the probes of 30 independent lines leave at most: one refused call per request. */
export const PROBING_LINES_MAX_CALLS = 2;

export const DOCUMENTED_MISSES: readonly DocumentedMiss[] = [
  {
    scenario: 'backends',
    // Today's world, the gaps and the smaller drops hold since excused resends are judged by what they get (1.46 calls
    // today, seed 1): the argument covers the worlds that still miss or sit at the edge (seed 1: refusalMs 1000 1.50,
    // 2000 1.50, dropSlots=5 1.64, serviceMedianS=20 1.51, midStream=0.5 1.53).
    worlds: (world) => (world.refusalMs ?? 0) >= 1000 || (world.dropSlots ?? Infinity) <= 5
      || (world.serviceMedianS ?? 0) >= 20 || (world.midStream ?? 0) >= 0.5,
    maxCalls: () => PROBING_LINES_MAX_CALLS,
    why: '30 independent lines: to each, the first 30-60 s of the drop look like an outage (Claude takes none of its calls), probed every 2 s at most so a person is answered within about 2 s of Claude\'s return; a smaller room paces to half a call (partialFloor), slot holders too (partialCutLevel); late refusals, a deeper drop, longer answers or broken streams add refusals a line cannot tell from its own (docs/bench-worlds.md)',
  },
  {
    scenario: 'exogenous',
    worlds: (world) => world.dropSlots !== undefined && world.dropSlots < 60,
    maxCalls: () => PROBING_LINES_MAX_CALLS,
    why: 'a drop added to 30 independent lines: each probes every maxClosedMs (2 s), as in backends',
  },
  {
    scenario: 'exogenous',
    worlds: (world) => world.dropSlots === undefined || world.dropSlots >= 60,
    // Refusals at random, whatever the load: answering everyone costs 1 / (1 − refusal rate) calls whoever asks (to
    // the 0.01 the matrix prints: the peers that answer everyone spread over 1.208–1.210 in today's world).
    maxCalls: (report) => Math.ceil(100 * Math.min(...peersOf(report).filter((r) => r.successRate === 1).map((r) => r.amplification))) / 100,
    why: 'random refusals: answering every request costs what every peer answering them all pays; the fewer calls of a peer come from giving up on some',
  },
];

function documentedMiss(report: BenchReport, world: Partial<World>): DocumentedMiss | undefined {
  return DOCUMENTED_MISSES.find((d) => d.scenario === report.scenario && (d.worlds?.(world) ?? true));
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * Issue 26's targets in one world, for each of our rows: calls per request ≤ the fewest of any peer reaching 99 %
 * success and ≤ 1.5; success 100 % where any peer reaches 100 %.
 */
export function worldTargets(report: BenchReport, world: Partial<World> = {}): WorldTarget[] {
  const peers = peersOf(report);
  const known = documentedMiss(report, world);
  const fewest = peers.filter((r) => r.successRate >= 0.99).sort((a, b) => a.amplification - b.amplification)[0];
  const bound = Math.min(MAX_CALLS, fewest?.amplification ?? Infinity);
  const perfect = peers.find((r) => r.successRate === 1);
  return report.strategies.filter((r) => r.name.startsWith(KIT)).flatMap((row): WorldTarget[] => [
    {
      row: row.name,
      target: `calls ≤ fewest of a peer at ≥ 99 % and ≤ ${MAX_CALLS}`,
      holds: row.amplification <= bound,
      figures: `${row.amplification.toFixed(2)} vs ${bound.toFixed(2)}`
        + (fewest ? ` (${fewest.name} ${fewest.amplification.toFixed(2)})` : ' (no peer at 99 %)'),
      ...(known && row.amplification > bound && row.amplification <= known.maxCalls(report)
        && { documented: `${known.why} (within ${known.maxCalls(report).toFixed(2)})` }),
    },
    {
      row: row.name,
      target: 'success 100 % where a peer reaches it',
      holds: perfect === undefined || row.successRate === 1,
      figures: `${percent(row.successRate)}` + (perfect ? ` (${perfect.name} 100 %)` : ' (no peer at 100 %)'),
    },
  ]);
}

export interface MatrixEntry {
  world: Partial<World>;
  report: BenchReport;
  targets: WorldTarget[];
  events: number;
}

/** Plays one scenario in every world, one after the other. */
export async function runWorlds(worlds: ReadonlyArray<Partial<World>>,
  scenarioOf: (world: Partial<World>) => Parameters<typeof runBench>[0], extra: readonly KitOptions[] = [],
  references: Parameters<typeof runBench>[2] = []): Promise<MatrixEntry[]> {
  const entries: MatrixEntry[] = [];
  for (const world of worlds) {
    const result = await runBench(scenarioOf(world), extra, references);
    const events = [...result.runs, result.ideal].reduce((n, r) => n + r.events, 0);
    entries.push({ world, report: result.report, targets: worldTargets(result.report, world), events });
  }
  return entries;
}

/** A miss `--strict` fails on: not held, and not a documented miss within its bound. */
export const isMiss = (t: WorldTarget) => !t.holds && t.documented === undefined;
const verdict = (t: WorldTarget) => (t.holds ? 'holds' : t.documented ? 'documented' : 'MISSES');

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const worldName = (world: Partial<World>) => (Object.keys(world).length === 0 ? 'today' : formatWorld(world));

function table(header: string[], rows: string[][], left: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i] ?? 0)
    : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** One scenario's matrix: every world and strategy, then our targets in each world. */
export function formatMatrix(scenario: string, entries: readonly MatrixEntry[]): string {
  const rows: string[][] = [];
  for (const { world, report } of entries) {
    const name = worldName(world);
    report.strategies.forEach((r, i) => rows.push([i === 0 ? name : '', r.name, percent(r.successRate),
      r.amplification.toFixed(2), seconds(r.p95Ms), seconds(r.p99Ms)]));
    rows.push(['', 'ideal (fair FIFO)', '', '', seconds(report.ideal.p95Ms), seconds(report.ideal.p99Ms)]);
  }
  const targets: string[][] = entries.flatMap(({ world, targets: list }) => list.map((t, i) =>
    [i === 0 ? worldName(world) : '', t.row, t.target, verdict(t), t.figures + (t.documented ? `; documented: ${t.documented}` : '')]));
  return [
    `${scenario}: world matrix (one key changed from the base world at a time; calls = calls reaching Claude per `
      + 'request; percentiles over all requests, a failure counted as the patience limit)',
    '',
    ...table(['world', 'strategy', 'success', 'calls', 'p95', 'p99'], rows, new Set([0, 1])),
    '',
    `${scenario}: targets for ${KIT} in each world`,
    '',
    ...table(['world', 'row', 'target', 'verdict', 'figures'], targets, new Set([0, 1, 2, 3, 4])),
  ].join('\n');
}
