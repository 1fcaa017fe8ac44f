/**
 * When one request's next attempt goes, attempt after attempt: the policy's delay, or, where the kit handler's line
 * paces the request, its turn there (one clock: that turn is the only wait on screen). Kept out of the retryer's loop,
 * which only asks.
 */
import type { Clock, OnlineSource } from './clock.js';
import type { ClaudeError } from './failure.js';
import type { RetryPolicy } from './policy.js';
import { isLinePaced } from './rules.js';

export interface RetryTiming {
  /** While the handler's line paces the request: its expected turn there, the one moment the person is shown. */
  readonly turnAt: number | undefined;
  /**
   * The wait (ms) before the attempt after `failure`, or null to give up; `settled` is told when that would be (the
   * gate's permit goes back with it), also when the policy throws or gives an unusable delay (then this throws).
   */
  delay(failure: ClaudeError, attempt: number, settled: (retryAt: number | undefined) => void): number | null;
}

export function createRetryTiming(policy: RetryPolicy, clock: Clock, online: OnlineSource, startedAt: number): RetryTiming {
  let previousDelayMs: number | undefined;
  let turnAt: number | undefined;
  // Tries that were only returns to the request's place in the handler's line: they spend no retry budget (the wait
  // still counts).
  let returns = 0;

  function delayAfter(failure: ClaudeError, attempt: number): number | null {
    const now = clock.now();
    // The handler's line answered with this request's place: its turn there is the next attempt, and coming back with
    // the ticket at once (after the handler's retry-after) is how it keeps the place. No backoff of its own.
    const paced = isLinePaced(failure);
    if (paced) returns += 1;
    turnAt = paced && failure.line?.expectedWaitMs !== undefined ? now + failure.line.expectedWaitMs : undefined;
    // Offline: wait for the network whatever the budget, but only for a failure that may be retried at all (a stream
    // broken after its first token under `afterFirstToken: 'keep'` is not, and must not start over).
    let delay = failure.kind === 'network' && failure.retryable && !online.isOnline()
      ? 0
      : policy.nextDelay(failure, { attempt: Math.max(1, attempt - returns), elapsedMs: now - startedAt, previousDelayMs });
    // Still within its budget (elapsed time counts): it returns to its place when the handler says. Never sooner than
    // half a second: a server that answers such a 529 at once must not be called in a loop.
    if (paced && delay !== null) delay = Math.max(failure.retryAfterMs ?? 1000, 500);
    // An app's policy that returns no usable delay (undefined, NaN, negative, Infinity) would retry in a tight loop or
    // wait for ever: it ends the request with an error that says so, like a policy that throws.
    if (delay !== null && !(Number.isFinite(delay) && delay >= 0)) {
      throw new TypeError(`nextDelay gave ${delay}, not ms >= 0 or null`);
    }
    return delay;
  }

  return {
    get turnAt() {
      return turnAt;
    },
    delay(failure, attempt, settled) {
      let delay: number | null = null;
      try {
        delay = delayAfter(failure, attempt);
      } finally {
        // An app's policy may throw: the request then ends with its error (as a ClaudeError), and the slot goes back
        // all the same, or under a small maxConcurrency every later request would wait for ever.
        settled(delay === null ? undefined : clock.now() + delay);
      }
      if (delay !== null) previousDelayMs = delay;
      return delay;
    },
  };
}
