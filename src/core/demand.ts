import { alwaysOnline, systemClock, type Clock, type OnlineSource } from './clock.js';
import type { ClaudeError } from './failure.js';
import type { FallbackOffer, OfferScope } from './fallback.js';
import type { Retryer, RetrySnapshot } from './retryer.js';
import { createListeners, type Subscribable } from './store.js';
import { createMinHeap } from './min-heap.js';
import { createAlarm, sameFields } from './util.js';
import { leavesUnavailable } from './rules.js';
import type { DemandLevel, DemandSnapshot, EscalationStage, StatusIncident } from './types.js';

export interface EscalationOptions {
  /** "This is taking longer than usual." Defaults to 30 s. */
  slowMs?: number;
  /** "This is unusual — see the status page." Defaults to 30 min. */
  unusualMs?: number;
  /** "The team has been told." `onEscalate('contact')` is the cue to alert operators. Defaults to 60 min. */
  contactMs?: number;
}

export interface EscalationInfo {
  stage: Exclude<EscalationStage, 'none'>;
  level: DemandLevel;
  /** Epoch ms of the episode's first failure. */
  since: number;
  /** Every request id Claude gave for a failure in this episode, oldest first: what Anthropic support asks for. */
  requestIds: string[];
  /** Failures seen in this episode. */
  failures: number;
}

export interface DemandStoreOptions {
  clock?: Clock;
  online?: OnlineSource;
  escalation?: EscalationOptions;
  /** Called once per stage per episode. */
  onEscalate?: (stage: EscalationInfo['stage'], info: EscalationInfo) => void;
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
  /**
   * Take the fallback on offer (`snapshot.offer`) for every request that has one: their next attempt goes to the
   * offered model at once. `'episode'` (the default here: the person answered for the app) also sends the requests
   * that come while that model's overload lasts; `'request'` only the ones waiting now.
   */
  acceptOffer(scope?: OfferScope): void;
  /** Keep waiting: the requests with an offer stay on their model and are not offered it again. */
  declineOffer(): void;
  setIncident(incident: StatusIncident | undefined): void;
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

const ESCALATING = new Set<DemandLevel>(['busy', 'rate_limited', 'unavailable', 'incident']);
const STAGES = ['slow', 'unusual', 'contact'] as const;

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
  offer?: FallbackOffer;
}

interface Episode {
  since: number;
  /** Request ids in the order first seen (a Set keeps insertion order). */
  requestIds: Set<string>;
  failures: number;
  fired: Set<string>;
  seen: WeakSet<ClaudeError>;
  /** The newest failure seen in the episode and the highest attempt number. */
  latest?: ClaudeError;
  latestRequestId?: string;
  attempt: number;
}

/**
 * One summary of every request of the app, for the banner, the toaster and the app's own alerting.
 *
 * Costs: a request's change updates running totals in O(1) (the earliest next retry in O(log n)); the summary is
 * computed at most once per read or per tick, and subscribers are told once per tick, and only of a real change —
 * so a thousand requests waking in the same millisecond make one render, not a thousand.
 */
export function createDemandStore(options: DemandStoreOptions = {}): DemandStore {
  const clock = options.clock ?? systemClock;
  const online = options.online ?? alwaysOnline;
  const defer = clock.queueMicrotask?.bind(clock) ?? ((callback: () => void) => queueMicrotask(callback));
  const thresholds = {
    slow: options.escalation?.slowMs ?? 30_000,
    unusual: options.escalation?.unusualMs ?? 30 * 60_000,
    contact: options.escalation?.contactMs ?? 60 * 60_000,
  };
  const listeners = createListeners();
  // One timer for the next escalation stage.
  const armEscalation = createAlarm(clock, () => {
    dirty = true;
    flush();
  });
  const tracked = new Map<Retryer<unknown>, Share>();
  const revivers = new Set<() => void>();
  // Requests with a fallback on offer, oldest first: the summary shows the first one's offer.
  const offering = new Map<Retryer<unknown>, FallbackOffer>();
  const nextTimes = createMinHeap<{ at: number; share: Share }>((a, b) => a.at - b.at);
  const totals = { troubled: 0, paused: 0, sending: 0, troubledSending: 0, rateLimited: 0, troubledBackground: 0 };
  // Failures of troubled requests since the last computation: counted into the episode once it is known.
  let fresh: Array<{ failure?: ClaudeError; attempt: number }> = [];

  let snapshot: DemandSnapshot = NORMAL_DEMAND;
  let notified: DemandSnapshot = NORMAL_DEMAND;
  let dirty = false;
  let flushQueued = false;
  let incident: StatusIncident | undefined;
  let gaveUp: ClaudeError | undefined;
  let episode: Episode | undefined;
  let toFire: { level: DemandLevel; stage: EscalationStage } | undefined;
  // How the episode's last troubled request ended: Claude answered it, or the person stopped it.
  let ending: 'answered' | 'stopped' | undefined;

  // Subscribed lazily so a store that was disposed (StrictMode's rehearsal unmount) comes back to life on use.
  let stopOnline: (() => void) | undefined;
  const watchOnline = () => {
    stopOnline ??= online.subscribe(invalidate);
  };

  function invalidate(): void {
    dirty = true;
    if (flushQueued) return;
    flushQueued = true;
    defer(flush);
  }

  /** Once per tick: bring the summary up to date, fire escalations, tell subscribers if it changed. */
  function flush(): void {
    flushQueued = false;
    if (dirty) compute();
    const fire = toFire;
    toFire = undefined;
    if (fire) fireEscalations(fire.level, fire.stage);
    if (snapshot !== notified) {
      notified = snapshot;
      listeners.notify();
    }
  }

  function add(share: Share, sign: 1 | -1): void {
    if (share.troubled) totals.troubled += sign;
    if (share.troubled && share.background) totals.troubledBackground += sign;
    if (share.paused) totals.paused += sign;
    if (share.sending) totals.sending += sign;
    if (share.troubled && share.sending) totals.troubledSending += sign;
    if (share.rateLimited) totals.rateLimited += sign;
  }

  /** A request that leaves the episode takes its failure out of the headline (another waiting one's is no older). */
  function forget(share: Share): void {
    if (episode && share.troubled && share.failure === episode.latest) episode.latest = undefined;
  }

  function refresh(share: Share, s: RetrySnapshot): void {
    const troubled = isTroubled(s);
    if (!troubled) forget(share);
    add(share, -1);
    share.troubled = troubled;
    share.paused = s.phase === 'paused';
    share.sending = s.phase === 'sending';
    share.rateLimited = troubled && s.phase === 'waiting' && s.failure?.kind === 'rate_limited';
    const nextAt = troubled ? s.nextAttemptAt : undefined;
    if (nextAt !== undefined && nextAt !== share.nextAt) nextTimes.push({ at: nextAt, share });
    share.nextAt = nextAt;
    if (troubled) fresh.push({ failure: s.failure !== share.failure ? s.failure : undefined, attempt: s.attempt });
    share.failure = s.failure;
    add(share, 1);
    invalidate();
  }

  /** The earliest next attempt among troubled requests; stale heap entries are dropped as they surface. */
  function earliestNext(): number | undefined {
    for (let top = nextTimes.peek(); top; top = nextTimes.peek()) {
      if (top.share.nextAt === top.at && top.share.troubled) return top.at;
      nextTimes.pop();
    }
    return undefined;
  }

  function observe(failure: ClaudeError | undefined, attempt: number): void {
    if (!episode) return;
    episode.attempt = Math.max(episode.attempt, attempt);
    if (!failure || episode.seen.has(failure)) return;
    episode.seen.add(failure);
    episode.failures += 1;
    episode.latest = failure;
    if (failure.requestId) {
      episode.latestRequestId = failure.requestId;
      episode.requestIds.add(failure.requestId);
    }
  }

  function compute(): void {
    dirty = false;
    const now = clock.now();
    let level: DemandLevel = 'normal';
    if (!online.isOnline() || totals.paused > 0) level = 'offline';
    else if (gaveUp) level = 'unavailable';
    // A resolved incident is no news while the person's own requests still wait: "the disruption is over" beside
    // "Retrying in 4 s" says two things at once. Their wait is what they are told until it ends.
    else if (incident && !(incident.status === 'resolved' && totals.troubled > totals.troubledBackground)) level = 'incident';
    else if (totals.rateLimited > 0) level = 'rate_limited';
    else if (totals.troubled > 0) level = 'busy';

    const inEpisode = level !== 'normal' && (totals.troubled > 0 || gaveUp !== undefined);
    if (inEpisode && !episode) ending = undefined;
    if (!inEpisode) episode = undefined;
    if (totals.troubled === 0) nextTimes.clear(); // every entry is stale: none may pile up between episodes
    else episode ??= { since: now, requestIds: new Set(), failures: 0, fired: new Set(), seen: new WeakSet(), attempt: 0 };
    for (const { failure, attempt } of fresh) observe(failure, attempt);
    fresh = [];
    observe(gaveUp, 1);

    // The stage reached, and when the next one comes (one timer for it, re-armed only when that moment changes).
    let escalation: EscalationStage = 'none';
    let nextStageAt: number | undefined;
    if (episode && ESCALATING.has(level)) {
      for (const stage of STAGES) {
        const at = episode.since + thresholds[stage];
        if (at <= now) escalation = stage;
        else nextStageAt ??= at;
      }
      if (escalation !== 'none') toFire = { level, stage: escalation };
    }
    armEscalation(nextStageAt);

    const latest = gaveUp ?? episode?.latest;
    const nextAt = level === 'normal' ? undefined : earliestNext();
    const backgroundOnly = totals.troubled > 0 && totals.troubledBackground === totals.troubled;
    const calmAgain = snapshot.level === 'normal' ? snapshot : ending === 'answered' ? RECOVERED_DEMAND : NORMAL_DEMAND;
    const next: DemandSnapshot =
      level === 'normal'
        ? calmAgain
        : {
            level,
            since: episode?.since,
            nextAttemptAt: nextAt,
            waiting: totals.troubled - totals.troubledSending,
            inFlight: totals.sending,
            retrying: totals.troubledSending > 0,
            attempt: Math.max(episode?.attempt ?? 0, gaveUp ? 1 : 0),
            lastFailureKind: latest?.kind,
            lastRequestId: gaveUp?.requestId ?? episode?.latestRequestId,
            // A place in line is the person's only while a request of theirs is in the episode: told of background
            // work's place, "You're in line" would be about a wait nobody at the screen has.
            ...(level === 'busy' && latest?.line && !backgroundOnly && { line: latest.line }),
            escalation,
            incident,
            ...(offering.size > 0 ? { offer: offering.values().next().value } : {}),
            ...(backgroundOnly && { backgroundOnly }),
          };
    if (!sameFields(next, snapshot)) snapshot = next;
  }

  function fireEscalations(level: DemandLevel, reached: EscalationStage): void {
    if (!episode) return;
    for (const stage of STAGES) {
      if (!episode.fired.has(stage)) {
        episode.fired.add(stage);
        options.onEscalate?.(stage, {
          stage,
          level,
          since: episode.since,
          requestIds: [...episode.requestIds],
          failures: episode.failures,
        });
      }
      if (stage === reached) return;
    }
  }

  function untrack(retryer: Retryer<unknown>): void {
    offering.delete(retryer);
    const share = tracked.get(retryer);
    if (!share) return;
    forget(share);
    share.unsubscribe();
    add(share, -1);
    share.troubled = false;
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
    track(retryer, background) {
      watchOnline();
      const share: Share = { unsubscribe: () => {}, troubled: false, paused: false, sending: false, rateLimited: false, background };
      share.unsubscribe = retryer.subscribe(() => {
        const s = retryer.getSnapshot();
        const { phase, failure } = s;
        if (phase === 'succeeded') gaveUp = undefined;
        if (episode && (s.waited || s.attempt > 1)) {
          if (phase === 'succeeded' || s.responding) ending = 'answered';
          else if (phase === 'failed') ending = 'stopped';
        }
        if (phase === 'failed' && failure && leavesUnavailable(failure.kind, failure.retryable)) gaveUp = failure;
        // An offer asks the person; background work's is not theirs to take (nor its place in line, see compute).
        if (s.offer && !background) offering.set(retryer, s.offer);
        else offering.delete(retryer);
        if (phase === 'succeeded' || phase === 'failed') untrack(retryer);
        else refresh(share, s);
        invalidate();
      });
      tracked.set(retryer, share);
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
      return () => {
        revivers.delete(revive);
      };
    },
    cancel() {
      ending = 'stopped';
      // The person's button, like "Retry now": it stops the waits they started, not the app's background jobs.
      for (const [retryer, share] of [...tracked]) if (share.troubled && !share.background) retryer.cancel();
      gaveUp = undefined;
      invalidate();
    },
    acceptOffer(scope = 'episode') {
      for (const retryer of [...offering.keys()]) retryer.acceptOffer(scope);
    },
    declineOffer() {
      for (const retryer of [...offering.keys()]) retryer.declineOffer();
    },
    dismiss() {
      ending = 'stopped';
      gaveUp = undefined;
      invalidate();
    },
    setIncident(next) {
      incident = next;
      invalidate();
    },
    dispose() {
      for (const retryer of [...tracked.keys()]) {
        untrack(retryer);
        retryer.cancel();
      }
      armEscalation(undefined);
      stopOnline?.();
      stopOnline = undefined;
    },
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
