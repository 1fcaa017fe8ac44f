/**
 * `npm run bench -- --scenario burst`: issue 28's case in the bench's model. Twenty `streamText` calls start together
 * through the kit's AI SDK stack (bench/ai-sdk.ts: `createClaudeFetch`, its handler's line, `maxRetries: 0`) against a
 * Claude that refuses every call for 5 s or 40 s (a 529 a round trip later), then has room for all; and the same
 * twenty on a healthy Claude. For each line setting: calls to Claude per request in each outage, and how soon Claude
 * takes each call on a healthy Claude (its first token: the answer starts). The line's first burst is what decides
 * the first figure (a line that lets all twenty go meets twenty refusals, then sends all twenty again: 2.0 at least),
 * and holding it back is what the second one pays.
 */
import { createSimulatedClaude } from './claude.js';
import { aiSdkUseChat, kitAiSdk, type KitAiSdkOptions } from './ai-sdk.js';
import { oneStore } from './kit.js';
import { createScenario } from './scenario.js';
import type { RunContext, Strategy } from './strategies.js';
import { createRandom, createVirtualClock } from './virtual-clock.js';

const CALLS = 20;
const PATIENCE_MS = 10 * 60_000;

export interface BurstFigures {
  answered: number;
  callsPerRequest: number;
  /** When Claude took the last call (its answer starts), from the start; null when one was never taken. */
  lastTakenMs: number | null;
  /** Mean time until Claude took a call. */
  meanTakenMs: number | null;
}

/** Twenty calls at once, Claude refusing every call for `outageMs` (0: healthy); service times from `seed`. */
export async function burst(strategy: Strategy, outageMs: number, seed = 1): Promise<BurstFigures> {
  const scenario = createScenario('backends', { seed, apps: 1 });
  const clock = createVirtualClock(seed + 7919);
  const claude = createSimulatedClaude(clock, {
    // No drop: Claude has room for every call once it stops refusing.
    timeline: { slots: 100, dropDepth: 0, dropStartMs: 3_600_000, dropMs: 60_000, rampMs: 60_000 },
    rttMs: scenario.refusalMs,
    bucketMs: 5_000,
    refusalAt: outageMs > 0 ? (ms) => (ms < outageMs ? 1 : 0) : undefined,
  });
  const run: RunContext = { scenario, browserRequests: 0 };
  const answer = strategy.setup(clock, claude, run);
  const random = createRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const taken: number[] = [];
  let answered = 0;
  for (let i = 0; i < CALLS; i++) {
    const serviceMs = Math.min(scenario.serviceMaxMs, Math.round(scenario.serviceMedianMs * Math.exp(scenario.serviceSigma * normal())));
    const patience = new AbortController();
    const timer = clock.setTimeout(() => patience.abort(), PATIENCE_MS);
    void answer(0, serviceMs, patience.signal).then(() => {
      answered += 1;
      // A call that Claude takes is served at once for its whole service time (no return delay in this world).
      taken.push(clock.now() - serviceMs);
    }, () => {}).finally(() => clock.clearTimeout(timer));
  }
  await clock.run();
  return {
    answered,
    callsPerRequest: claude.attempts / CALLS,
    lastTakenMs: answered === CALLS ? Math.max(...taken) : null,
    meanTakenMs: taken.length === 0 ? null : taken.reduce((a, b) => a + b, 0) / taken.length,
  };
}

/** The line settings tried: the defaults, then a held-back first burst, then a shorter accept grace with it. */
export const BURST_SETTINGS: ReadonlyArray<{ label: string; options: KitAiSdkOptions }> = [
  { label: 'defaults (line starts at 32)', options: {} },
  ...[16, 10, 8, 6, 4, 2].map((initial) => ({ label: `line.limit.initial ${initial}`, options: { line: { limit: { initial } } } })),
  ...[[10, 300], [8, 300], [6, 300], [8, 150]].map(([initial, acceptAfterMs]) => ({
    label: `line.limit.initial ${initial}, acceptAfterMs ${acceptAfterMs}`,
    options: { line: { limit: { initial }, acceptAfterMs } },
  })),
];

const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

export async function main(seeds: readonly number[] = [1]): Promise<boolean> {
  const rows: string[][] = [];
  const ways: Array<{ label: string; strategy: Strategy }> = [
    { label: 'ai-sdk-usechat (the AI SDK alone)', strategy: aiSdkUseChat },
    ...BURST_SETTINGS.map(({ label, options }) => ({ label: `kit: ${label}`, strategy: kitAiSdk(oneStore, options) })),
  ];
  for (const { label, strategy } of ways) {
    for (const seed of seeds) {
      const [five, forty, healthy] = [await burst(strategy, 5_000, seed), await burst(strategy, 40_000, seed), await burst(strategy, 0, seed)];
      rows.push([label, String(seed), `${five.answered}/${CALLS}`, five.callsPerRequest.toFixed(2), s(five.lastTakenMs),
        `${forty.answered}/${CALLS}`, forty.callsPerRequest.toFixed(2), s(forty.lastTakenMs), s(healthy.meanTakenMs),
        s(healthy.lastTakenMs)]);
    }
  }
  const header = ['way', 'seed', '5 s: answered', 'calls/req', 'last taken', '40 s: answered', 'calls/req', 'last taken',
    'healthy: mean taken', 'last taken'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`burst: ${CALLS} streamText calls started together; Claude refuses every call for 5 s or 40 s, then has room `
    + 'for all; or is healthy. "taken" = when Claude took the call (its answer starts), from the start.\n');
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
  return true;
}
