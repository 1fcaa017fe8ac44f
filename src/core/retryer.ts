import { alwaysOnline, systemClock, type Clock, type OnlineSource } from './clock.js';
import { ClaudeError, toClaudeError } from './failure.js';
import type { AttemptFunction } from './types.js';
import { DEFAULT_FALLBACK_AFTER_MS, chainFor, overloadedFor, type FallbackEpisodes, type FallbackOffer, type FallbackOptions, type OfferScope } from './fallback.js';
import type { Gate, GatePermit, RequestPriority } from './gate.js';
import { isPressure } from './rules.js';
import type { RetryPolicy } from './policy.js';
import { createListeners, type Subscribable } from './store.js';
import type { RetryPhase } from './types.js';

export interface RetrySnapshot {
  phase: RetryPhase;
  /** Attempts started so far. */
  attempt: number;
  /** The latest failure; kept while waiting so the UI can say why. */
  failure?: ClaudeError;
  /** Epoch ms of the next attempt while waiting; undefined while waiting for the gate with no known time. */
  nextAttemptAt?: number;
  /** Epoch ms when the first attempt started. */
  startedAt?: number;
  /** The attempt on the wire is receiving its answer (a stream's first content, thinking too): Claude is answering. */
  responding?: boolean;
  /** This request has had to wait (a backoff, the gate's window, the network): it belongs to a busy episode. */
  waited?: boolean;
  /** The model of the current or last attempt (undefined: the handler's default model). */
  model?: string;
  /** In fallback mode `'offer'`: the person may have this request answered by another model now. */
  offer?: FallbackOffer;
  /** Once answered by a fallback model: the model the request was for (`model` is the one that answered). */
  fallbackFrom?: string;
}

export interface RetryerOptions<T> {
  /** One attempt. Must honour the signal. `attempt` counts from 1. */
  run: AttemptFunction<T>;
  policy: RetryPolicy;
  clock?: Clock;
  /** Attempts pause while offline and resume when back. Defaults to always online. */
  online?: OnlineSource;
  /** The app's shared gate; every attempt takes a permit from it. */
  gate?: Gate;
  /** Aborting it cancels the retryer, like `cancel()`. */
  signal?: AbortSignal;
  /** The model of the first attempt; the gate keeps a window per model. Defaults to the handler's default model. */
  model?: string;
  /** Defaults to `'interactive'`. */
  priority?: RequestPriority;
  /** Where to go when `model` stays overloaded. Defaults to none: the request waits for its model. */
  fallback?: FallbackOptions;
  /** Shared by a client's requests: the busy episodes the person chose to skip. */
  episodes?: FallbackEpisodes;
}

export interface Retryer<T> extends Subscribable<RetrySnapshot> {
  /** Settles once: the answer, or the ClaudeError that ended the attempts (kind `aborted` after cancel). */
  readonly promise: Promise<T>;
  /**
   * Skip the wait (the gate's window too) and send now. A `background` request skips only its own backoff: in the
   * gate it keeps its lane (behind the people, held while its model is, out of the slots kept free for them).
   */
  retryNow(): void;
  /** Abort the attempt in flight, stop waiting, and settle with an `aborted` ClaudeError. */
  cancel(): void;
  /** Tell the retryer the attempt on the wire is receiving its answer (a stream's first content: text, thinking, a tool call). */
  markResponding(): void;
  /** Take the offered fallback: the next attempt goes to the offered model, at once. */
  acceptOffer(scope?: OfferScope): void;
  /** Keep waiting for the current model; no new offer for it on this request. */
  declineOffer(): void;
}

/** The reason a wait is cut short to move the request to another model. */
const MOVE = Symbol('move to another model');

const abortedError = () => new ClaudeError({ kind: 'aborted', message: 'The request was cancelled.', retryable: false });

/**
 * Runs one request's attempts: send, classify the failure, ask the policy how long to wait, wait (observably),
 * and go again — through the shared gate, pausing while offline. No timer outlives it.
 */
export function createRetryer<T>(options: RetryerOptions<T>): Retryer<T> {
  const clock = options.clock ?? systemClock;
  const online = options.online ?? alwaysOnline;
  const listeners = createListeners();
  const cancelled = new AbortController();

  let snapshot: RetrySnapshot = { phase: 'idle', attempt: 0 };
  let wake: ((how: 'timer' | 'now') => void) | undefined;
  let timer: unknown;
  let forceNext = false;
  let attemptController: AbortController | undefined;
  let expedite: (() => void) | undefined;

  // Fallback: the chain of models, when each was first overloaded for this request, and the person's choices.
  const chain = chainFor(options.model, options.fallback);
  const afterMs = options.fallback?.afterMs ?? DEFAULT_FALLBACK_AFTER_MS;
  const offerMode = options.fallback?.mode === 'offer';
  const ownSince = new Map<string, number>();
  const declined = new Set<string>();
  let acceptedThrough = -1;
  let interrupt: (() => void) | undefined;
  let switchTimer: unknown;

  const overFor = (model: string, now: number) => overloadedFor(options.gate?.snapshotOf(model), ownSince.get(model), now);

  /** Where the next attempt goes: the first model of the chain not to be passed over now. */
  function pickIndex(now: number): number {
    for (let i = 0; i < chain.length - 1; i += 1) {
      const model = chain[i]!;
      if (i <= acceptedThrough) continue;
      const over = overFor(model, now);
      if (over === undefined) return i;
      if (options.episodes?.skipped.has(model)) continue;
      if (!offerMode && over >= afterMs) continue;
      return i;
    }
    return chain.length - 1;
  }

  /**
   * While this request waits for `model`: at the moment the model has been overloaded for `afterMs`, move on (auto)
   * or offer the next model (offer). Re-armed when the window holding us moves.
   */
  function watchForFallback(index: number): void {
    clearSwitchTimer();
    if (index >= chain.length - 1) return;
    const model = chain[index]!;
    const now = clock.now();
    const over = overFor(model, now);
    if (over === undefined) return;
    const since = now - over;
    const fire = () => {
      switchTimer = undefined;
      // A window that reopened in the meantime makes this request its probe: no move, no offer.
      if ((overFor(model, clock.now()) ?? -1) < afterMs) return;
      if (!offerMode) interrupt?.();
      else if (!declined.has(model) && snapshot.offer?.from !== model) update({ offer: { model: chain[index + 1]!, from: model } });
    };
    const at = since + afterMs;
    if (at <= now) fire();
    else switchTimer = clock.setTimeout(fire, at - now);
  }

  function clearSwitchTimer(): void {
    if (switchTimer !== undefined) clock.clearTimeout(switchTimer);
    switchTimer = undefined;
  }

  /** Applies a change and notifies, only when something really changed (a crowd of subscribers pays per change). */
  function update(next: Partial<RetrySnapshot>): void {
    let same = true;
    for (const key in next) {
      if (snapshot[key as keyof RetrySnapshot] !== next[key as keyof RetrySnapshot]) {
        same = false;
        break;
      }
    }
    if (same) return;
    snapshot = { ...snapshot, ...next };
    if (snapshot.phase === 'waiting' || snapshot.phase === 'paused') snapshot.waited = true;
    listeners.notify();
  }

  /** Resolves when the delay is over, "Retry now" is pressed, or the device comes back online. */
  function pause(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (how: 'timer' | 'now') => {
        if (how === 'now') forceNext = true;
        wake = undefined;
        interrupt = undefined;
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        stopListening();
        resolve();
      };
      wake = finish;
      interrupt = () => finish('timer');
      let stopListening = () => {};
      if (ms !== undefined) timer = clock.setTimeout(() => finish('timer'), Math.max(0, ms));
      else {
        stopListening = online.subscribe((isOnline) => {
          if (isOnline) finish('timer');
        });
        if (online.isOnline()) finish('timer');
      }
    });
  }

  /**
   * Takes a permit from the gate, showing the gate's window as our next attempt time while it holds us. The gate
   * tells us only when that window moves, not of every admission of the crowd.
   */
  async function waitForPermit(index: number): Promise<GatePermit | undefined | typeof MOVE> {
    const gate = options.gate;
    if (!gate) return undefined;
    const force = forceNext;
    forceNext = false;
    const ticket: { expedite?: () => void } = {};
    expedite = () => ticket.expedite?.();
    // Only a request with somewhere to go pays for its own controller; the rest wait on the retryer's signal.
    const mover = index < chain.length - 1 ? new AbortController() : undefined;
    const onCancel = () => mover?.abort(cancelled.signal.reason);
    if (mover) {
      cancelled.signal.addEventListener('abort', onCancel, { once: true });
      interrupt = () => mover.abort(MOVE);
      // A wait in the line counts toward `afterMs` while the model's busy episode lasts, window open or not.
      if (!ownSince.has(chain[index]!)) ownSince.set(chain[index]!, clock.now());
      watchForFallback(index);
    }
    try {
      return await gate.acquire({
        signal: mover?.signal ?? cancelled.signal,
        model: chain[index],
        priority: options.priority,
        force,
        onHold: (reopenAt) => {
          update({ phase: 'waiting', nextAttemptAt: reopenAt });
          if (mover) watchForFallback(index);
        },
        ticket,
      });
    } catch (reason) {
      if (reason === MOVE) return MOVE;
      throw reason;
    } finally {
      expedite = undefined;
      interrupt = undefined;
      cancelled.signal.removeEventListener('abort', onCancel);
      clearSwitchTimer();
    }
  }

  async function loop(): Promise<T> {
    const startedAt = clock.now();
    let previousDelayMs: number | undefined;
    // While the kit handler's line paces this request: its expected turn (the one moment the person is shown), and
    // how many of its tries were only returns to its place (they spend no retry budget; the wait still counts).
    let turnAt: number | undefined;
    let returns = 0;
    update({ startedAt });
    for (;;) {
      if (cancelled.signal.aborted) throw abortedError();
      if (!online.isOnline()) {
        update({ phase: 'paused', nextAttemptAt: undefined });
        await pause(undefined);
        continue;
      }
      const index = pickIndex(clock.now());
      const model = chain[index]!;
      const permit = await waitForPermit(index);
      if (permit === MOVE) continue;
      if (cancelled.signal.aborted) {
        permit?.release({ ok: false, aborted: true });
        throw abortedError();
      }
      const attempt = snapshot.attempt + 1;
      attemptController = new AbortController();
      const onCancel = () => attemptController?.abort(cancelled.signal.reason);
      cancelled.signal.addEventListener('abort', onCancel, { once: true });
      // A return to the handler's line waits there for its turn: the countdown goes on counting to it.
      update({ phase: 'sending', attempt, nextAttemptAt: turnAt, responding: false, model: model || undefined, offer: undefined });
      try {
        const value = await options.run(attemptController.signal, attempt, model || undefined);
        permit?.release({ ok: true });
        options.episodes?.skipped.delete(model);
        update({ phase: 'succeeded', failure: undefined, responding: false, ...(index > 0 ? { fallbackFrom: chain[0] } : {}) });
        return value;
      } catch (thrown) {
        if (cancelled.signal.aborted) {
          permit?.release({ ok: false, aborted: true });
          throw abortedError();
        }
        const failure = toClaudeError(thrown);
        if (isPressure(failure.kind) && !ownSince.has(model)) ownSince.set(model, clock.now());
        const elapsedMs = clock.now() - startedAt;
        // The handler's line answered with this request's place: its turn there is the next attempt, and coming back
        // with the ticket at once (after the handler's retry-after) is how it keeps the place. No backoff of its own.
        const paced = isLinePaced(failure);
        if (paced) returns += 1;
        turnAt = paced && failure.line?.expectedWaitMs !== undefined ? clock.now() + failure.line.expectedWaitMs : undefined;
        // Offline: wait for the network whatever the budget, but only for a failure that may be retried at all (a
        // stream broken after its first token under `afterFirstToken: 'keep'` is not, and must not start over).
        let delay: number | null = null;
        let retryAt: number | undefined;
        try {
          delay = failure.kind === 'network' && failure.retryable && !online.isOnline()
            ? 0
            : options.policy.nextDelay(failure, { attempt: Math.max(1, attempt - returns), elapsedMs, previousDelayMs });
          // Still within its budget (elapsed time counts): it returns to its place when the handler says.
          // Never sooner than half a second: a server that answers such a 529 at once must not be called in a loop.
          if (paced && delay !== null) delay = Math.max(failure.retryAfterMs ?? 1000, 500);
          // An app's policy that returns no usable delay (undefined, NaN, negative, Infinity) would retry in a tight
          // loop or wait for ever: it ends the request with an error that says so, like a policy that throws.
          if (delay !== null && !(Number.isFinite(delay) && delay >= 0)) {
            throw new TypeError(`policy.nextDelay gave ${delay}, not ms ≥ 0 or null`);
          }
          if (delay !== null) retryAt = clock.now() + delay;
        } finally {
          // An app's policy may throw: the request then ends with its error (as a ClaudeError), and the slot goes
          // back all the same, or under a small maxConcurrency every later request would wait for ever.
          permit?.release({ ok: false, failure, retryAt });
        }
        if (delay === null) {
          update({ phase: 'failed', failure, nextAttemptAt: undefined, responding: false });
          throw failure;
        }
        previousDelayMs = delay;
        // Another model has room: go there at once (the backoff spares the overloaded model, not this one).
        if (isPressure(failure.kind) && chain[pickIndex(clock.now())] !== model) {
          update({ phase: 'waiting', failure, nextAttemptAt: clock.now(), responding: false });
          continue;
        }
        // The gate may hold everyone longer than our own delay (its shortest window, or a wave's retry-after):
        // count down to the moment this request can really go.
        const gate = options.gate?.snapshotOf(model);
        // Background work filled Claude's room and took the blame: a person's request waits only for the next free
        // slot, which the gate keeps for it (background is held), not for a backoff meant for a busy Claude. Only while
        // the gate holds people under that room: a 529 it took for Anthropic-wide load gets the backoff, never a loop.
        const yielded = options.priority !== 'background' && gate?.state === 'open' && (gate.peopleWaitUntil ?? 0) > clock.now()
          && isPressure(failure.kind) && failure.retryAfterMs === undefined;
        const goAt = yielded ? clock.now() : paced ? retryAt! : Math.max(retryAt!, gate?.state === 'closed' ? (gate.reopenAt ?? 0) : 0);
        // One moment on screen: the turn the handler named while its line paces the request, else our own retry.
        update({ phase: 'waiting', failure, nextAttemptAt: turnAt ?? goAt, responding: false });
        // Its return to its place goes past a window this tab's gate may still keep from earlier refusals (the limit
        // still applies): that window would hold it away from the turn the line keeps for it.
        if (paced) forceNext = true;
        if (isPressure(failure.kind)) watchForFallback(index);
        await pause(goAt - clock.now());
        clearSwitchTimer();
      } finally {
        cancelled.signal.removeEventListener('abort', onCancel);
        attemptController = undefined;
      }
    }
  }

  const onExternalAbort = () => cancel();
  options.signal?.addEventListener('abort', onExternalAbort, { once: true });
  // An 'abort' listener never fires for a signal aborted already: without this, a request cancelled before it was
  // created would still go to Claude (and be billed).
  if (options.signal?.aborted) cancel();

  function cancel(): void {
    if (snapshot.phase === 'succeeded' || snapshot.phase === 'failed' || cancelled.signal.aborted) return;
    cancelled.abort(abortedError());
    wake?.('timer');
  }

  const promise = loop().then(
    (value) => {
      options.signal?.removeEventListener('abort', onExternalAbort);
      return value;
    },
    (error: unknown) => {
      options.signal?.removeEventListener('abort', onExternalAbort);
      const failure = toClaudeError(error);
      if (snapshot.phase !== 'failed') update({ phase: 'failed', failure, nextAttemptAt: undefined });
      throw failure;
    },
  );
  // The owner may never await (a fire-and-forget cancel): a rejection here must not surface as unhandled.
  promise.catch(() => {});

  return {
    promise,
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    retryNow() {
      if (wake) wake('now');
      else if (expedite) expedite();
    },
    cancel,
    markResponding() {
      if (snapshot.phase === 'sending' && !snapshot.responding) update({ responding: true });
    },
    acceptOffer(scope = 'request') {
      const offer = snapshot.offer;
      if (!offer) return;
      acceptedThrough = Math.max(acceptedThrough, chain.indexOf(offer.from));
      if (scope === 'episode') options.episodes?.skipped.add(offer.from);
      update({ offer: undefined });
      interrupt?.();
    },
    declineOffer() {
      const offer = snapshot.offer;
      if (!offer) return;
      declined.add(offer.from);
      update({ offer: undefined });
    },
  };
}

/**
 * A refusal from the kit handler's line that names the request's place (the handler held it, or its line is full):
 * the line paces it, and the browser adds no window or backoff of its own on top.
 */
export function isLinePaced(failure: ClaudeError): boolean {
  return failure.line !== undefined && failure.retryable && failure.kind === 'overloaded';
}
