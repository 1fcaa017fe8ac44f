import { systemClock, type Clock } from './clock.js';
import { createListeners, type Subscribable } from './store.js';
import type { ClaudeError } from './failure.js';

export interface GateOptions {
  /** The most attempts the app may have on the wire at once. Defaults to 8. */
  maxConcurrency?: number;
  /** The least the adaptive limit may shrink to. Defaults to 1. */
  minConcurrency?: number;
  /** After a successful probe, the waiting requests are let through spread over this window. Defaults to 1 s. */
  drainJitterMs?: number;
  /**
   * The shortest time the gate stays closed after an overload. It doubles with each overload in a row (a failed
   * probe says the overload goes on) up to `maxClosedMs`, and falls back after a success. Defaults to 5 s.
   */
  minClosedMs?: number;
  /** The ceiling of that doubling. A longer retry-after still wins. Defaults to 15 s. */
  maxClosedMs?: number;
  clock?: Clock;
}

export type GateState = 'open' | 'closed' | 'probing';

export interface GateSnapshot {
  state: GateState;
  /** While closed: when the window ends and a probe may go. */
  reopenAt?: number;
  /** The adaptive concurrency limit now. */
  limit: number;
  inFlight: number;
  /** Requests waiting for a permit. */
  queued: number;
}

/** What an attempt reports back when it gives its permit up. */
export type GateOutcome =
  | { ok: true }
  | { ok: false; failure: ClaudeError; /** when the failed request plans to try again (epoch ms) */ retryAt?: number }
  | { ok: false; aborted: true };

export interface GatePermit {
  release(outcome: GateOutcome): void;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** "Retry now": skip a closed window (the concurrency limit still applies). */
  force?: boolean;
}

export interface Gate extends Subscribable<GateSnapshot> {
  /** Resolves with a permit when the request may send; rejects with the signal's reason if aborted first. */
  acquire(options?: AcquireOptions): Promise<GatePermit>;
}

interface Waiter {
  grant(permit: GatePermit): void;
  notBefore: number;
  force: boolean;
}

/** Kinds of failure that mean "Claude has too much to do": these close the gate and shrink the limit. */
const PRESSURE_KINDS = new Set(['overloaded', 'rate_limited']);

/**
 * The app-wide traffic gate. When any request meets an overload, the gate closes until that request's retry time
 * and every other request waits behind it instead of each sending; when the window ends one probe goes first; on
 * its success the rest drain with jitter. Concurrency adapts AIMD-style: halve on overload, +1 per success.
 */
export function createGate(options: GateOptions = {}): Gate {
  const clock = options.clock ?? systemClock;
  const ceiling = Math.max(1, options.maxConcurrency ?? 8);
  const floor = Math.min(ceiling, Math.max(1, options.minConcurrency ?? 1));
  const drainJitterMs = options.drainJitterMs ?? 1_000;
  const minClosedMs = options.minClosedMs ?? 5_000;
  const maxClosedMs = Math.max(minClosedMs, options.maxClosedMs ?? 15_000);
  const listeners = createListeners();

  let state: GateState = 'open';
  let reopenAt: number | undefined;
  let limit = ceiling;
  let inFlight = 0;
  let probeInFlight = false;
  // Attempts sent before the gate closed fail in a wave; only the first of the wave should move the window.
  let closures = 0;
  // Overloads in a row since the last success: each one doubles the shortest window.
  let streak = 0;
  let timer: unknown;
  let timerAt: number | undefined;
  const queue: Waiter[] = [];
  let snapshot = takeSnapshot();

  function takeSnapshot(): GateSnapshot {
    return { state, reopenAt, limit, inFlight, queued: queue.length };
  }

  function changed(): void {
    const next = takeSnapshot();
    const same =
      next.state === snapshot.state &&
      next.reopenAt === snapshot.reopenAt &&
      next.limit === snapshot.limit &&
      next.inFlight === snapshot.inFlight &&
      next.queued === snapshot.queued;
    if (!same) {
      snapshot = next;
      listeners.notify();
    }
  }

  function schedule(at: number): void {
    if (timer !== undefined && timerAt !== undefined && timerAt <= at) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = at;
    timer = clock.setTimeout(() => {
      timer = undefined;
      timerAt = undefined;
      pump();
    }, Math.max(0, at - clock.now()));
  }

  function unschedule(): void {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    timerAt = undefined;
  }

  function issue(probe: boolean): GatePermit {
    inFlight += 1;
    if (probe) probeInFlight = true;
    const closuresAtStart = closures;
    let released = false;
    return {
      release(outcome) {
        if (released) return;
        released = true;
        inFlight -= 1;
        if (probe) probeInFlight = false;
        settle(outcome, probe, closuresAtStart);
        pump();
      },
    };
  }

  function settle(outcome: GateOutcome, probe: boolean, closuresAtStart: number): void {
    if (outcome.ok) {
      streak = 0;
      limit = Math.min(ceiling, limit + 1);
      if (state !== 'open') open(); // any answer, probe or "Retry now", shows Claude has room again
      return;
    }
    if (!('failure' in outcome) || !PRESSURE_KINDS.has(outcome.failure.kind)) {
      if (probe && state === 'probing') open(); // an unrelated failure says nothing about load: let others try
      return;
    }
    const staleWave = closuresAtStart !== closures && !probe;
    if (staleWave) return;
    limit = Math.max(floor, Math.floor(limit / 2));
    const now = clock.now();
    const shortest = Math.min(maxClosedMs, minClosedMs * 2 ** streak);
    streak += 1;
    const until = Math.max(outcome.retryAt ?? 0, now + (outcome.failure.retryAfterMs ?? 0), now + shortest);
    closures += 1;
    state = 'closed';
    reopenAt = until;
  }

  function open(): void {
    state = 'open';
    reopenAt = undefined;
    const now = clock.now();
    for (const waiter of queue) {
      if (!waiter.force) waiter.notBefore = now + clock.random() * drainJitterMs;
    }
  }

  function pump(): void {
    const now = clock.now();
    if (state === 'closed' && reopenAt !== undefined && now >= reopenAt) {
      state = 'probing';
      reopenAt = undefined;
    }
    let earliest = Infinity;
    for (let i = 0; i < queue.length && inFlight < limit; ) {
      const waiter = queue[i]!;
      const mayGo =
        waiter.force ||
        (state === 'open' && waiter.notBefore <= now) ||
        (state === 'probing' && !probeInFlight);
      if (!mayGo) {
        if (state === 'open') earliest = Math.min(earliest, waiter.notBefore);
        i += 1;
        continue;
      }
      queue.splice(i, 1);
      waiter.grant(issue(state === 'probing' && !waiter.force));
    }
    // A timer only while someone waits: an idle gate reopens lazily on the next acquire, and never keeps a
    // process (or a test) alive after its app has gone.
    if (queue.length === 0) unschedule();
    else if (state === 'closed' && reopenAt !== undefined) schedule(reopenAt);
    else if (earliest !== Infinity && inFlight < limit) schedule(earliest);
    changed();
  }

  return {
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    acquire({ signal, force = false } = {}) {
      return new Promise<GatePermit>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(signal?.reason);
          pump();
        };
        const waiter: Waiter = {
          notBefore: 0,
          force,
          grant(permit) {
            signal?.removeEventListener('abort', onAbort);
            resolve(permit);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
  };
}
