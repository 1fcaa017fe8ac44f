import { alwaysOnline, systemClock, type Clock, type OnlineSource } from './clock.js';
import type { ClaudeError } from './failure.js';
import type { Retryer, RetrySnapshot } from './retryer.js';
import { createListeners, type Subscribable } from './store.js';
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
  /** Follow a request until it settles. Returns a function that stops following it early. */
  track(retryer: Retryer<unknown>): () => void;
  /** "Retry now" for every waiting request, and a new try for every request given up on (see `onRevive`). */
  retryNow(): void;
  /**
   * Registers how to try a given-up request again (its owner re-sends it: a hook's last request, a query's refetch),
   * so "Retry now" on an `unavailable` notice really tries again. Returns a function that unregisters it.
   */
  onRevive(revive: () => void): () => void;
  /** Cancel every request that is waiting or paused. */
  cancel(): void;
  /** Clear an `unavailable` state after the person has read it. */
  dismiss(): void;
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

/** One summary of every request of the app, for the banner, the toaster and the app's own alerting. */
export function createDemandStore(options: DemandStoreOptions = {}): DemandStore {
  const clock = options.clock ?? systemClock;
  const online = options.online ?? alwaysOnline;
  const thresholds = {
    slow: options.escalation?.slowMs ?? 30_000,
    unusual: options.escalation?.unusualMs ?? 30 * 60_000,
    contact: options.escalation?.contactMs ?? 60 * 60_000,
  };
  const listeners = createListeners();
  const tracked = new Map<Retryer<unknown>, () => void>();
  const revivers = new Set<() => void>();

  let snapshot: DemandSnapshot = NORMAL_DEMAND;
  let incident: StatusIncident | undefined;
  let gaveUp: ClaudeError | undefined;
  let episode: { since: number; requestIds: string[]; failures: number; fired: Set<string>; seen: WeakSet<ClaudeError> } | undefined;
  let timer: unknown;
  // How the episode's last troubled request ended: Claude answered it, or the person stopped it.
  let ending: 'answered' | 'stopped' | undefined;

  // Subscribed lazily so a store that was disposed (StrictMode's rehearsal unmount) comes back to life on use.
  let stopOnline: (() => void) | undefined;
  const watchOnline = () => {
    stopOnline ??= online.subscribe(() => recompute());
  };

  function observe(failure: ClaudeError | undefined): void {
    if (!failure || !episode || episode.seen.has(failure)) return;
    episode.seen.add(failure);
    episode.failures += 1;
    if (failure.requestId && !episode.requestIds.includes(failure.requestId)) episode.requestIds.push(failure.requestId);
  }

  function recompute(): void {
    const now = clock.now();
    const states: RetrySnapshot[] = [...tracked.keys()].map((r) => r.getSnapshot());
    const troubled = states.filter(isTroubled);
    const offline = !online.isOnline() || states.some((s) => s.phase === 'paused');

    let level: DemandLevel = 'normal';
    if (offline) level = 'offline';
    else if (gaveUp) level = 'unavailable';
    else if (incident) level = 'incident';
    else if (troubled.some((s) => s.phase === 'waiting' && s.failure?.kind === 'rate_limited')) level = 'rate_limited';
    else if (troubled.length > 0) level = 'busy';

    const inEpisode = level !== 'normal' && (troubled.length > 0 || gaveUp !== undefined);
    if (inEpisode && !episode) ending = undefined;
    if (!inEpisode) episode = undefined;
    else episode ??= { since: now, requestIds: [], failures: 0, fired: new Set(), seen: new WeakSet() };
    for (const s of troubled) observe(s.failure);
    observe(gaveUp);

    let escalation: EscalationStage = 'none';
    if (episode && ESCALATING.has(level)) {
      for (const stage of STAGES) if (now - episode.since >= thresholds[stage]) escalation = stage;
      fireEscalations(level, escalation);
    }
    scheduleEscalation(level);

    const waitingTimes = troubled.map((s) => s.nextAttemptAt).filter((t): t is number => t !== undefined);
    const failures = [...troubled.map((s) => s.failure), gaveUp].filter((f): f is ClaudeError => f !== undefined);
    const latest = failures.at(-1);
    const calmAgain = snapshot.level === 'normal' ? snapshot : ending === 'answered' ? RECOVERED_DEMAND : NORMAL_DEMAND;
    const next: DemandSnapshot =
      level === 'normal'
        ? calmAgain
        : {
            level,
            since: episode?.since,
            nextRetryAt: waitingTimes.length > 0 ? Math.min(...waitingTimes) : undefined,
            waiting: troubled.filter((s) => s.phase !== 'sending').length,
            inFlight: states.filter((s) => s.phase === 'sending').length,
            retrying: troubled.some((s) => s.phase === 'sending'),
            attempt: Math.max(0, ...troubled.map((s) => s.attempt), gaveUp ? 1 : 0),
            lastFailureKind: latest?.kind,
            lastRequestId: [...failures].reverse().find((f) => f.requestId)?.requestId ?? episode?.requestIds.at(-1),
            escalation,
            incident,
          };
    if (!shallowEqual(next, snapshot)) {
      snapshot = next;
      listeners.notify();
    }
  }

  function fireEscalations(level: DemandLevel, reached: EscalationStage): void {
    if (!episode || reached === 'none') return;
    for (const stage of STAGES.slice(0, STAGES.indexOf(reached) + 1)) {
      if (episode.fired.has(stage)) continue;
      episode.fired.add(stage);
      options.onEscalate?.(stage, {
        stage,
        level,
        since: episode.since,
        requestIds: [...episode.requestIds],
        failures: episode.failures,
      });
    }
  }

  function scheduleEscalation(level: DemandLevel): void {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (!episode || !ESCALATING.has(level)) return;
    const pending = STAGES.map((stage) => episode!.since + thresholds[stage]).filter((at) => at > clock.now());
    if (pending.length === 0) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      recompute();
    }, Math.min(...pending) - clock.now());
  }

  function untrack(retryer: Retryer<unknown>): void {
    tracked.get(retryer)?.();
    tracked.delete(retryer);
  }

  return {
    subscribe(listener) {
      watchOnline();
      return listeners.subscribe(listener);
    },
    getSnapshot: () => snapshot,
    track(retryer) {
      watchOnline();
      const unsubscribe = retryer.subscribe(() => {
        const { phase, failure, waited, attempt, responding } = retryer.getSnapshot();
        if (phase === 'succeeded') gaveUp = undefined;
        if (episode && (waited || attempt > 1)) {
          if (phase === 'succeeded' || responding) ending = 'answered';
          else if (phase === 'failed') ending = 'stopped';
        }
        if (phase === 'failed' && failure && failure.kind !== 'aborted' && (failure.retryable || failure.kind === 'spend_limited')) {
          gaveUp = failure;
        }
        if (phase === 'succeeded' || phase === 'failed') untrack(retryer);
        recompute();
      });
      tracked.set(retryer, unsubscribe);
      recompute();
      return () => {
        untrack(retryer);
        recompute();
      };
    },
    retryNow() {
      gaveUp = undefined;
      for (const retryer of [...tracked.keys()]) retryer.retryNow();
      for (const revive of [...revivers]) revive();
      recompute();
    },
    onRevive(revive) {
      revivers.add(revive);
      return () => {
        revivers.delete(revive);
      };
    },
    cancel() {
      ending = 'stopped';
      for (const retryer of [...tracked.keys()]) if (isTroubled(retryer.getSnapshot())) retryer.cancel();
      gaveUp = undefined;
      recompute();
    },
    dismiss() {
      ending = 'stopped';
      gaveUp = undefined;
      recompute();
    },
    setIncident(next) {
      incident = next;
      recompute();
    },
    dispose() {
      for (const retryer of [...tracked.keys()]) {
        untrack(retryer);
        retryer.cancel();
      }
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
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

function shallowEqual(a: DemandSnapshot, b: DemandSnapshot): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof DemandSnapshot>;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
