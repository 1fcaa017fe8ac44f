import { systemClock, type Clock } from './clock.js';
import { createListeners, type Subscribable } from './store.js';
import type { ClaudeError } from './failure.js';
import { createLine, type LineEntry } from './line.js';
import { gateHoldFor, isPressure } from './rules.js';

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
  waiting: number;
  /** @deprecated Renamed `waiting` (one word for it across the kit); removed in the next minor release. */
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
  /**
   * Told, while this request waits, each time the window holding it moves: when the gate may reopen (epoch ms), or
   * undefined while a probe decides. Only waiters hear it, and only when the window changes, so a crowd waiting
   * costs nothing per admission.
   */
  onHold?: (reopenAt: number | undefined) => void;
  /**
   * Filled in by the gate with `expedite()`: "Retry now" for this waiter, which then skips the window like `force`
   * (no second acquire, no AbortController per wait: a crowd of waiters stays cheap).
   */
  ticket?: { expedite?: () => void };
}

export interface Gate extends Subscribable<GateSnapshot> {
  /** Resolves with a permit when the request may send; rejects with the signal's reason if aborted first. */
  acquire(options?: AcquireOptions): Promise<GatePermit>;
}

interface Waiter {
  grant(permit: GatePermit): void;
  onHold?: (reopenAt: number | undefined) => void;
}

/** After a closed window, the requests that waited through it go spread over `drainJitterMs`, in their order. */
interface Drain {
  start: number;
  /** Waiters in line when the gate reopened: each gets one slot of `drainJitterMs / count`. */
  count: number;
  granted: number;
  nextAt: number;
}

/**
 * The app-wide traffic gate. When any request meets an overload, the gate closes until that request's retry time
 * and every other request waits behind it instead of each sending; when the window ends one probe goes first; on
 * its success the rest drain, first come first served, each at a random moment of its own slot of the drain window.
 * Concurrency adapts AIMD-style: halve on overload, +1 per success.
 *
 * Costs: joining, leaving and being admitted are O(1); only a moved window (once per overload wave) visits every
 * waiter, to tell it the new time.
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
  let drain: Drain | undefined;
  // "Retry now" requests skip the window and go before the line.
  const forced = createLine<Waiter>();
  const line = createLine<Waiter>();
  let snapshot = takeSnapshot();

  function takeSnapshot(): GateSnapshot {
    const waiting = line.size + forced.size;
    return { state, reopenAt, limit, inFlight, waiting, queued: waiting };
  }

  function changed(): void {
    const s = snapshot;
    if (s.state !== state || s.reopenAt !== reopenAt || s.limit !== limit || s.inFlight !== inFlight
      || s.waiting !== line.size + forced.size) {
      snapshot = takeSnapshot();
      listeners.notify();
    }
  }

  /** The window moved: tell each waiter of the line its new time (forced waiters are not held by it). */
  function windowMoved(): void {
    line.forEach((waiter) => waiter.onHold?.(reopenAt));
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
    if (!('failure' in outcome) || !isPressure(outcome.failure.kind)) {
      if (probe && state === 'probing') open(); // an unrelated failure says nothing about load: let others try
      return;
    }
    const staleWave = closuresAtStart !== closures && !probe;
    if (staleWave) return;
    limit = Math.max(floor, Math.floor(limit / 2));
    const now = clock.now();
    const shortest = Math.min(maxClosedMs, minClosedMs * 2 ** streak);
    streak += 1;
    const until = Math.max(outcome.retryAt ?? 0, now + gateHoldFor(outcome.failure.retryAfterMs), now + shortest);
    closures += 1;
    state = 'closed';
    reopenAt = until;
    drain = undefined;
    windowMoved();
  }

  function slotAt(d: Drain): number {
    return d.start + ((d.granted + clock.random()) * drainJitterMs) / d.count;
  }

  function open(): void {
    state = 'open';
    reopenAt = undefined;
    drain = undefined;
    if (line.size > 0 && drainJitterMs > 0) {
      drain = { start: clock.now(), count: line.size, granted: 0, nextAt: 0 };
      drain.nextAt = slotAt(drain);
    }
  }

  function pump(): void {
    const now = clock.now();
    if (state === 'closed' && reopenAt !== undefined && now >= reopenAt) {
      state = 'probing';
      reopenAt = undefined;
      windowMoved();
    }
    while (inFlight < limit && forced.size > 0) forced.shift()!.grant(issue(false));
    let wakeAt: number | undefined;
    while (inFlight < limit && line.size > 0 && state !== 'closed') {
      if (state === 'probing') {
        if (probeInFlight) break;
        line.shift()!.grant(issue(true));
        continue;
      }
      if (drain) {
        if (now < drain.nextAt) {
          wakeAt = drain.nextAt;
          break;
        }
        drain.granted += 1;
        if (drain.granted >= drain.count) drain = undefined;
        else drain.nextAt = slotAt(drain);
      }
      line.shift()!.grant(issue(false));
    }
    // A timer only while someone waits: an idle gate reopens lazily on the next acquire, and never keeps a
    // process (or a test) alive after its app has gone.
    if (line.size + forced.size === 0) unschedule();
    else if (state === 'closed' && reopenAt !== undefined) schedule(reopenAt);
    else if (wakeAt !== undefined) schedule(wakeAt);
    changed();
  }

  return {
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    acquire({ signal, force = false, onHold, ticket } = {}) {
      return new Promise<GatePermit>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        let isForced = force;
        const onAbort = () => {
          (isForced ? forced : line).remove(entry);
          reject(signal?.reason);
          pump();
        };
        const waiter: Waiter = {
          onHold,
          grant(permit) {
            signal?.removeEventListener('abort', onAbort);
            if (ticket) ticket.expedite = undefined;
            resolve(permit);
          },
        };
        let entry: LineEntry<Waiter> = (force ? forced : line).push(waiter);
        if (ticket) {
          ticket.expedite = () => {
            if (isForced || !entry.inLine) return;
            line.remove(entry);
            isForced = true;
            entry = forced.push(waiter);
            pump();
          };
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!force && state !== 'open') onHold?.(reopenAt);
        pump();
      });
    },
  };
}
