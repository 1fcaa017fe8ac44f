/**
 * The recovery-lag figure (issue 24): once Claude has room again, how long until every request that was waiting for
 * it has been sent again.
 *
 * - **From when:** the first instant Claude has more room than during the drop: its first slot back (the drop ramps
 *   back one slot at a time over a minute), or in `exogenous` the end of the incident (its refusal rate starts
 *   falling). Counting from the first slot back, not from the end of the ramp, measures the strategy's lag, not the ramp.
 * - **Which requests:** those waiting at that instant: asked before it, turned away by Claude at least once (a call
 *   refused), not answered yet and without a call in service. A request the line holds without having sent it was
 *   never turned away and is not counted (the line's order decides its turn, not a lag).
 * - **Until when:** each one's next call to Claude, whatever Claude answers it; a request that ends without one (it
 *   gave up, or its person did) counts until it ended.
 * The figure is the largest of these lags ("every request"), with its p95 beside it.
 */
import type { Scenario } from './scenario.js';
import { capacityChanges, lowSlots } from './claude.js';
import type { CallTrace } from './strategies.js';

/** The first instant after the drop at which Claude has more room than during it. */
export function recoveryStartMs(s: Scenario): number {
  const t = s.timeline;
  const dropEnd = t.dropStartMs + t.dropMs;
  if (lowSlots(t) >= t.slots) return dropEnd;
  return Math.min(...capacityChanges(t).filter((at) => at > dropEnd), dropEnd + t.rampMs);
}

export interface Recovery {
  /** Requests waiting when Claude had room again. */
  waiting: number;
  /** Each one's lag (see above), sorted ascending. */
  lagMs: number[];
}

/** One request's calls, as far as the figure needs them. */
interface Record {
  sentBefore: boolean;
  lastSentAt: number;
  firstSentAfter?: number;
}

/** Follows every request of one run; `result` gives the figure once the run is over. */
export function createRecoveryWatch(now: () => number, startMs: number) {
  const lags: number[] = [];
  return {
    /** A request starts: trace its calls, and say how it ended. */
    request(): { trace: CallTrace; settled(answered: boolean): void } {
      const record: Record = { sentBefore: false, lastSentAt: -Infinity };
      const issuedAt = now();
      return {
        trace: {
          sent() {
            const at = now();
            if (at < startMs) record.sentBefore = true;
            else record.firstSentAfter ??= at;
            record.lastSentAt = at;
          },
        },
        settled(answered) {
          const at = now();
          if (issuedAt >= startMs || at < startMs || !record.sentBefore) return;
          // Answered by a call sent before Claude had room again: it was in service, not waiting.
          if (answered && record.lastSentAt < startMs) return;
          lags.push((record.firstSentAfter ?? at) - startMs);
        },
      };
    },
    result(): Recovery {
      return { waiting: lags.length, lagMs: [...lags].sort((a, b) => a - b) };
    },
  };
}
