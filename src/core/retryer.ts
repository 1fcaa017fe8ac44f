import { alwaysOnline, systemClock, type Clock, type OnlineSource } from './clock.js';
import { ClaudeError, toClaudeError } from './failure.js';
import type { AttemptFunction } from './client.js';
import type { Gate, GatePermit } from './gate.js';
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
  /** The attempt on the wire is receiving its answer (a stream's first text arrived): Claude is answering. */
  responding?: boolean;
  /** This request has had to wait (a backoff, the gate's window, the network): it belongs to a busy episode. */
  waited?: boolean;
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
}

export interface Retryer<T> extends Subscribable<RetrySnapshot> {
  /** Settles once: the answer, or the ClaudeError that ended the attempts (kind `aborted` after cancel). */
  readonly promise: Promise<T>;
  /** Skip the wait (the gate's window too) and send now. */
  retryNow(): void;
  /** Abort the attempt in flight, stop waiting, and settle with an `aborted` ClaudeError. */
  cancel(): void;
  /** Tell the retryer the attempt on the wire is receiving its answer (a stream's first text). */
  markResponding(): void;
}

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
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        stopListening();
        resolve();
      };
      wake = finish;
      const stopListening =
        ms === undefined
          ? online.subscribe((isOnline) => {
              if (isOnline) finish('timer');
            })
          : () => {};
      if (ms === undefined && online.isOnline()) finish('timer');
      if (ms !== undefined) timer = clock.setTimeout(() => finish('timer'), Math.max(0, ms));
    });
  }

  /**
   * Takes a permit from the gate, showing the gate's window as our next attempt time while it holds us. The gate
   * tells us only when that window moves, not of every admission of the crowd.
   */
  async function waitForPermit(): Promise<GatePermit | undefined> {
    const gate = options.gate;
    if (!gate) return undefined;
    const force = forceNext;
    forceNext = false;
    const ticket: { expedite?: () => void } = {};
    expedite = () => ticket.expedite?.();
    try {
      return await gate.acquire({
        signal: cancelled.signal,
        force,
        onHold: (reopenAt) => update({ phase: 'waiting', nextAttemptAt: reopenAt }),
        ticket,
      });
    } finally {
      expedite = undefined;
    }
  }

  async function loop(): Promise<T> {
    const startedAt = clock.now();
    let previousDelayMs: number | undefined;
    update({ startedAt });
    for (;;) {
      if (cancelled.signal.aborted) throw abortedError();
      if (!online.isOnline()) {
        update({ phase: 'paused', nextAttemptAt: undefined });
        await pause(undefined);
        continue;
      }
      const permit = await waitForPermit();
      if (cancelled.signal.aborted) {
        permit?.release({ ok: false, aborted: true });
        throw abortedError();
      }
      const attempt = snapshot.attempt + 1;
      attemptController = new AbortController();
      const onCancel = () => attemptController?.abort(cancelled.signal.reason);
      cancelled.signal.addEventListener('abort', onCancel, { once: true });
      update({ phase: 'sending', attempt, nextAttemptAt: undefined, responding: false });
      try {
        const value = await options.run(attemptController.signal, attempt);
        permit?.release({ ok: true });
        update({ phase: 'succeeded', failure: undefined, responding: false });
        return value;
      } catch (thrown) {
        if (cancelled.signal.aborted) {
          permit?.release({ ok: false, aborted: true });
          throw abortedError();
        }
        const failure = toClaudeError(thrown);
        const elapsedMs = clock.now() - startedAt;
        const delay = failure.kind === 'network' && !online.isOnline()
          ? 0
          : options.policy.nextDelay(failure, { attempt, elapsedMs, previousDelayMs });
        const retryAt = delay === null ? undefined : clock.now() + delay;
        permit?.release({ ok: false, failure, retryAt });
        if (delay === null) {
          update({ phase: 'failed', failure, nextAttemptAt: undefined, responding: false });
          throw failure;
        }
        previousDelayMs = delay;
        // The gate may hold everyone longer than our own delay (its shortest window, or a wave's retry-after):
        // count down to the moment this request can really go.
        const gate = options.gate?.getSnapshot();
        const goAt = Math.max(retryAt!, gate?.state === 'closed' ? (gate.reopenAt ?? 0) : 0);
        update({ phase: 'waiting', failure, nextAttemptAt: goAt, responding: false });
        await pause(goAt - clock.now());
      } finally {
        cancelled.signal.removeEventListener('abort', onCancel);
        attemptController = undefined;
      }
    }
  }

  const onExternalAbort = () => cancel();
  options.signal?.addEventListener('abort', onExternalAbort, { once: true });

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
  };
}
