import { alwaysOnline, systemClock, type Clock, type OnlineSource } from './clock.js';
import type { ClaudeError } from './failure.js';
import type { Retryer, RetrySnapshot } from './retryer.js';
import { createListeners, type Subscribable } from './store.js';
import { createMinHeap } from './min-heap.js';
import { sameFields } from './util.js';
import { leavesUnavailable } from './rules.js';
import type { DemandLevel, DemandSnapshot } from './types.js';

export interface DemandStoreOptions {
  clock?: Clock;
  online?: OnlineSource;
}

/** The busy episode the summary is in, as features that follow an episode (escalation) read it. */
export interface DemandEpisode {
  /** Epoch ms of the episode's first failure. */
  readonly since: number;
  /** Every request id Claude gave for a failure in this episode, oldest first: what Anthropic support asks for. */
  readonly requestIds: ReadonlySet<string>;
  /** Failures seen in this episode. */
  readonly failures: number;
}

/** What the summary tells an extension while it computes. */
export interface RefineContext {
  now: number;
  /** Undefined between episodes. */
  episode?: DemandEpisode;
  /** A request the person waits for (not background work) is in the episode. */
  personal: boolean;
}

/** How a feature (see `ClaudeFeature`) adds its part to the summary. Every hook is optional. */
export interface DemandExtension {
  /** Adjusts the summary being computed, in place: its level, `escalation`, `incident`, `offer`. */
  refine?(draft: DemandSnapshot, context: RefineContext): void;
  /** A followed request changed; `undefined` once it settled or is no longer followed. */
  follow?(retryer: Retryer<unknown>, snapshot: RetrySnapshot | undefined, background: boolean): void;
  /** The summary is up to date (once per tick, before subscribers hear of a change). */
  settled?(snapshot: DemandSnapshot): void;
  /** The store was disposed: stop timers. The extension stays, as the store may be used again. */
  dispose?(): void;
}

export interface DemandStore extends Subscribable<DemandSnapshot> {
  /**
   * Follow a request until it settles. Returns a function that stops following it early. `background`: work nobody
   * watches (`priority: 'background'`), which the app-wide "Retry now" leaves to the gate and "Cancel" leaves running.
   * Defaults to false.
   */
  track(retryer: Retryer<unknown>, background?: boolean): () => void;
  /**
   * "Retry now" for every waiting request but background work, and a new try for every request given up on (see
   * `onRevive`).
   */
  retryNow(): void;
  /**
   * Registers how to try a given-up request again (its owner re-sends it: a hook's last request, a query's refetch),
   * so "Retry now" on an `unavailable` notice really tries again. Returns a function that unregisters it.
   */
  onRevive(revive: () => void): () => void;
  /** Cancel every request that is waiting or paused, but background work (its own `cancel()` stops it). */
  cancel(): void;
  /** Clear an `unavailable` state after the person has read it. */
  dismiss(): void;
  /** Adds a feature's part to the summary; returns a function that takes it out. */
  extend(extension: DemandExtension): () => void;
  /** Something an extension reads changed: compute the summary again (once, in the next tick). */
  invalidate(): void;
  /** Stop timers and cancel every tracked request (the provider unmounted). */
  dispose(): void;
}

/** The summary while all is well: also what the server renders, and a starting point for stories and tests. */
export const NORMAL_DEMAND: DemandSnapshot = Object.freeze({
  level: 'normal',
  waiting: 0,
  inFlight: 0,
  retrying: false,
  attempt: 0,
  escalation: 'none',
}) as DemandSnapshot;

/** Normal again, after an episode that ended with Claude answering: the cue for "Back to normal". */
const RECOVERED_DEMAND: DemandSnapshot = Object.freeze({ ...NORMAL_DEMAND, recovered: true });

/** What one tracked request adds to the summary; kept so a change costs a subtraction and an addition. */
interface Share {
  unsubscribe: () => void;
  troubled: boolean;
  paused: boolean;
  sending: boolean;
  rateLimited: boolean;
  background?: boolean;
  /** The next attempt time while troubled (what `nextAttemptAt` is the earliest of). */
  nextAt?: number;
  failure?: ClaudeError;
}

interface Episode extends DemandEpisode {
  requestIds: Set<string>;
  failures: number;
  seen: WeakSet<ClaudeError>;
  /** The newest failure seen in the episode and the highest attempt number. */
  latest?: ClaudeError;
  latestRequestId?: string;
  attempt: number;
}

/**
 * One summary of every request of the app, for the banner, the toaster and the app's own alerting: level, kind, wait,
 * place in line. Escalation, the status page's incident and fallback offers are extensions (features) on top.
 *
 * Costs: a request's change updates running totals in O(1) (the earliest next attempt in O(log n)); the summary is
 * computed at most once per read or per tick, and subscribers are told once per tick, and only of a real change —
 * so a thousand requests waking in the same millisecond make one render, not a thousand.
 */
export function createDemandStore(options: DemandStoreOptions = {}): DemandStore {
  const { clock = systemClock, online = alwaysOnline } = options;
  const defer = clock.queueMicrotask?.bind(clock) ?? ((callback: () => void) => queueMicrotask(callback));
  const listeners = createListeners();
  const extensions = new Set<DemandExtension>();
  const tracked = new Map<Retryer<unknown>, Share>();
  const revivers = new Set<() => void>();
  const tally = createTally();
  const totals = tally.totals;
  let snapshot = NORMAL_DEMAND;
  let notified = NORMAL_DEMAND;
  let dirty = false;
  let flushQueued = false;
  let gaveUp: ClaudeError | undefined;
  let episode: Episode | undefined;
  // How the episode's last troubled request ended: Claude answered it, or the person stopped it.
  let ending: 'answered' | 'stopped' | undefined;
  // Subscribed lazily so a store that was disposed (StrictMode's rehearsal unmount) comes back to life on use.
  let stopOnline: (() => void) | undefined;
  const watchOnline = () => void (stopOnline ??= online.subscribe(invalidate));

  function invalidate(): void {
    dirty = true;
    if (flushQueued) return;
    flushQueued = true;
    defer(flush);
  }

  /** Once per tick: bring the summary up to date, let extensions act on it, tell subscribers if it changed. */
  function flush(): void {
    flushQueued = false;
    if (dirty) compute();
    for (const extension of [...extensions]) extension.settled?.(snapshot);
    if (snapshot !== notified) {
      notified = snapshot;
      listeners.notify();
    }
  }

  function refresh(share: Share, s: RetrySnapshot): void {
    if (!isTroubled(s)) forget(episode, share);
    tally.refresh(share, s);
    invalidate();
  }

  function compute(): void {
    dirty = false;
    const inEpisode = totals.troubled > 0 || gaveUp !== undefined;
    if (inEpisode && !episode) ending = undefined;
    if (totals.troubled === 0) tally.clear(); // every entry is stale: none may pile up between episodes
    if (!inEpisode || totals.troubled > 0) episode = inEpisode ? (episode ?? newEpisode(clock.now())) : undefined;
    for (const { failure, attempt } of tally.drain()) observe(episode, failure, attempt);
    observe(episode, gaveUp, 1);

    const latest = gaveUp ?? episode?.latest;
    const personal = totals.troubled > totals.troubledBackground;
    const draft = draftOf(online.isOnline(), totals, gaveUp, episode, tally.earliestNext());
    for (const extension of extensions) extension.refine?.(draft, { now: clock.now(), episode, personal });
    // A place in line is the person's only while a request of theirs is in the episode: told of background work's
    // place, "You're in line" would be about a wait nobody at the screen has.
    if (draft.level === 'busy' && latest?.line && personal) draft.line = latest.line;
    const calm = snapshot.level === 'normal' ? snapshot : ending === 'answered' ? RECOVERED_DEMAND : NORMAL_DEMAND;
    const next = draft.level === 'normal' ? calm : draft;
    if (!sameFields(next, snapshot)) snapshot = next;
  }

  function follow(retryer: Retryer<unknown>, s: RetrySnapshot | undefined, background = false): void {
    for (const extension of extensions) extension.follow?.(retryer, s, background);
  }

  function stopped(): void {
    ending = 'stopped';
    gaveUp = undefined;
    invalidate();
  }

  function untrack(retryer: Retryer<unknown>): void {
    const share = tracked.get(retryer);
    follow(retryer, undefined);
    if (!share) return;
    forget(episode, share);
    share.unsubscribe();
    tally.remove(share);
    tracked.delete(retryer);
    invalidate();
  }

  return {
    subscribe(listener) {
      watchOnline();
      return listeners.subscribe(listener);
    },
    getSnapshot() {
      if (dirty) compute();
      return snapshot;
    },
    track(retryer, background = false) {
      watchOnline();
      const share: Share = { unsubscribe: () => {}, troubled: false, paused: false, sending: false, rateLimited: false, background };
      share.unsubscribe = retryer.subscribe(() => {
        const s = retryer.getSnapshot();
        const { phase, failure } = s;
        if (phase === 'succeeded') gaveUp = undefined;
        if (episode) ending = endingOf(s) ?? ending;
        if (phase === 'failed' && failure && leavesUnavailable(failure.kind, failure.retryable)) gaveUp = failure;
        follow(retryer, s, background);
        if (phase === 'succeeded' || phase === 'failed') untrack(retryer);
        else refresh(share, s);
        invalidate();
      });
      tracked.set(retryer, share);
      follow(retryer, retryer.getSnapshot(), background);
      refresh(share, retryer.getSnapshot());
      return () => untrack(retryer);
    },
    retryNow() {
      gaveUp = undefined;
      // The person's button: forcing background work too would send a backlog past the closed window, and ahead of
      // the person's own request in the gate's line.
      for (const [retryer, share] of [...tracked]) if (!share.background) retryer.retryNow();
      for (const revive of [...revivers]) revive();
      invalidate();
    },
    onRevive(revive) {
      revivers.add(revive);
      return () => void revivers.delete(revive);
    },
    cancel() {
      // The person's button, like "Retry now": it stops the waits they started, not the app's background jobs.
      for (const [retryer, share] of [...tracked]) if (share.troubled && !share.background) retryer.cancel();
      stopped();
    },
    dismiss: stopped,
    extend(extension) {
      extensions.add(extension);
      invalidate();
      return () => void (extensions.delete(extension), extension.dispose?.(), invalidate());
    },
    invalidate,
    dispose() {
      for (const retryer of [...tracked.keys()]) {
        untrack(retryer);
        retryer.cancel();
      }
      for (const extension of extensions) extension.dispose?.();
      stopOnline?.();
      stopOnline = undefined;
    },
  };
}

type Totals = ReturnType<typeof createTally>['totals'];

/** The summary before extensions refine it. */
function draftOf(isOnline: boolean, totals: Totals, gaveUp: ClaudeError | undefined, episode: Episode | undefined, nextAt: number | undefined): DemandSnapshot {
  let level: DemandLevel = 'normal';
  if (!isOnline || totals.paused > 0) level = 'offline';
  else if (gaveUp) level = 'unavailable';
  else if (totals.rateLimited > 0) level = 'rate_limited';
  else if (totals.troubled > 0) level = 'busy';
  const latest = gaveUp ?? episode?.latest;
  const backgroundOnly = totals.troubled > 0 && totals.troubled === totals.troubledBackground;
  return {
    level,
    since: episode?.since,
    nextAttemptAt: nextAt,
    waiting: totals.troubled - totals.troubledSending,
    inFlight: totals.sending,
    retrying: totals.troubledSending > 0,
    attempt: Math.max(episode?.attempt ?? 0, gaveUp ? 1 : 0),
    lastFailureKind: latest?.kind,
    lastRequestId: gaveUp?.requestId ?? episode?.latestRequestId,
    escalation: 'none',
    ...(backgroundOnly && { backgroundOnly }),
  };
}

const newEpisode = (since: number): Episode => ({ since, requestIds: new Set(), failures: 0, seen: new WeakSet(), attempt: 0 });

/** How a request's change ends its part in the episode: Claude answered it, or it stopped (nothing while it waits). */
function endingOf(s: RetrySnapshot): 'answered' | 'stopped' | undefined {
  if (!s.waited && s.attempt <= 1) return undefined;
  if (s.phase === 'succeeded' || s.responding) return 'answered';
  return s.phase === 'failed' ? 'stopped' : undefined;
}

/** A request that leaves the episode takes its failure out of the headline (another waiting one's is no older). */
function forget(episode: Episode | undefined, share: Share): void {
  if (episode && share.troubled && share.failure === episode.latest) episode.latest = undefined;
}

function observe(episode: Episode | undefined, failure: ClaudeError | undefined, attempt: number): void {
  if (!episode) return;
  episode.attempt = Math.max(episode.attempt, attempt);
  if (!failure || episode.seen.has(failure)) return;
  episode.seen.add(failure);
  episode.failures += 1;
  episode.latest = failure;
  if (failure.requestId) episode.requestIds.add((episode.latestRequestId = failure.requestId));
}

/** Running totals over the tracked requests, and the earliest next attempt among the troubled ones. */
function createTally() {
  const nextTimes = createMinHeap<{ at: number; share: Share }>((a, b) => a.at - b.at);
  const totals = { troubled: 0, paused: 0, sending: 0, troubledSending: 0, rateLimited: 0, troubledBackground: 0 };
  // Failures of troubled requests since the last computation: counted into the episode once it is known.
  let fresh: Array<{ failure?: ClaudeError; attempt: number }> = [];
  const add = (share: Share, sign: 1 | -1) => {
    if (share.troubled) totals.troubled += sign;
    if (share.troubled && share.background) totals.troubledBackground += sign;
    if (share.paused) totals.paused += sign;
    if (share.sending) totals.sending += sign;
    if (share.troubled && share.sending) totals.troubledSending += sign;
    if (share.rateLimited) totals.rateLimited += sign;
  };
  return {
    totals,
    /** Counts the request's new state. */
    refresh(share: Share, s: RetrySnapshot): void {
      const troubled = isTroubled(s);
      add(share, -1);
      share.troubled = troubled;
      share.paused = s.phase === 'paused';
      share.sending = s.phase === 'sending';
      // Its retry in flight is still a rate-limited request's: the banner keeps saying so, not "busy" for the attempt.
      share.rateLimited = troubled && s.failure?.kind === 'rate_limited';
      const nextAt = troubled ? s.nextAttemptAt : undefined;
      if (nextAt !== undefined && nextAt !== share.nextAt) nextTimes.push({ at: nextAt, share });
      share.nextAt = nextAt;
      if (troubled) fresh.push({ failure: s.failure !== share.failure ? s.failure : undefined, attempt: s.attempt });
      share.failure = s.failure;
      add(share, 1);
    },
    /** The new failures and attempts of troubled requests since the last call. */
    drain() {
      const drained = fresh;
      fresh = [];
      return drained;
    },
    remove(share: Share) {
      add(share, -1);
      share.troubled = false;
    },
    /** Stale heap entries are dropped as they surface. */
    earliestNext(): number | undefined {
      for (let top = nextTimes.peek(); top; top = nextTimes.peek()) {
        if (top.share.nextAt === top.at && top.share.troubled) return top.at;
        nextTimes.pop();
      }
      return undefined;
    },
    clear: () => nextTimes.clear(),
  };
}

/**
 * A request that is part of a busy episode: waiting to retry, paused offline, or sending after a wait (a retry, or the
 * gate's probe) and not yet answering (once a retried stream's text flows, Claude is answering again).
 */
function isTroubled(s: RetrySnapshot): boolean {
  const retried = s.attempt > 1 || s.waited === true;
  return s.phase === 'waiting' || s.phase === 'paused' || (s.phase === 'sending' && retried && !s.responding);
}
