import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { ClaudeClient } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import type { Retryer, RetrySnapshot } from '../core/retryer.js';
import type { RetryPhase } from '../core/types.js';

/** Where one request's retrying stands, with the two things a person can do about it. */
export interface RetryState {
  phase: RetryPhase;
  attempt: number;
  failure?: ClaudeError;
  nextAttemptAt?: number;
  retryNow(): void;
  cancel(): void;
}

const noop = () => {};
export const IDLE_RETRY_STATE: RetryState = Object.freeze({ phase: 'idle', attempt: 0, retryNow: noop, cancel: noop });
const noSubscription = () => noop;
const cache = new WeakMap<RetrySnapshot, RetryState>();

function toRetryState(retryer: Retryer<unknown>, snapshot: RetrySnapshot): RetryState {
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

/** Follows one retryer (or none) as a RetryState. */
export function useRetryState(retryer: Retryer<unknown> | undefined): RetryState {
  const read = () => (retryer ? toRetryState(retryer, retryer.getSnapshot()) : IDLE_RETRY_STATE);
  return useSyncExternalStore(retryer ? retryer.subscribe : noSubscription, read, read);
}

/**
 * After a request was given up on, "Retry now" — the hook's own `retry.retryNow()` and the banner's — tries it again
 * through `revive` (re-send the last request, refetch the query). Returns the state with that `retryNow`.
 */
export function useRevivable(state: RetryState, client: ClaudeClient, revive: () => void): RetryState {
  const latest = useRef(revive);
  latest.current = revive;
  const gaveUp = state.phase === 'failed' && state.failure?.retryable === true;
  useEffect(() => (gaveUp ? client.demand.onRevive(() => latest.current()) : undefined), [gaveUp, client]);
  return useMemo(() => (gaveUp ? { ...state, retryNow: () => latest.current() } : state), [gaveUp, state]);
}
