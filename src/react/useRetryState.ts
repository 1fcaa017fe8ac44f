import { useSyncExternalStore } from 'react';
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
