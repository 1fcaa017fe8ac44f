import type { ClaudeError } from './failure.js';
import type { Retryer, RetrySnapshot } from './retryer.js';
import type { RetryPhase } from './types.js';

/** Where one request's retrying stands, with the two things a person can do about it: what every adapter shows. */
export interface RetryState {
  phase: RetryPhase;
  attempt: number;
  failure?: ClaudeError;
  /** Epoch ms of the next attempt: the moment it really goes, the gate's window included. */
  nextAttemptAt?: number;
  retryNow(): void;
  cancel(): void;
}

const noop = () => {};
export const IDLE_RETRY_STATE: RetryState = Object.freeze({ phase: 'idle', attempt: 0, retryNow: noop, cancel: noop });
const cache = new WeakMap<RetrySnapshot, RetryState>();

/**
 * A retryer's snapshot as a RetryState, the same object for the same snapshot (so `useSyncExternalStore` and
 * selectors see no change where there is none).
 */
export function retryStateOf(retryer: Retryer<unknown> | undefined): RetryState {
  if (!retryer) return IDLE_RETRY_STATE;
  const snapshot = retryer.getSnapshot();
  let state = cache.get(snapshot);
  if (!state) {
    state = {
      phase: snapshot.phase,
      attempt: snapshot.attempt,
      failure: snapshot.failure,
      nextAttemptAt: snapshot.nextAttemptAt,
      retryNow: retryer.retryNow,
      cancel: retryer.cancel,
    };
    cache.set(snapshot, state);
  }
  return state;
}
