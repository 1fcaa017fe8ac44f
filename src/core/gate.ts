import { systemClock } from './clock.js';
import { createListeners } from './store.js';
import { createAlarm, sameFields } from './util.js';
import { createFifo, type Fifo, type FifoEntry } from './fifo.js';
import { gateHoldFor, isLinePaced, isPressure } from './rules.js';
import type {
  BackgroundLane, Gate, GateOptions, GateOutcome, GatePermit, GateSnapshot, GateState, GateWaiter as Waiter, ModelGateSnapshot,
} from './gate-types.js';

export type {
  AcquireOptions, Gate, GateLanes, GateOptions, GateOutcome, GatePermit, GateSnapshot, GateState, ModelGateSnapshot, RequestPriority,
} from './gate-types.js';

/** After a closed window, the requests that waited through it go spread over `drainJitterMs`, in their order. */
interface Drain {
  start: number;
  /** Waiters in line when the gate reopened: each gets one slot of `drainJitterMs / count`. */
  count: number;
  granted: number;
  nextAt: number;
}

/** Everything the gate keeps per model. */
interface ModelState {
  state: GateState;
  reopenAt?: number;
  limit: number;
  inFlight: number;
  probeInFlight: boolean;
  // Attempts sent before the window closed fail in a wave; only the first of the wave should move the window.
  closures: number;
  // Overloads in a row since the last success: each one doubles the shortest window.
  streak: number;
  troubledSince?: number;
  drain?: Drain;
  // "Retry now" requests skip the window and go before the line.
  forced: Fifo<Waiter>;
  interactive: Fifo<Waiter>;
  /** Work nobody watches, behind the people: only with the app's `lanes` (priorityLanes()). */
  background?: BackgroundLane;
  snapshot: ModelGateSnapshot;
}

const OPEN_MODEL: ModelGateSnapshot = /* @__PURE__ */ Object.freeze({ state: 'open', limit: 0, inFlight: 0, waiting: 0 });

/** The gate's tunables in one place; `GateOptions` documents each for apps, the comments here say why the value. */
const GATE_DEFAULTS: Required<Omit<GateOptions, 'clock' | 'lanes'>> = {
  // One tab's attempts on the wire, every model together: a bound, not a target (each model's limit adapts below it,
  // halving on overload); the background flood of docs/failover-and-lanes.md is measured at 8.
  maxConcurrency: 8,
  // A model's limit never halves below one attempt, or its requests would wait for ever.
  minConcurrency: 1,
  // After a window, the requests that waited go spread over a second, in their order: sent together they would meet
  // the next 529 together.
  drainJitterMs: 1_000,
  // The shortest window after an overload: a blip is over after one; a refused probe doubles it (5 s, then 10 s make
  // the fallback chain's 15 s afterMs).
  minClosedMs: 5_000,
  // The doubling's ceiling, so a long overload is still probed every 15 s (a longer retry-after still wins).
  maxClosedMs: 15_000,
};

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
  const tuned = { ...GATE_DEFAULTS };
  for (const key of Object.keys(tuned) as Array<keyof typeof tuned>) tuned[key] = options[key] ?? tuned[key];
  const ceiling = Math.max(1, tuned.maxConcurrency);
  const floor = Math.min(ceiling, Math.max(1, tuned.minConcurrency));
  const { drainJitterMs, minClosedMs } = tuned;
  const maxClosedMs = Math.max(minClosedMs, tuned.maxClosedMs);
  const listeners = createListeners();
  const models = new Map<string, ModelState>();

  let inFlight = 0;
  const wakeUp = createAlarm(clock, () => pump());
  let snapshot: GateSnapshot = { state: 'open', limit: ceiling, inFlight: 0, waiting: 0, models: {} };

  function modelOf(name: string): ModelState {
    const known = models.get(name);
    if (known) return known;
    const model: ModelState = {
      state: 'open', limit: ceiling, inFlight: 0, probeInFlight: false, closures: 0, streak: 0,
      forced: createFifo(), interactive: createFifo(), snapshot: OPEN_MODEL,
    };
    model.background = options.lanes?.forModel({
      model,
      room: (background, now) => room(model, background, now),
      grant: (waiter, probe) => waiter.grant(issue(model, probe, true)),
    }, ceiling);
    models.set(name, model);
    return model;
  }

  const waitingIn = (model: ModelState) => model.forced.size + model.interactive.size + (model.background?.line.size ?? 0);

  /** The model as seen from outside: the same object while nothing in it changed. */
  function modelSnapshot(model: ModelState): ModelGateSnapshot {
    const next: ModelGateSnapshot = {
      state: model.state, reopenAt: model.reopenAt, limit: model.limit, inFlight: model.inFlight, waiting: waitingIn(model),
      troubledSince: model.troubledSince, backgroundReopenAt: model.background?.reopenAt,
      peopleWaitUntil: model.background?.peopleWaitUntil,
    };
    if (model.probeInFlight) next.probeInFlight = true;
    if (!sameFields(next, model.snapshot)) model.snapshot = next;
    return model.snapshot;
  }

  function changed(): void {
    let dirty = false;
    let state: GateState = 'open';
    let reopenAt: number | undefined;
    let limit = ceiling;
    let waiting = 0;
    for (const [name, model] of models) {
      const before = model.snapshot;
      const s = modelSnapshot(model);
      if (s !== before || snapshot.models[name] !== s) dirty = true;
      if (s.state === 'closed') {
        state = 'closed';
        reopenAt = reopenAt === undefined ? s.reopenAt : Math.min(reopenAt, s.reopenAt ?? reopenAt);
      } else if (s.state === 'probing' && state === 'open') state = 'probing';
      limit = Math.min(limit, s.limit);
      waiting += s.waiting;
    }
    if (!dirty && snapshot.inFlight === inFlight) return;
    const byName: Record<string, ModelGateSnapshot> = {};
    for (const [name, model] of models) byName[name] = model.snapshot;
    snapshot = { state, reopenAt, limit, inFlight, waiting, models: byName };
    listeners.notify();
  }

  /** A model's window moved: tell each of its waiters the new time (forced waiters are not held by it). */
  function windowMoved(model: ModelState): void {
    model.interactive.forEach((waiter) => waiter.onHold?.(model.reopenAt));
    model.background?.windowMoved(model.state === 'closed', model.reopenAt);
  }

  function issue(model: ModelState, probe: boolean, background: boolean): GatePermit {
    inFlight += 1;
    model.inFlight += 1;
    if (background) model.background!.sent();
    if (probe) model.probeInFlight = true;
    const closuresAtStart = model.closures;
    const level = model.inFlight;
    let released = false;
    return {
      release(outcome) {
        if (released) return;
        released = true;
        inFlight -= 1;
        model.inFlight -= 1;
        if (background) model.background!.ended();
        if (probe) model.probeInFlight = false;
        settle(model, outcome, probe, background, closuresAtStart, level);
        pump();
      },
    };
  }

  function settle(model: ModelState, outcome: GateOutcome, probe: boolean, background: boolean, closuresAtStart: number, level: number): void {
    const now = clock.now();
    if (outcome.ok) {
      model.background?.answered(level, background, now);
      model.streak = 0;
      model.limit = Math.min(ceiling, model.limit + 1);
      // The episode lasts while the model is paced below full speed: its line may still be long.
      if (model.limit >= ceiling) model.troubledSince = undefined;
      if (model.state !== 'open') open(model); // any answer, probe or "Retry now", shows Claude has room again
      return;
    }
    if (!('failure' in outcome) || !isPressure(outcome.failure.kind)) {
      if (probe && model.state === 'probing') open(model); // an unrelated failure says nothing about load: let others try
      return;
    }
    // A refusal the kit handler's line paced (it named the request's place) is the line's clock, not a wave to hold
    // the tab for: the request goes back to its place there, and a window or a cut here would be a second wait on
    // top. The model is troubled all the same (a fallback chain counts its wait from here).
    if (outcome.failure.line !== undefined) {
      model.troubledSince ??= now;
      if (probe && model.state === 'probing') open(model);
      return;
    }
    const staleWave = closuresAtStart !== model.closures && !probe;
    if (staleWave) return;
    const blameBackground = model.state === 'open' && !!model.background?.blame(level, model.inFlight, background, outcome.retryAt, now);
    if (!blameBackground) model.limit = Math.max(floor, Math.floor(model.limit / 2));
    model.troubledSince ??= now;
    const shortest = Math.min(maxClosedMs, minClosedMs * 2 ** model.streak);
    model.streak += 1;
    const until = Math.max(outcome.retryAt ?? 0, now + gateHoldFor(outcome.failure.retryAfterMs), now + shortest);
    model.closures += 1;
    // Blamed on background work (lanes.ts): its lane is held and the people go on, their window left open.
    if (blameBackground) {
      model.background!.hold(until);
    } else {
      model.state = 'closed';
      model.reopenAt = until;
      model.drain = undefined;
    }
    windowMoved(model);
  }

  function slotAt(d: Drain): number {
    return d.start + ((d.granted + clock.random()) * drainJitterMs) / d.count;
  }

  function open(model: ModelState): void {
    model.state = 'open';
    model.reopenAt = undefined;
    model.drain = undefined;
    if (model.interactive.size > 0 && drainJitterMs > 0) {
      model.drain = { start: clock.now(), count: model.interactive.size, granted: 0, nextAt: 0 };
      model.drain.nextAt = slotAt(model.drain);
    }
  }

  /**
   * Room for one more attempt of this model; background keeps one slot free for the people (when there are two),
   * and two of Claude's room once an overload showed where it ends. People wait for a slot under that room only
   * until the retry time of the one who met the 529: never longer than a backoff would have held them.
   */
  const room = (model: ModelState, background: boolean, now: number) => {
    const reserve = background ? 1 : 0;
    const limit = Math.min(model.limit, model.background?.cap(background, now) ?? Infinity);
    return inFlight < Math.max(1, ceiling - reserve) && model.inFlight < Math.max(1, limit - reserve)
      && (!background || model.background!.roomBeyond(inFlight, ceiling));
  };

  /** Lets at most one waiter of this model through; says when to look again if it is waiting for a moment. */
  function admitOne(model: ModelState, now: number, wake: { at?: number }): boolean {
    const soonest = (at: number) => (wake.at = wake.at === undefined ? at : Math.min(wake.at, at));
    if (model.state === 'closed' && model.reopenAt !== undefined && now >= model.reopenAt) {
      model.state = 'probing';
      model.reopenAt = undefined;
      windowMoved(model);
    }
    if (model.forced.size > 0 && inFlight < ceiling && model.inFlight < model.limit) {
      model.forced.shift()!.grant(issue(model, false, false));
      return true;
    }
    if (model.state === 'closed') {
      if (waitingIn(model) > model.forced.size && model.reopenAt !== undefined) soonest(model.reopenAt);
      return false;
    }
    if (model.interactive.size > 0 && room(model, false, now)) {
      if (model.state === 'probing') {
        if (model.probeInFlight) return false;
        model.interactive.shift()!.grant(issue(model, true, false));
        return true;
      }
      const drain = model.drain;
      if (drain) {
        if (now < drain.nextAt) {
          soonest(drain.nextAt);
          return false;
        }
        drain.granted += 1;
        if (drain.granted >= drain.count) model.drain = undefined;
        else drain.nextAt = slotAt(drain);
      }
      model.interactive.shift()!.grant(issue(model, false, false));
      return true;
    }
    return model.background?.admit(now, soonest) ?? false;
  }

  function pump(): void {
    const now = clock.now();
    const wake: { at?: number } = {};
    // Round-robin over the models, one admission each per pass, so one model's crowd cannot starve another's.
    for (let admitted = true; admitted; ) {
      admitted = false;
      for (const model of models.values()) if (admitOne(model, now, wake)) admitted = true;
    }
    // A timer only while someone waits: an idle gate reopens lazily on the next acquire, and never keeps a
    // process (or a test) alive after its app has gone.
    wakeUp(wake.at);
    changed();
  }

  return {
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    snapshotOf(name = '') {
      const model = models.get(name);
      return model ? modelSnapshot(model) : { ...OPEN_MODEL, limit: ceiling };
    },
    retryAt(name, failure, retryAt, background) {
      const model = models.get(name);
      if (!background && model?.background?.yields(failure, clock.now())) return clock.now();
      // The handler's line keeps the turn; otherwise the window may hold everyone longer than the request's own delay
      // (its shortest window, or a wave's retry-after).
      return model?.state === 'closed' && !isLinePaced(failure) ? Math.max(retryAt, model.reopenAt ?? 0) : retryAt;
    },
    acquire({ signal, model: name = '', priority = 'interactive', force = false, onHold, ticket } = {}) {
      return new Promise<GatePermit>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const model = modelOf(name);
        // Background work has a lane of its own only with the app's lanes; without, it waits with the people.
        const lane = priority === 'background' ? model.background : undefined;
        const background = lane !== undefined;
        const ownLine = lane ? lane.line : model.interactive;
        // "Retry now" skips the window for people only: a forced permit is a person's, so background work forced
        // would go ahead of the people and into the slot kept free for them. It keeps its lane.
        if (background) force = false;
        let isForced = force;
        const onAbort = () => {
          (isForced ? model.forced : ownLine).remove(entry);
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
        let entry: FifoEntry<Waiter> = (force ? model.forced : ownLine).push(waiter);
        if (ticket && !background) {
          ticket.expedite = () => {
            if (isForced || !entry.inFifo) return;
            ownLine.remove(entry);
            isForced = true;
            entry = model.forced.push(waiter);
            pump();
          };
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!force && model.state !== 'open') onHold?.(model.reopenAt);
        else if (!force && lane?.reopenAt !== undefined && lane.reopenAt > clock.now()) onHold?.(lane.reopenAt);
        pump();
      });
    },
  };
}
