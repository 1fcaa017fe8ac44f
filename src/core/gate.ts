import { systemClock } from './clock.js';
import { createListeners } from './store.js';
import { createAlarm, sameFields } from './util.js';
import { createFifo, type Fifo, type FifoEntry } from './fifo.js';
import { createBackgroundYield, type BackgroundYield } from './background-yield.js';
import { gateHoldFor, isPressure } from './rules.js';
import type { Gate, GateOptions, GateOutcome, GatePermit, GateSnapshot, GateState, ModelGateSnapshot } from './gate-types.js';

export type {
  AcquireOptions, Gate, GateOptions, GateOutcome, GatePermit, GateSnapshot, GateState, ModelGateSnapshot, RequestPriority,
} from './gate-types.js';

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

/** Everything the gate keeps per model. */
interface Lane {
  state: GateState;
  reopenAt?: number;
  limit: number;
  inFlight: number;
  backgroundInFlight: number;
  /** Background's own limit, and what the model's room showed when an overload was blamed on background. */
  yielding: BackgroundYield;
  probeInFlight: boolean;
  // Attempts sent before the window closed fail in a wave; only the first of the wave should move the window.
  closures: number;
  // Overloads in a row since the last success: each one doubles the shortest window.
  streak: number;
  troubledSince?: number;
  drain?: Drain;
  /** Background requests are held until then after one of them met an overload (the interactive line goes on). */
  backgroundReopenAt?: number;
  // "Retry now" requests skip the window and go before the line.
  forced: Fifo<Waiter>;
  interactive: Fifo<Waiter>;
  background: Fifo<Waiter>;
  snapshot: ModelGateSnapshot;
}

const OPEN_LANE: ModelGateSnapshot = Object.freeze({ state: 'open', limit: 0, inFlight: 0, waiting: 0 });

/**
 * The app's traffic gate, one window per model under one app-wide concurrency bound. When a request meets an
 * overload, its model's window closes until that request's retry time and every other request for that model waits
 * behind it instead of each sending; when the window ends one probe goes first; on its success the rest drain, first
 * come first served, each at a random moment of its own slot of the drain window. Concurrency adapts per model,
 * AIMD-style: halve on overload, +1 per success. Interactive requests go before background ones; background ones
 * never take the last free slot, so a background flood delays an interactive request by one service time at most.
 * When the app lets out more than Claude has room for, the first 529 met with background work on the wire shows
 * where Claude's room ends: background then keeps two of those slots free, and a person's request that met the 529
 * waits for the next slot that frees instead of a backoff.
 *
 * Costs: joining, leaving and being admitted are O(1) per model (a pass looks at each model seen, a handful); only a
 * moved window (once per overload wave) visits every waiter of that model, to tell it the new time.
 */
export function createGate(options: GateOptions = {}): Gate {
  const clock = options.clock ?? systemClock;
  const ceiling = Math.max(1, options.maxConcurrency ?? 8);
  const floor = Math.min(ceiling, Math.max(1, options.minConcurrency ?? 1));
  const drainJitterMs = options.drainJitterMs ?? 1_000;
  const minClosedMs = options.minClosedMs ?? 5_000;
  const maxClosedMs = Math.max(minClosedMs, options.maxClosedMs ?? 15_000);
  const listeners = createListeners();
  const lanes = new Map<string, Lane>();

  let inFlight = 0;
  const wakeUp = createAlarm(clock, () => pump());
  let snapshot: GateSnapshot = { state: 'open', limit: ceiling, inFlight: 0, waiting: 0, models: {} };

  function laneOf(model: string): Lane {
    let lane = lanes.get(model);
    if (!lane) {
      lane = {
        state: 'open', limit: ceiling, inFlight: 0, backgroundInFlight: 0, yielding: createBackgroundYield(ceiling), probeInFlight: false, closures: 0, streak: 0,
        forced: createFifo(), interactive: createFifo(), background: createFifo(), snapshot: OPEN_LANE,
      };
      lanes.set(model, lane);
    }
    return lane;
  }

  const waitingIn = (lane: Lane) => lane.forced.size + lane.interactive.size + lane.background.size;

  /** The lane as seen from outside: the same object while nothing in it changed. */
  function laneSnapshot(lane: Lane): ModelGateSnapshot {
    const next: ModelGateSnapshot = {
      state: lane.state, reopenAt: lane.reopenAt, limit: lane.limit, inFlight: lane.inFlight, waiting: waitingIn(lane),
      troubledSince: lane.troubledSince, backgroundReopenAt: lane.backgroundReopenAt,
      peopleWaitUntil: lane.yielding.peopleWaitUntil,
    };
    if (lane.probeInFlight) next.probeInFlight = true;
    if (!sameFields(next, lane.snapshot)) lane.snapshot = next;
    return lane.snapshot;
  }

  function changed(): void {
    let dirty = false;
    let state: GateState = 'open';
    let reopenAt: number | undefined;
    let limit = ceiling;
    let waiting = 0;
    for (const [model, lane] of lanes) {
      const before = lane.snapshot;
      const s = laneSnapshot(lane);
      if (s !== before || snapshot.models[model] !== s) dirty = true;
      if (s.state === 'closed') {
        state = 'closed';
        reopenAt = reopenAt === undefined ? s.reopenAt : Math.min(reopenAt, s.reopenAt ?? reopenAt);
      } else if (s.state === 'probing' && state === 'open') state = 'probing';
      limit = Math.min(limit, s.limit);
      waiting += s.waiting;
    }
    if (!dirty && snapshot.inFlight === inFlight) return;
    const models: Record<string, ModelGateSnapshot> = {};
    for (const [model, lane] of lanes) models[model] = lane.snapshot;
    snapshot = { state, reopenAt, limit, inFlight, waiting, models };
    listeners.notify();
  }

  /** A model's window moved: tell each of its waiters the new time (forced waiters are not held by it). */
  function windowMoved(lane: Lane): void {
    lane.interactive.forEach((waiter) => waiter.onHold?.(lane.reopenAt));
    const backgroundAt = lane.state === 'closed' ? Math.max(lane.reopenAt ?? 0, lane.backgroundReopenAt ?? 0) : lane.backgroundReopenAt;
    lane.background.forEach((waiter) => waiter.onHold?.(backgroundAt));
  }

  function issue(lane: Lane, probe: boolean, background: boolean): GatePermit {
    inFlight += 1;
    lane.inFlight += 1;
    if (background) lane.backgroundInFlight += 1;
    if (probe) lane.probeInFlight = true;
    const closuresAtStart = lane.closures;
    const level = lane.inFlight;
    let released = false;
    return {
      release(outcome) {
        if (released) return;
        released = true;
        inFlight -= 1;
        lane.inFlight -= 1;
        if (background) lane.backgroundInFlight -= 1;
        if (probe) lane.probeInFlight = false;
        settle(lane, outcome, probe, background, closuresAtStart, level);
        pump();
      },
    };
  }

  function settle(lane: Lane, outcome: GateOutcome, probe: boolean, background: boolean, closuresAtStart: number, level: number): void {
    const now = clock.now();
    if (outcome.ok) {
      lane.yielding.answered(level, background, now);
      lane.streak = 0;
      lane.backgroundReopenAt = undefined;
      lane.limit = Math.min(ceiling, lane.limit + 1);
      // The episode lasts while the model is paced below full speed: its line may still be long.
      if (lane.limit >= ceiling) lane.troubledSince = undefined;
      if (lane.state !== 'open') open(lane); // any answer, probe or "Retry now", shows Claude has room again
      return;
    }
    if (!('failure' in outcome) || !isPressure(outcome.failure.kind)) {
      if (probe && lane.state === 'probing') open(lane); // an unrelated failure says nothing about load: let others try
      return;
    }
    // A refusal the kit handler's line paced (it named the request's place) is the line's clock, not a wave to hold
    // the tab for: the request goes back to its place there, and a window or a cut here would be a second wait on
    // top. The model is troubled all the same (a fallback chain counts its wait from here).
    if (outcome.failure.line !== undefined) {
      lane.troubledSince ??= now;
      if (probe && lane.state === 'probing') open(lane);
      return;
    }
    const staleWave = closuresAtStart !== lane.closures && !probe;
    if (staleWave) return;
    const blameBackground = (background || lane.backgroundInFlight > 0) && lane.state === 'open';
    if (blameBackground) lane.yielding.blamed(level, lane.inFlight, lane.backgroundInFlight + (background ? 1 : 0), outcome.retryAt, now);
    else lane.limit = Math.max(floor, Math.floor(lane.limit / 2));
    lane.troubledSince ??= now;
    const shortest = Math.min(maxClosedMs, minClosedMs * 2 ** lane.streak);
    lane.streak += 1;
    const until = Math.max(outcome.retryAt ?? 0, now + gateHoldFor(outcome.failure.retryAfterMs), now + shortest);
    lane.closures += 1;
    // Held back first: while background work of this model is on the wire, an overload is blamed on it. The
    // background line is held (it drains as its attempts end) and the people go on, their window left open.
    if (blameBackground) {
      lane.backgroundReopenAt = until;
    } else {
      lane.state = 'closed';
      lane.reopenAt = until;
      lane.drain = undefined;
    }
    windowMoved(lane);
  }

  function slotAt(d: Drain): number {
    return d.start + ((d.granted + clock.random()) * drainJitterMs) / d.count;
  }

  function open(lane: Lane): void {
    lane.state = 'open';
    lane.reopenAt = undefined;
    lane.drain = undefined;
    if (lane.interactive.size > 0 && drainJitterMs > 0) {
      lane.drain = { start: clock.now(), count: lane.interactive.size, granted: 0, nextAt: 0 };
      lane.drain.nextAt = slotAt(lane.drain);
    }
  }

  /**
   * Room for one more attempt of this model; background keeps one slot free for the people (when there are two),
   * and two of Claude's room once an overload showed where it ends. People wait for a slot under that room only
   * until the retry time of the one who met the 529: never longer than a backoff would have held them.
   */
  const room = (lane: Lane, background: boolean, now: number) => {
    const reserve = background ? 1 : 0;
    const limit = Math.min(lane.limit, lane.yielding.cap(background, now));
    return inFlight < Math.max(1, ceiling - reserve) && lane.inFlight < Math.max(1, limit - reserve)
      && (!background || ((ceiling === 1 || inFlight < ceiling - 1) && lane.backgroundInFlight < lane.yielding.backgroundLimit));
  };

  /** Lets at most one waiter of this lane through; says when to look again if it is waiting for a moment. */
  function admitOne(lane: Lane, now: number, wake: { at?: number }): boolean {
    const soonest = (at: number) => (wake.at = wake.at === undefined ? at : Math.min(wake.at, at));
    if (lane.state === 'closed' && lane.reopenAt !== undefined && now >= lane.reopenAt) {
      lane.state = 'probing';
      lane.reopenAt = undefined;
      windowMoved(lane);
    }
    if (lane.forced.size > 0 && inFlight < ceiling && lane.inFlight < lane.limit) {
      lane.forced.shift()!.grant(issue(lane, false, false));
      return true;
    }
    if (lane.state === 'closed') {
      if (waitingIn(lane) > lane.forced.size && lane.reopenAt !== undefined) soonest(lane.reopenAt);
      return false;
    }
    if (lane.interactive.size > 0 && room(lane, false, now)) {
      if (lane.state === 'probing') {
        if (lane.probeInFlight) return false;
        lane.interactive.shift()!.grant(issue(lane, true, false));
        return true;
      }
      const drain = lane.drain;
      if (drain) {
        if (now < drain.nextAt) {
          soonest(drain.nextAt);
          return false;
        }
        drain.granted += 1;
        if (drain.granted >= drain.count) lane.drain = undefined;
        else drain.nextAt = slotAt(drain);
      }
      lane.interactive.shift()!.grant(issue(lane, false, false));
      return true;
    }
    // People held under Claude's seen room go at their own retry time at the latest.
    const peopleAt = lane.yielding.peopleWaitUntil;
    if (lane.interactive.size > 0 && peopleAt !== undefined && now < peopleAt) soonest(peopleAt);
    if (lane.background.size === 0 || lane.interactive.size > 0) return false;
    if (lane.backgroundReopenAt !== undefined && now < lane.backgroundReopenAt) {
      soonest(lane.backgroundReopenAt);
      return false;
    }
    if (lane.state === 'probing') {
      // A background request may be the probe when nobody else waits: it risks no person's time.
      if (lane.probeInFlight || !room(lane, false, now)) return false;
      lane.background.shift()!.grant(issue(lane, true, true));
      return true;
    }
    if (lane.drain || !room(lane, true, now)) return false;
    lane.background.shift()!.grant(issue(lane, false, true));
    return true;
  }

  function pump(): void {
    const now = clock.now();
    const wake: { at?: number } = {};
    // Round-robin over the models, one admission each per pass, so one model's crowd cannot starve another's.
    for (let admitted = true; admitted; ) {
      admitted = false;
      for (const lane of lanes.values()) if (admitOne(lane, now, wake)) admitted = true;
    }
    // A timer only while someone waits: an idle gate reopens lazily on the next acquire, and never keeps a
    // process (or a test) alive after its app has gone.
    wakeUp(wake.at);
    changed();
  }

  return {
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    snapshotOf(model = '') {
      const lane = lanes.get(model);
      return lane ? laneSnapshot(lane) : { ...OPEN_LANE, limit: ceiling };
    },
    acquire({ signal, model = '', priority = 'interactive', force = false, onHold, ticket } = {}) {
      return new Promise<GatePermit>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const lane = laneOf(model);
        const background = priority === 'background';
        const ownLine = background ? lane.background : lane.interactive;
        // "Retry now" skips the window for people only: a forced permit is a person's, so background work forced
        // would go ahead of the people and into the slot kept free for them. It keeps its lane.
        if (background) force = false;
        let isForced = force;
        const onAbort = () => {
          (isForced ? lane.forced : ownLine).remove(entry);
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
        let entry: FifoEntry<Waiter> = (force ? lane.forced : ownLine).push(waiter);
        if (ticket && !background) {
          ticket.expedite = () => {
            if (isForced || !entry.inFifo) return;
            ownLine.remove(entry);
            isForced = true;
            entry = lane.forced.push(waiter);
            pump();
          };
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!force && lane.state !== 'open') onHold?.(lane.reopenAt);
        else if (!force && background && lane.backgroundReopenAt !== undefined && lane.backgroundReopenAt > clock.now()) {
          onHold?.(lane.backgroundReopenAt);
        }
        pump();
      });
    },
  };
}
