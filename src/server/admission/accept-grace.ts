/**
 * When a call Claude has not refused counts as taken. Claude answers a 529 within about a round trip, so a call still
 * unrefused after a moment is in: the line counts it (its rate, its limit) without waiting for a long answer to end.
 * A fixed moment makes a cliff: where 529s arrive later than it (a far region, a slow proxy, an overload reported
 * after a stream's first bytes), every refused call was counted taken first, and the limit grew on refusals (13 calls
 * per request with 529s 2 s late, against 1.7 at 1.5 s). So the moment is learned: at least `baseMs`, and 1.5 × the
 * slowest of the recent refusals, up to 10 s (a refusal later than that, an overload deep into a stream, says nothing of when calls are taken).
 */

import { LINE_TUNING } from './defaults.js';

export interface AcceptGrace {
  /**
   * How long after it was sent an unrefused call counts as taken. `outage`: the probe of a line whose calls Claude
   * has all refused since its refusals began; the line has just seen how fast they come, so the grace is learned from
   * them alone, down to `minProbeGraceMs` (not `baseMs`): the line hears Claude's return within a fraction of a second.
   */
  ms(outage?: boolean): number;
  /** A refusal came this long after its call was sent. */
  refused(afterMs: number): void;
}

export function createAcceptGrace(baseMs: number): AcceptGrace {
  const { graceRefusals: RECENT_REFUSALS, graceFactor: SLOWEST_FACTOR, maxGraceMs: MAX_GRACE_MS } = LINE_TUNING;
  const recent: number[] = [];
  let slowest = 0;
  return {
    ms: (outage = false) => Math.min(MAX_GRACE_MS, Math.max(
      outage && recent.length > 0 ? Math.min(baseMs, LINE_TUNING.minProbeGraceMs) : baseMs, slowest * SLOWEST_FACTOR)),
    refused(afterMs) {
      if (!(afterMs >= 0)) return;
      recent.push(afterMs);
      if (recent.length > RECENT_REFUSALS) recent.shift();
      slowest = Math.max(...recent);
    },
  };
}
