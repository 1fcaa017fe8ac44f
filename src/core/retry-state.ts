import type { ClaudeError } from './failure.js';
import type { Retryer, RetrySnapshot } from './retryer.js';
import type { FallbackOffer, OfferScope, RetryPhase } from './types.js';

/** Where one request's retrying stands, with the two things a person can do about it: what every adapter shows. */
export interface RetryState {
  phase: RetryPhase;
  attempt: number;
  failure?: ClaudeError;
  /** Epoch ms of the next attempt: the moment it really goes, the gate's window included. */
  nextAttemptAt?: number;
  /** The model of the current or last attempt (undefined: the handler's default): which model answered. */
  model?: string;
  /** Once answered by a fallback model: the model the request was for. */
  fallbackFrom?: string;
  /** With a fallback chain in `'offer'` mode, while waiting: the model that could answer now instead. */
  offer?: FallbackOffer;
  retryNow(): void;
  cancel(): void;
  /** Take the offer: the next attempt goes to `offer.model` at once (`'episode'`: every request waiting on that model). */
  acceptOffer(scope?: OfferScope): void;
  /** Keep waiting for the current model; no new offer for it on this request. */
  declineOffer(): void;
}

const noop = () => {};
export const IDLE_RETRY_STATE: RetryState = /* @__PURE__ */ Object.freeze({
  phase: 'idle', attempt: 0, retryNow: noop, cancel: noop, acceptOffer: noop, declineOffer: noop,
});
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
      model: snapshot.model,
      fallbackFrom: snapshot.fallbackFrom,
      offer: snapshot.offer,
      retryNow: retryer.retryNow,
      cancel: retryer.cancel,
      acceptOffer: retryer.acceptOffer,
      declineOffer: retryer.declineOffer,
    };
    cache.set(snapshot, state);
  }
  return state;
}
