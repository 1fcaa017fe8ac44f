import { describe, expect, it } from 'vitest';
import { aiSdkDelayMs, aiSdkUseChat, kitAiSdk } from '../../bench/ai-sdk.js';
import { runBench } from '../../bench/bench.js';
import { burst } from '../../bench/burst.js';
import { createSimulatedClaude } from '../../bench/claude.js';
import { oneStore } from '../../bench/kit.js';
import { createRecoveryWatch, recoveryStartMs } from '../../bench/recovery.js';
import { createScenario } from '../../bench/scenario.js';
import type { RunContext } from '../../bench/strategies.js';
import { createVirtualClock } from '../../bench/virtual-clock.js';
import { ClaudeError } from '../../src/core/failure.js';

const overloaded = (retryAfterMs?: number) =>
  new ClaudeError({ kind: 'overloaded', status: 529, type: 'overloaded_error', message: 'Overloaded', retryAfterMs });

describe('the AI SDK stack in the bench', () => {
  it('waits 2 s, then 4 s, with no jitter, unless a retry-after under 60 s says otherwise, as the AI SDK does', () => {
    expect([aiSdkDelayMs(0, overloaded()), aiSdkDelayMs(1, overloaded())]).toEqual([2000, 4000]);
    expect(aiSdkDelayMs(0, overloaded(5000))).toBe(5000);
    expect(aiSdkDelayMs(0, overloaded(0))).toBe(0);
    // 90 s is not "reasonable" to the AI SDK: it keeps its own backoff.
    expect(aiSdkDelayMs(1, overloaded(90_000))).toBe(4000);
  });

  it('makes three calls per request through an outage and then fails it, where the kit answers every one', async () => {
    const alone = await burst(aiSdkUseChat, 40_000);
    expect(alone).toMatchObject({ answered: 0, callsPerRequest: 3, lastTakenMs: null });
    const kit = await burst(kitAiSdk(oneStore), 40_000);
    expect(kit.answered).toBe(20);
    expect(kit.lastTakenMs).toBeGreaterThanOrEqual(40_000);
  });

  it('gives up at once on an overload inside a started stream, which streamText does not retry', async () => {
    const scenario = createScenario('backends', { apps: 1 });
    const clock = createVirtualClock(1);
    // Every call is refused, and every refusal is a 200 whose stream breaks.
    const claude = createSimulatedClaude(clock, {
      timeline: { slots: 10, dropDepth: 0, dropStartMs: 3_600_000, dropMs: 1000, rampMs: 1000 },
      rttMs: 100, bucketMs: 1000, midStream: 1, refusalAt: () => 1,
    });
    const run: RunContext = { scenario, browserRequests: 0 };
    const outcomes: string[] = [];
    for (const strategy of [aiSdkUseChat, kitAiSdk(oneStore)]) {
      const answer = strategy.setup(clock, claude, run);
      answer(0, 5000, new AbortController().signal).then(() => outcomes.push('answered'), (error: ClaudeError) => outcomes.push(`failed: ${error.midStream ? 'mid-stream' : error.status}`));
    }
    await clock.run();
    expect(outcomes).toEqual(['failed: mid-stream', 'failed: mid-stream']);
    expect(claude.attempts).toBe(2);
    expect(run.browserRequests).toBe(2);
  });

  it('holds the first burst back to reach 1.5 calls per request in a 5 s outage, and a healthy burst pays for it', async () => {
    const defaults = kitAiSdk(oneStore);
    const held = kitAiSdk(oneStore, { line: { limit: { initial: 6 } } });
    expect((await burst(defaults, 5_000)).callsPerRequest).toBe(2.2);
    expect((await burst(held, 5_000)).callsPerRequest).toBe(1.5);
    expect((await burst(defaults, 0)).lastTakenMs).toBe(0);
    expect((await burst(held, 0)).meanTakenMs).toBeGreaterThan(1000);
  });

  it('adds both rows to a bench run that asks for the stacks, with one browser request per message', async () => {
    const tiny = createScenario('backends', { seed: 3, capacity: 6, apps: 3, ratePerSec: 0.5, arrivalMinutes: 2, dropMinutes: 1 });
    const plain = await runBench(tiny);
    const stacks = await runBench(tiny, [], [], { stacks: true });
    const names = stacks.report.strategies.map((r) => r.name);
    expect(names.slice(-2)).toEqual(['ai-sdk-usechat', 'claude-overload-kit (ai-sdk useChat)']);
    expect(plain.report.strategies.map((r) => r.name)).toEqual(names.slice(0, -2));
    // The other rows do not move when the stacks are played beside them.
    expect(JSON.stringify(stacks.report.strategies.slice(0, -2))).toBe(JSON.stringify(plain.report.strategies));
    for (const row of stacks.report.strategies.slice(-2)) expect(row.browserRequestsPerRequest).toBe(1);
    // The committed charts stay as they were: the stacks' lines would lie on others.
    expect(stacks.chart).toBe(plain.chart);
  });
});

describe('the recovery lag', () => {
  it('counts from Claude\'s first slot back, not from the end of its ramp', () => {
    const drop = createScenario('backends');
    // 85 slots come back over 60 s: the first after ceil(60 000 / 85) ms.
    expect(recoveryStartMs(drop)).toBe(5 * 60_000 + 706);
    expect(recoveryStartMs(createScenario('exogenous'))).toBe(5 * 60_000);
  });

  it('follows each request Claude turned away until its next call, and leaves out those never sent or in service', () => {
    let now = 0;
    const watch = createRecoveryWatch(() => now, 10_000);
    const refusedThenSent = watch.request();
    const inService = watch.request();
    const neverSent = watch.request();
    const gaveUp = watch.request();
    refusedThenSent.trace.sent();
    gaveUp.trace.sent();
    now = 8_000;
    inService.trace.sent();
    now = 13_000;
    refusedThenSent.trace.sent();
    inService.settled(true);
    now = 15_000;
    refusedThenSent.settled(true);
    gaveUp.settled(false);
    neverSent.trace.sent();
    neverSent.settled(true);
    expect(watch.result()).toEqual({ waiting: 2, lagMs: [3_000, 5_000] });
  });
});
