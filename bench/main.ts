import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBench } from './bench.js';
import { fairShareOracle } from './oracle.js';
import { checkTargets, formatTable, KIT } from './report.js';
import { formatMatrix, matrixWorlds, runWorlds } from './matrix.js';
import {
  ALL_SCENARIOS, createScenario, parseWorld, SCENARIOS, worldOf, WorldError, type Scenario, type ScenarioName,
  type ScenarioOverrides, type World,
} from './scenario.js';
import type { KitOptions } from './strategies.js';

const USAGE = `npm run bench -- [options]
  --scenario NAME       backends | browser-tabs | fleet | exogenous (default: all four) | scale | failover | burst
                        (burst: 20 streamText calls at once through the kit's AI SDK stack, per line setting)
  --json                one JSON object per scenario instead of the table
  --capacity N          Claude's concurrent slots (default 100)
  --apps N              backends, tabs or fleet instances (default 30 / 1000 / 8)
  --rate R              requests per second, all apps together (default 6 / 5)
  --drop-depth D        share of the slots lost during the drop (default 0.85)
  --drop-minutes M      length of the drop (default 3)
  --retry-after MS      the variant where every 529 carries retry-after
  --seed N              (default 1)
  --kit JSON            also run the kit with these options (repeatable), e.g.
                        '{"name":"gate 5 s","gate":{"minClosedMs":5000},"policy":{"kinds":{"overloaded":{"baseMs":2000}}}}'
  --no-chart            do not write docs/bench-<scenario>.svg (written only for the reference run: seed 1, no
                        other option; --chart writes it whatever the options, for a chart of your own)
  --chart               write the chart even for a run with options
  --oracle F            also run a bench-side oracle (repeatable): each app's own line KNOWS its fair share of
                        Claude at every instant (F × capacity / apps) and paces to it; no real app can know it
  --world K=V,…         another world (docs/bench-worlds.md): refusalMs (time until a 529 arrives, ms; 100),
                        returnMs (a line's call ending to its next call leaving, ms; 0), serviceMedianS (6),
                        serviceSigma (0.6), dropSlots (slots left during the drop; 15), patienceS (600),
                        midStream (share of overloads that arrive as a 200 whose stream breaks; 0),
                        firstBytesMs (when such a break arrives, ms; 1000)
  --matrix              every scenario (or --scenario) in every world of the matrix, one key changed at a time,
                        with the kit's targets in each world
  --strict              with --matrix: exit 1 when a target misses`;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' }, json: { type: 'boolean' }, capacity: { type: 'string' }, apps: { type: 'string' },
    rate: { type: 'string' }, 'drop-depth': { type: 'string' }, 'drop-minutes': { type: 'string' },
    'retry-after': { type: 'string' }, seed: { type: 'string' }, kit: { type: 'string', multiple: true },
    'no-chart': { type: 'boolean' }, chart: { type: 'boolean' }, help: { type: 'boolean' },
    oracle: { type: 'string', multiple: true }, world: { type: 'string' }, matrix: { type: 'boolean' },
    strict: { type: 'boolean' },
  },
});

function number(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} wants a number, got "${raw}"`);
  return value;
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
// The core's own scale benchmark (bench/scale.ts): CPU per request of the shipped client at 1k to 64k requests.
if (values.scenario === 'scale') process.exit((await (await import('./scale.js')).main()) ? 0 : 1);
if (values.scenario === 'failover') process.exit((await (await import('./failover.js')).main()) ? 0 : 1);
if (values.scenario === 'burst') process.exit((await (await import('./burst.js')).main([number('seed', values.seed) ?? 1])) ? 0 : 1);
const names = values.scenario === undefined ? SCENARIOS : [values.scenario as ScenarioName];
if (!names.every((n) => ALL_SCENARIOS.includes(n))) {
  console.error(`Unknown scenario "${values.scenario}".\n\n${USAGE}`);
  process.exit(2);
}
// Variants keep our name as a prefix so the targets and notes treat them as ours, never as a peer.
const extra = (values.kit ?? []).map((json, i): KitOptions => {
  const options = JSON.parse(json) as KitOptions;
  return { ...options, name: `${KIT} (${options.name ?? `#${i + 1}`})` };
});

// The committed charts (docs/, shown in the README) are the reference run's: an experiment must not replace them.
const oracles = (values.oracle ?? []).map((raw) => fairShareOracle(number('oracle', raw) ?? 1));

let world: Partial<World> | undefined;
try {
  world = values.world === undefined ? undefined : parseWorld(values.world);
} catch (error) {
  if (!(error instanceof WorldError)) throw error;
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}

const reference = world === undefined && !values.matrix && extra.length === 0 && oracles.length === 0 && (values.seed === undefined || Number(values.seed) === 1)
  && [values.capacity, values.apps, values.rate, values['drop-depth'], values['drop-minutes'], values['retry-after']]
    .every((v) => v === undefined);
const writeChart = values.chart === true || (reference && !values['no-chart']);

const started = performance.now();
const overrides: ScenarioOverrides = {
  capacity: number('capacity', values.capacity), apps: number('apps', values.apps),
  ratePerSec: number('rate', values.rate), dropDepth: number('drop-depth', values['drop-depth']),
  dropMinutes: number('drop-minutes', values['drop-minutes']), seed: number('seed', values.seed),
  retryAfterMs: number('retry-after', values['retry-after']),
};
/** The scenario in a world; a world that does not fit it (dropSlots above its slots) is a usage error. */
function scenarioIn(name: ScenarioName, inWorld: Partial<World> | undefined): Scenario {
  try {
    return createScenario(name, { ...overrides, world: inWorld });
  } catch (error) {
    if (!(error instanceof WorldError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

if (values.matrix) {
  let misses = 0;
  for (const name of names) {
    const base = world ?? {};
    const t0 = performance.now();
    const baseScenario = scenarioIn(name, base);
    const entries = await runWorlds(matrixWorlds(base, worldOf(baseScenario), baseScenario.timeline.slots),
      (w) => scenarioIn(name, w), extra, oracles);
    misses += entries.reduce((n, e) => n + e.targets.filter((t) => !t.holds).length, 0);
    if (values.json) {
      for (const e of entries) console.log(JSON.stringify({ scenario: name, world: e.world, report: e.report, targets: e.targets }));
      continue;
    }
    const events = entries.reduce((n, e) => n + e.events, 0);
    console.log(`${formatMatrix(name, entries)}\n\n(${entries.length} worlds, ${events.toLocaleString('en')} virtual-time `
      + `events in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  if (!values.json) {
    console.log(`${misses === 0 ? 'Every target holds' : `${misses} target(s) missed`} in the world matrix. `
      + `Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  }
  process.exit(values.strict && misses > 0 ? 1 : 0);
}

for (const name of names) {
  const scenario = scenarioIn(name, world);
  const t0 = performance.now();
  const result = await runBench(scenario, extra, oracles, { stacks: true });
  if (writeChart) {
    mkdirSync('docs', { recursive: true });
    writeFileSync(`docs/bench-${name}.svg`, result.chart);
  }
  if (values.json) {
    console.log(JSON.stringify(result.report));
    continue;
  }
  console.log(formatTable(result.report, scenario, result.ideal));
  console.log('\nTargets for claude-overload-kit:');
  for (const t of checkTargets(result.report)) console.log(`  ${t.holds ? 'holds' : 'MISSES'}  ${t.target}: ${t.figures}`);
  const events = [...result.runs, result.ideal].reduce((n, r) => n + r.events, 0);
  console.log(`\n(${events.toLocaleString('en')} virtual-time events in ${((performance.now() - t0) / 1000).toFixed(1)} s`
    + `${writeChart ? `; chart: docs/bench-${name}.svg` : ''})\n`);
}
if (!values.json) console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
