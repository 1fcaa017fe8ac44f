import { createSimulatedClaude, type ClaudeOptions } from './claude.js';
import { createRecoveryWatch, recoveryStartMs, type Recovery } from './recovery.js';
import { refusalAt, type Scenario, type Session } from './scenario.js';
import type { RunContext, Strategy } from './strategies.js';
import { createVirtualClock } from './virtual-clock.js';

export interface RunResult {
  name: string;
  requests: number;
  succeeded: number;
  attempts: number;
  rejected: number;
  /** Time to answer of each successful request, sorted ascending. */
  answerMs: number[];
  /**
   * Time to answer of every request, sorted ascending, a failure counting as the patience limit: a strategy that
   * gives up fast must not look fast.
   */
  latencyMs: number[];
  /** Requests the browsers sent to the app's backend (kit rows through the handler only). */
  browserRequests?: number;
  /** Attempts sent per chart bucket. */
  perBucket: number[];
  /** Virtual-clock events processed (for the run-time line). */
  events: number;
  /** Requests waiting when Claude had room again, and how long until each was sent again (bench/recovery.ts). */
  recovery: Recovery;
}

/** The simulated Claude of a scenario's world. */
export function claudeOptions(scenario: Scenario): ClaudeOptions {
  return {
    refusalAt: scenario.exogenous ? (ms) => refusalAt(scenario, ms) : undefined,
    seed: scenario.seed,
    timeline: scenario.timeline,
    rttMs: scenario.refusalMs,
    retryAfterMs: scenario.retryAfterMs,
    bucketMs: scenario.bucketMs,
    midStream: scenario.midStream,
    firstBytesMs: scenario.firstBytesMs,
  };
}

/** Plays the workload against a fresh simulated Claude with one strategy, in virtual time. */
export async function simulate(scenario: Scenario, workload: readonly Session[], strategy: Strategy): Promise<RunResult> {
  const clock = createVirtualClock(scenario.seed + 7919);
  const claude = createSimulatedClaude(clock, claudeOptions(scenario));
  const run: RunContext = { scenario, browserRequests: 0 };
  const answer = strategy.setup(clock, claude, run);
  const recovery = createRecoveryWatch(clock.now, recoveryStartMs(scenario));
  const answerMs: number[] = [];
  const latencyMs: number[] = [];
  let requests = 0;

  const pause = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

  async function play(session: Session): Promise<void> {
    for (const [index, request] of session.requests.entries()) {
      if (index > 0) await pause(request.thinkMs);
      requests += 1;
      const issuedAt = clock.now();
      const patience = new AbortController();
      const timer = clock.setTimeout(() => patience.abort(), scenario.patienceMs);
      const watch = recovery.request();
      try {
        await answer(session.app, request.serviceMs, patience.signal, watch.trace);
        answerMs.push(clock.now() - issuedAt);
        latencyMs.push(clock.now() - issuedAt);
        watch.settled(true);
      } catch {
        // Gave up, or the person did: either way a failed request, counted as the whole patience.
        latencyMs.push(scenario.patienceMs);
        watch.settled(false);
      } finally {
        clock.clearTimeout(timer);
      }
    }
  }

  for (const session of workload) clock.setTimeout(() => void play(session), session.startMs);
  await clock.run();
  answerMs.sort((a, b) => a - b);
  latencyMs.sort((a, b) => a - b);
  return {
    name: strategy.name,
    requests,
    succeeded: answerMs.length,
    attempts: claude.attempts,
    rejected: claude.rejected,
    answerMs,
    latencyMs,
    ...(strategy.viaBackend ? { browserRequests: run.browserRequests } : {}),
    perBucket: claude.perBucket,
    events: clock.events,
    recovery: recovery.result(),
  };
}

/** Nearest-rank percentile of a sorted list; null when it is empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}
