import { alwaysOnline, systemClock } from './clock.js';
import { ClaudeError, toClaudeError } from './failure.js';
import type { GatePermit } from './gate-types.js';
import { createRetryTiming } from './retry-timing.js';
import { MOVE, pause, waitForPermit, type Wake } from './retry-wait.js';
import type { Retryer, RetryerOptions, RetrySnapshot } from './retryer-types.js';
import { isLinePaced, isPressure } from './rules.js';
import { createListeners } from './store.js';

export type * from './retryer-types.js';

// Not retryable: its kind says so (ClaudeError).
const abortedError = () => new ClaudeError({ kind: 'aborted', message: 'Cancelled.' });

/**
 * Runs one request's attempts: send, classify the failure, ask the policy how long to wait, wait (observably),
 * and go again — through the shared gate, pausing while offline. No timer outlives it.
 */
export function createRetryer<T>(options: RetryerOptions<T>): Retryer<T> {
  const { gate, policy, priority } = options;
  const clock = options.clock ?? systemClock;
  const online = options.online ?? alwaysOnline;
  const listeners = createListeners();
  const cancelled = new AbortController();
  let snapshot: RetrySnapshot = { phase: 'idle', attempt: 0 };
  // Whoever waits now can be woken: "Retry now", a move to another model, a cancel.
  let wake: ((how: Wake) => void) | undefined;
  const setWake = (next: typeof wake) => (wake = next);
  // The next permit skips the gate's window ("Retry now", or a return to the handler's line).
  let forceNext = false;
  // The fallback chain's cursor picks each attempt's model, and moves the request or offers another model meanwhile.
  const cursor = options.fallback?.cursor({
    model: options.model, gate, clock, skipped: options.skipped ?? new Set(),
    offer: (offer) => snapshot.offer?.from !== offer?.from && update({ offer }),
    move: () => wake?.('move'),
  });

  /** Applies a change and notifies, only when something really changed (a crowd of subscribers pays per change). */
  function update(next: Partial<RetrySnapshot>): void {
    if (Object.keys(next).every((key) => snapshot[key as keyof RetrySnapshot] === next[key as keyof RetrySnapshot])) return;
    snapshot = { ...snapshot, ...next };
    if (snapshot.phase === 'waiting' || snapshot.phase === 'paused') snapshot.waited = true;
    listeners.notify();
  }

  /** Cancelled: throws; an attempt ended to move the request (`attempt`): true. Either way the permit goes back. */
  function throwIfCancelled(permit?: GatePermit, attempt?: AbortController): true | undefined {
    if (!(cancelled.signal.aborted || attempt?.signal.aborted)) return;
    permit?.release({ ok: false, aborted: true });
    if (cancelled.signal.aborted) throw abortedError();
    return true;
  }

  /** While the gate holds the request: its window is our next attempt time. */
  const onHold = (reopenAt: number | undefined) => update({ phase: 'waiting', nextAttemptAt: reopenAt });

  async function loop(): Promise<T> {
    const timing = createRetryTiming(policy, clock, online, clock.now());
    update({ startedAt: clock.now() });
    for (;;) {
      throwIfCancelled();
      if (!online.isOnline()) {
        update({ phase: 'paused', nextAttemptAt: undefined });
        if ((await pause(clock, online, undefined, setWake)) === 'now') forceNext = true;
        continue;
      }
      const model = cursor?.pick() ?? options.model ?? '';
      const wait = { signal: cancelled.signal, model, priority, force: forceNext, onHold, setWake };
      const permit = gate && (await (cursor?.wait ?? waitForPermit)(gate, wait));
      forceNext = false;
      if (permit === MOVE) continue;
      throwIfCancelled(permit);
      const attempt = snapshot.attempt + 1;
      // A return to the handler's line waits there for its turn: the countdown goes on counting to it, and an offer of
      // another model stays on screen until Claude answers; taken (or cancelled), it ends the attempt at once.
      update({ phase: 'sending', attempt, nextAttemptAt: timing.turnAt, responding: false, model: model || undefined });
      const attempt$ = new AbortController();
      // A move or a cancel ends it; "Retry now" (the banner's reaches every request) leaves an attempt on the wire be.
      wake = (how) => how == 'move' && attempt$.abort();
      let failure: ClaudeError;
      try {
        const value = await options.run(attempt$.signal, attempt, model || undefined);
        permit?.release({ ok: true });
        const fallbackFrom = cursor?.answered(model);
        update({ phase: 'succeeded', failure: undefined, responding: false, offer: undefined, ...(fallbackFrom !== undefined && { fallbackFrom }) });
        return value;
      } catch (thrown) {
        failure = toClaudeError(thrown);
      }
      if (throwIfCancelled(permit, attempt$)) continue;
      const delay = timing.delay(failure, attempt, (retryAt) => permit?.release({ ok: false, failure, retryAt }));
      if (delay === null) {
        update({ phase: 'failed', failure, nextAttemptAt: undefined, responding: false });
        throw failure;
      }
      // Overloaded: the fallback chain counts this request's wait for its model from now, and another model with room
      // takes it at once (the backoff spares the overloaded model, not this request).
      const stopWatching = isPressure(failure.kind) ? cursor?.overloaded(model) : undefined;
      if (stopWatching === MOVE) {
        update({ phase: 'waiting', failure, nextAttemptAt: clock.now(), responding: false });
        continue;
      }
      // The gate may hold it longer (a closed window), or less (lanes): the moment it can really go.
      const goAt = gate ? gate.retryAt(model, failure, clock.now() + delay, priority === 'background') : clock.now() + delay;
      // One moment on screen: the turn the handler named while its line paces the request, else our own retry.
      update({ phase: 'waiting', failure, nextAttemptAt: timing.turnAt ?? goAt, responding: false });
      // Its return to its place goes past a window this tab's gate may still keep from earlier refusals (the limit
      // still applies): that window would hold it away from the turn the line keeps for it.
      if (isLinePaced(failure)) forceNext = true;
      if ((await pause(clock, online, goAt - clock.now(), setWake)) === 'now') forceNext = true;
      stopWatching?.();
    }
  }

  // Removed once the request settles (below); a second abort event would find it cancelled already.
  options.signal?.addEventListener('abort', cancel);
  // An 'abort' listener never fires for a signal aborted already: without this, a request cancelled before it was
  // created would still go to Claude (and be billed).
  if (options.signal?.aborted) cancel();

  function cancel(): void {
    if (snapshot.phase === 'succeeded' || snapshot.phase === 'failed' || cancelled.signal.aborted) return;
    cancelled.abort(abortedError());
    wake?.('move');
  }

  const promise = loop().catch((error: unknown) => {
    const failure = toClaudeError(error);
    if (snapshot.phase !== 'failed') update({ phase: 'failed', failure, nextAttemptAt: undefined });
    throw failure;
  }).finally(() => options.signal?.removeEventListener('abort', cancel));
  // The owner may never await (a fire-and-forget cancel): a rejection here must not surface as unhandled.
  promise.catch(() => {});

  return {
    promise,
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    retryNow: () => wake?.('now'),
    cancel,
    // Answering: an offer of another model is no longer the person's to take.
    markResponding: () => snapshot.phase === 'sending' && update({ responding: true, offer: undefined }),
    // The cursor takes the offer away and, when it is taken, moves the request (the next attempt goes to its model, now).
    acceptOffer: (scope) => void (snapshot.offer && cursor?.accept(snapshot.offer, scope)),
    declineOffer: () => void (snapshot.offer && cursor?.decline(snapshot.offer)),
  };
}
