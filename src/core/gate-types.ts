/** The gate's public face: its options, snapshots, permits and the requests' lanes (the algorithm is in gate.ts). */
import type { Clock } from './clock.js';
import type { ClaudeError } from './failure.js';
import type { Fifo } from './fifo.js';
import type { Subscribable } from './store.js';

export interface GateOptions {
  /** The most attempts the app may have on the wire at once, every model together. Defaults to 8. */
  maxConcurrency?: number;
  /** The least a model's adaptive limit may shrink to. Defaults to 1. */
  minConcurrency?: number;
  /** After a successful probe, the waiting requests are let through spread over this window. Defaults to 1 s. */
  drainJitterMs?: number;
  /**
   * The shortest time a model's window stays closed after an overload. It doubles with each overload in a row (a
   * failed probe says the overload goes on) up to `maxClosedMs`, and falls back after a success. Defaults to 5 s.
   */
  minClosedMs?: number;
  /** The ceiling of that doubling. A longer retry-after still wins. Defaults to 15 s. */
  maxClosedMs?: number;
  /**
   * Priority lanes, `priorityLanes()` from `claude-overload-kit/lanes`: `priority: 'background'` work then waits behind
   * the people, never takes the last free slot and is the first held back when its model is overloaded. Without
   * them the browser gate lets background work through like a person's (the kit handler's line still puts it behind).
   */
  lanes?: GateLanes;
  clock?: Clock;
}

/** A request waiting for a permit, as the gate and its lanes hold it. */
export interface GateWaiter {
  grant(permit: GatePermit): void;
  onHold?: (reopenAt: number | undefined) => void;
}

/** What the gate lends one model's background lane: the model's state, its room, and permits. */
export interface LaneHost {
  readonly model: {
    readonly state: GateState;
    readonly probeInFlight: boolean;
    /** Set while the waiters of a closed window drain (background waits for the end of it). */
    readonly drain?: unknown;
    readonly interactive: { readonly size: number };
  };
  /** Room for one more attempt of the model; `background` with the slots kept free for people. */
  room(background: boolean, now: number): boolean;
  /** Lets `waiter` go as background work (`probe`: the one attempt after a window). */
  grant(waiter: GateWaiter, probe: boolean): void;
}

/** One model's lane for work nobody watches, behind the people (made by {@link GateLanes}). */
export interface BackgroundLane {
  readonly line: Fifo<GateWaiter>;
  /** While background is held back after an overload was blamed on it: until when. */
  readonly reopenAt: number | undefined;
  /** See {@link ModelGateSnapshot.peopleWaitUntil}. */
  readonly peopleWaitUntil: number | undefined;
  /** The most attempts of the model on the wire before one more of this kind may go; Infinity for no cap. */
  cap(background: boolean, now: number): number;
  /** Room for one more background attempt beyond the model's: the app's last slot and background's own limit. */
  roomBeyond(appInFlight: number, ceiling: number): boolean;
  /** A background attempt went, or ended. */
  sent(): void;
  ended(): void;
  /** An attempt of the model (`background`: one of ours) sent with `level` on the wire was answered. */
  answered(level: number, background: boolean, now: number): void;
  /** An overload met with the window open: true when it is blamed on background work (then held until `hold`). */
  blame(level: number, onWire: number, background: boolean, retryAt: number | undefined, now: number): boolean;
  hold(until: number): void;
  /** The model's window moved: tell the background waiters when they may go. */
  windowMoved(closed: boolean, reopenAt: number | undefined): void;
  /** After the people: lets one background waiter through if it may go now; `soonest` when to look again. */
  admit(now: number, soonest: (at: number) => void): boolean;
  /**
   * A person's request met `failure` with the window open: true when it should go again at once, waiting for the next
   * slot that frees rather than a backoff (background filled Claude's room and is held; see {@link Gate.retryAt}).
   */
  yields(failure: ClaudeError, now: number): boolean;
}

/** Priority lanes an app passes to the gate: one background lane per model. */
export interface GateLanes {
  forModel(host: LaneHost, ceiling: number): BackgroundLane;
}

export type GateState = 'open' | 'closed' | 'probing';

/**
 * Who is waiting: a person at the screen (`interactive`, the default) or work nobody watches (`background`:
 * summaries, a backlog, pre-fetching). In a gate with `lanes` (priorityLanes()), background requests go after
 * interactive ones, never take the last free slot, and are the first held back when a model is overloaded.
 */
export type RequestPriority = 'interactive' | 'background';

/** One model's window: Claude's capacity is per model, so an overload of one holds back only its own requests. */
export interface ModelGateSnapshot {
  state: GateState;
  /** While closed: when the window ends and a probe may go. */
  reopenAt?: number;
  /** This model's adaptive concurrency limit now. */
  limit: number;
  inFlight: number;
  waiting: number;
  /**
   * Epoch ms of the first overload of the model's current busy episode, which lasts until its adaptive limit has
   * grown back to `maxConcurrency` (its line may stay long after the window reopened).
   */
  troubledSince?: number;
  /** While background requests of this model are held back after one of them met an overload: until when. */
  backgroundReopenAt?: number;
  /**
   * After a 529 blamed on background work showed where Claude's room ends: until when (at the latest) people wait for
   * a slot under that room instead of a backoff. Past, or absent, when nothing holds them.
   */
  peopleWaitUntil?: number;
  /** While probing: the probe is on the wire (the others wait for its answer). */
  probeInFlight?: boolean;
}

export interface GateSnapshot {
  /** The worst window among the models: `closed` if any is, else `probing` if any is, else `open`. */
  state: GateState;
  /** The earliest reopening among the closed models. */
  reopenAt?: number;
  /** The smallest adaptive limit among the models. */
  limit: number;
  /** Attempts on the wire, every model together (bounded by `maxConcurrency`). */
  inFlight: number;
  /** Requests waiting for a permit, every model together. */
  waiting: number;
  /** Each model's window, by model name; requests without a model are under `''` (the handler's default model). */
  models: Readonly<Record<string, ModelGateSnapshot>>;
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
  /** The model this attempt goes to: each model has its own window. Defaults to `''`, the handler's default model. */
  model?: string;
  /** Defaults to `'interactive'`. */
  priority?: RequestPriority;
  /**
   * "Retry now": skip a closed window (the concurrency limit still applies). Ignored for `background` work, which keeps
   * its lane: behind the people, held while its model is, and out of the slots kept free for them.
   */
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
  /** One model's window (`''` or undefined: requests without a model). A model not seen yet is open. */
  snapshotOf(model?: string): ModelGateSnapshot;
  /**
   * When a request of `model` that met `failure`, its own retry due at `retryAt`, can really go (what its countdown
   * shows): not before the model's window reopens, unless the kit handler's line paces it (its turn there is the one
   * clock); at once where the lanes hold the people under the room Claude showed (`yields`).
   */
  retryAt(model: string, failure: ClaudeError, retryAt: number, background: boolean): number;
}
