import type { DemandStore } from './demand.js';
import type { RetrySnapshot } from './retryer.js';

/**
 * A request the kit gave up on although waiting might have cured it: "Retry now" should try it again from the
 * start (its owner re-sends it), rather than do nothing. A spend limit, a setup mistake or an app error is not.
 */
export function canRevive(snapshot: Pick<RetrySnapshot, 'phase' | 'failure'>): boolean {
  return snapshot.phase === 'failed' && snapshot.failure?.retryable === true;
}

/**
 * While `snapshot` says the request was given up on, registers `revive` with the demand store, so the banner's and
 * the toast's "Retry now" try it again too. Returns the function that unregisters it (a no-op otherwise).
 */
export function offerRevive(demand: DemandStore, snapshot: Pick<RetrySnapshot, 'phase' | 'failure'>, revive: () => void): () => void {
  return canRevive(snapshot) ? demand.onRevive(revive) : () => {};
}
