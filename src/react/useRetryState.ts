import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { ClaudeClient } from '../core/client.js';
import type { Retryer } from '../core/retryer.js';
import { IDLE_RETRY_STATE, retryStateOf, type RetryState } from '../core/retry-state.js';
import { canRevive, offerRevive } from '../core/revive.js';

export { IDLE_RETRY_STATE, type RetryState };

const noSubscription = () => () => {};

/** Follows one retryer (or none) as a RetryState. */
export function useRetryState(retryer: Retryer<unknown> | undefined): RetryState {
  const read = () => retryStateOf(retryer);
  return useSyncExternalStore(retryer ? retryer.subscribe : noSubscription, read, read);
}

/**
 * After a request was given up on, "Retry now" — the hook's own `retry.retryNow()` and the banner's — tries it again
 * through `revive` (re-send the last request, refetch the query). The rule is core's (`canRevive`); this adapts it.
 */
export function useRevivable(state: RetryState, client: ClaudeClient, revive: () => void): RetryState {
  const latest = useRef(revive);
  latest.current = revive;
  const gaveUp = canRevive(state);
  useEffect(() => offerRevive(client.demand, { phase: gaveUp ? 'failed' : 'idle', failure: state.failure }, () => latest.current()), [gaveUp, client]);
  return useMemo(() => (gaveUp ? { ...state, retryNow: () => latest.current() } : state), [gaveUp, state]);
}
