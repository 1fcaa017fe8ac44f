/**
 * Failover and priorities, in virtual time, with the kit's shipped client (gate per model, retryer, fallback chain):
 *  1. One model at 15 % of its capacity for the whole run, its fallback free: latency with and without a chain.
 *  2. A background flood at 3 × capacity meeting interactive requests: interactive latency against its unloaded value.
 * Claude here is bench/claude.ts's model (slots; a 529 one round trip later when none is free). What it leaves out:
 * Anthropic-wide load the app cannot relieve, streams (an answer holds its slot for a fixed service time), the
 * handler's line (the browser gate alone paces here), and network variance.
 * Then both again through the handler's line, for clients with no chain or gate of their own (bench/failover-handler.ts).
 */
import { createClaudeClient } from '../src/core/client.js';
import { DEFAULT_FALLBACK_AFTER_MS, modelFallback, type FallbackOptions } from '../src/features/fallback.js';
import type { RequestPriority } from '../src/core/gate.js';
import { priorityLanes } from '../src/features/lanes.js';
import { arrivals, model, percentile, type Model } from './failover-common.js';
import { createVirtualClock, type VirtualClock } from './virtual-clock.js';
import { handlerFailover, handlerPriority, type HandlerRow } from './failover-handler.js';

export interface FallbackResult { label: string; p50: number; p95: number; success: number; onFallback: number; count: number }

/** Scenario 1: `big` at 15 % of 20 slots (4 s answers), `small` with room to spare (1.5 s answers), 2 requests/s. */
export async function runFallback(fallback: FallbackOptions | undefined, seed = 1, runMs = 300_000): Promise<FallbackResult> {
  const clock = createVirtualClock(seed);
  const models: Record<string, Model> = { big: model(clock, 20, 0.15, 4_000, runMs), small: model(clock, 1_000, 1, 1_500, runMs) };
  const client = createClaudeClient({ clock, fallback: fallback && modelFallback(fallback) });
  const samples = arrivals(clock, 2, runMs, async (signal) => {
    const retryer = client.run((s, _attempt, name) => models[name ?? 'big']!.claude.send(s, models[name ?? 'big']!.serviceMs), { model: 'big', signal });
    await retryer.promise;
    return retryer.getSnapshot().model;
  });
  await clock.run();
  client.dispose();
  const ok = samples.filter((s) => s.ok);
  return {
    label: fallback ? `chain big → small, afterMs ${fallback.afterMs ?? DEFAULT_FALLBACK_AFTER_MS} ms` : 'no chain',
    p50: percentile(samples, 50), p95: percentile(samples, 95), success: ok.length / samples.length,
    onFallback: ok.filter((s) => s.model === 'small').length / Math.max(1, ok.length), count: samples.length,
  };
}

export interface PriorityResult { label: string; p50: number; p95: number; success: number; backgroundDone: number; count: number }

/**
 * Scenario 2: one model with 8 slots and 2 s answers; interactive requests at 1/s (a quarter of capacity); with the
 * flood, background requests at 12/s (3 × capacity: 8 slots / 2 s = 4/s) for the same time.
 */
export async function runPriority(
  flood: boolean, priority: RequestPriority = 'background', maxConcurrency = 8, seed = 2, runMs = 300_000,
): Promise<PriorityResult> {
  const clock = createVirtualClock(seed);
  const one = model(clock, 8, 1, 2_000, runMs);
  const client = createClaudeClient({ clock, gate: { maxConcurrency, lanes: priorityLanes() } });
  const attempt = (s: AbortSignal) => one.claude.send(s, one.serviceMs);
  const people = arrivals(clock, 1, runMs, async (signal) => {
    await client.run(attempt, { signal }).promise;
    return undefined;
  });
  const background = flood ? arrivals(clock, 12, runMs, async (signal) => {
    await client.run(attempt, { signal, priority }).promise;
    return undefined;
  }) : [];
  await clock.run();
  client.dispose();
  return {
    label: `${flood ? `flood marked ${priority}` : 'interactive alone'}, gate ${maxConcurrency}`,
    p50: percentile(people, 50), p95: percentile(people, 95), success: people.filter((s) => s.ok).length / people.length,
    backgroundDone: background.filter((s) => s.ok).length, count: people.length,
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Prints both scenarios and checks the targets; resolves false when one misses. */
export async function main(): Promise<boolean> {
  const fallbackServiceMs = 1_500;
  // The default first, then afterMs either side of it, to show what the choice trades (time to fall back vs share
  // of answers from the bigger model).
  const rows = [
    await runFallback(undefined),
    await runFallback({ models: ['big', 'small'] }),
    await runFallback({ models: ['big', 'small'], afterMs: 5_000 }),
    await runFallback({ models: ['big', 'small'], afterMs: 30_000 }),
  ];
  console.log('Failover: model "big" at 15 % of 20 slots (4 s answers), "small" free (1.5 s answers), 2 requests/s for 5 min');
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(40)} p50 ${s(r.p50).padStart(7)}  p95 ${s(r.p95).padStart(7)}  success ${(r.success * 100).toFixed(1)} %  answered by small ${(r.onFallback * 100).toFixed(0)} %  (n=${r.count})`);
  }
  const withChain = rows[1]!;
  const bound = DEFAULT_FALLBACK_AFTER_MS + fallbackServiceMs;
  const failoverHolds = withChain.p95 <= bound && withChain.success === 1;
  console.log(`  ${failoverHolds ? 'holds' : 'MISSES'}  p95 with a chain ≤ afterMs + one fallback service time (${s(bound)}), success 100 %: ${s(withChain.p95)}, ${(withChain.success * 100).toFixed(1)} %`);

  const alone = await runPriority(false);
  const flooded = await runPriority(true);
  const unmarked = await runPriority(true, 'interactive');
  // The app lets more attempts out than Claude has slots: the flood meets 529s, which hold background back first.
  const aloneWide = await runPriority(false, 'background', 16);
  const floodedWide = await runPriority(true, 'background', 16);
  console.log('\nPriorities: one model, 8 slots, 2 s answers; interactive 1/s; background flood 12/s (3 × capacity) for 5 min');
  console.log('  (gate N: the browser gate\'s maxConcurrency; at 8 it matches Claude\'s slots and no 529 happens)');
  for (const r of [alone, flooded, unmarked, aloneWide, floodedWide]) {
    console.log(`  ${r.label.padEnd(52)} interactive p50 ${s(r.p50).padStart(7)}  p95 ${s(r.p95).padStart(7)}  success ${(r.success * 100).toFixed(1)} %  background answered ${r.backgroundDone}`);
  }
  const priorityHolds = flooded.p95 <= 1.2 * alone.p95;
  console.log(`  ${priorityHolds ? 'holds' : 'MISSES'}  interactive p95 with the flood ≤ 1.2 × without (gate 8): ${s(flooded.p95)} vs ${s(alone.p95)} (${(flooded.p95 / alone.p95).toFixed(2)} ×)`);
  const wideHolds = floodedWide.p95 <= 1.2 * aloneWide.p95;
  console.log(`  ${wideHolds ? 'holds' : 'MISSES'}  the same with the gate above Claude's slots (16 vs 8, 529s): ${s(floodedWide.p95)} vs ${s(aloneWide.p95)} (${(floodedWide.p95 / aloneWide.p95).toFixed(2)} ×)`);
  const handlerHolds = await mainThroughHandler(fallbackServiceMs);
  return failoverHolds && priorityHolds && wideHolds && handlerHolds;
}

/** The same targets through the handler's line (memory store, per-model lines, lanes, the handler's chain). */
async function mainThroughHandler(fallbackServiceMs: number): Promise<boolean> {
  const afterMs = 15_000;
  const rows = [await handlerFailover(undefined), await handlerFailover({ models: ['big', 'small'], afterMs })];
  console.log('\nThrough the handler\'s line (clients with no chain of their own; the handler\'s chain, afterMs 15 s; same Claude)');
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(40)} p50 ${s(r.p50).padStart(7)}  p95 ${s(r.p95).padStart(7)}  success ${(r.success * 100).toFixed(1)} %  answered by small ${(r.onFallback * 100).toFixed(1)} %  529s ${r.refused}  (n=${r.count})`);
  }
  const chain = rows[1]!;
  const bound = afterMs + fallbackServiceMs;
  const failoverHolds = chain.p95 <= bound && chain.success === 1;
  console.log(`  ${failoverHolds ? 'holds' : 'MISSES'}  p95 with the handler's chain ≤ afterMs + one fallback service time (${s(bound)}), success 100 %: ${s(chain.p95)}, ${(chain.success * 100).toFixed(1)} %`);

  const pairs: Array<[HandlerRow, HandlerRow]> = [];
  for (const ceiling of [undefined, 8]) pairs.push([await handlerPriority(false, ceiling), await handlerPriority(true, ceiling)]);
  console.log('\nThrough the handler\'s line: one model, 8 slots, 2 s answers; interactive 1/s; background flood 12/s for 5 min');
  for (const r of pairs.flat()) {
    console.log(`  ${r.label.padEnd(52)} interactive p50 ${s(r.p50).padStart(7)}  p95 ${s(r.p95).padStart(7)}  success ${(r.success * 100).toFixed(1)} %  background answered ${r.other}  529s ${r.refused}`);
  }
  let holds = failoverHolds;
  for (const [alone, flooded] of pairs) {
    const ok = flooded.p95 <= 1.2 * alone.p95 && flooded.success === 1;
    holds &&= ok;
    console.log(`  ${ok ? 'holds' : 'MISSES'}  interactive p95 with the flood ≤ 1.2 × without (${alone.label.split(', ')[1]}): ${s(flooded.p95)} vs ${s(alone.p95)} (${(flooded.p95 / alone.p95).toFixed(2)} ×)`);
  }
  return holds;
}
