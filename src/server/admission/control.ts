/**
 * The line's decisions, as pure state driven by events and the time: may a call go now (alone, as a probe?), and what
 * Claude's answers do to the limit and the window. The in-process line keeps it in memory; the Redis store keeps the
 * same state in Redis (redis-admission.ts, a port checked against this file event by event), so the whole fleet
 * paces Claude together.
 *
 * Below one call (limit.ts), the line paces: after a call ends it waits the typical call's duration × (1/limit − 1),
 * so one call is in flight `limit` of the time. The typical duration is a moving average of the calls Claude
 * answered (a refusal comes back in a round trip and would leave no pause at all). There, a refusal only cuts: the
 * pause is the backoff, and the window closes only in a flood.
 */
import { createAdaptiveLimit, type AdaptiveLimit, type AdaptiveLimitOptions, type RefusalVerdict, type SentCall } from './limit.js';
import { LINE_TUNING } from './defaults.js';

export interface LineControlOptions {
  limit?: AdaptiveLimitOptions;
  /** The shortest closed window after a wave of refusals; it doubles while probes are refused. Defaults to 1000 ms. */
  minClosedMs?: number;
  /** The ceiling of that doubling (a longer retry-after from Claude still wins): one probe at least this often while Claude refuses. Defaults to 2000 ms. */
  maxClosedMs?: number;
}

/** `createLineControl`'s defaults: the closed window's figures from the tuning sheet (LINE_TUNING, defaults.ts). */
export const CONTROL_DEFAULTS = { minClosedMs: LINE_TUNING.minClosedMs, maxClosedMs: LINE_TUNING.maxClosedMs } as const;

export type LineState = 'open' | 'closed' | 'probing';

/** A call on the wire: what the limit needs, and whether it is the probe. */
export interface ControlCall extends SentCall {
  readonly probe: boolean;
  /** Which probe it is: an old probe still on the wire (a long answer) must not stand for a later window's. */
  readonly probeId: number;
  /** When it left: how long calls take sets the pause between calls below one call. */
  readonly sentAt: number;
}

export interface LineControl {
  /** `go`, `probe` (the window just ended: one call alone), or `wait` (closed, a probe out, or the limit full). */
  turn(now: number): 'go' | 'probe' | 'wait';
  /** A call leaves now (after `turn` said it may). */
  send(probe: boolean, now: number): ControlCall;
  /**
   * Claude took the call (answered, or has not refused it for a while). `binding`: others were waiting; `backlogMs`:
   * for how long someone has been waiting (below one call, the limit grows faster the longer it is).
   */
  accepted(call: ControlCall, binding: boolean, now: number, backlogMs?: number): void;
  /** Claude refused the call (529, rate-limit 429). `backlogMs`: how long the line has had someone waiting. */
  refused(call: ControlCall, now: number, retryAfterMs?: number, backlogMs?: number): RefusalVerdict;
  /** The call's slot is free again; once per call, before `accepted` or `refused` when they come with the answer. */
  finish(call: ControlCall, now: number): void;
  readonly state: LineState;
  /** While closed: when the window ends. */
  readonly reopenAt: number;
  /**
   * Since when the window has not been open (closed, then probing), -Infinity while it is open: the line has not
   * moved since then because Claude refused it, which says nothing of the pace at which it moves (line.ts).
   */
  readonly stalledSince: number;
  /** When a `wait` with no call in flight ends (the closed window, or the pause between paced calls). */
  readonly wakeAt: number;
  /** Calls allowed in flight (a whole number ≥ 1). */
  readonly limit: number;
  /** The limit itself; below 1, the share of the time one call is in flight. */
  readonly share: number;
  /** While recovering from refusals, the limit's ceiling (twice what Claude carried, limit.ts); else Infinity. */
  readonly ceiling: number;
  /** Claude has taken none of the calls sent since its refusals began (limit.ts): the probe is judged quickly. */
  readonly outage: boolean;
  readonly inFlight: number;
}

export function createLineControl(options: LineControlOptions = {}): LineControl {
  // A call that lasted answeredMs was answered, not refused (a refusal comes back in a round trip); the typical
  // duration is a moving average with the latest call weighing typicalWeight.
  const { answeredMs: ANSWERED_MS, typicalWeight: TYPICAL_WEIGHT, windowGrowth, fastProbesMs: FAST_PROBES_MS } = LINE_TUNING;
  const limit: AdaptiveLimit = createAdaptiveLimit(options.limit);
  const minClosedMs = options.minClosedMs ?? LINE_TUNING.minClosedMs;
  const maxClosedMs = Math.max(minClosedMs, options.maxClosedMs ?? LINE_TUNING.maxClosedMs);
  let state: LineState = 'open';
  let reopenAt = 0;
  // When the window closed: a wall clock set back before it (an NTP step) ends it, rather than adding the step to it.
  let closedAt = 0;
  let stalledSince = -Infinity;
  let streak = 0;
  // The latest probe sent, and whether it is still out: it stops being out once Claude has answered it either way,
  // but stays the current probe, so its answer still opens the window after its slot was freed.
  let currentProbe = 0;
  let probeOut = false;
  let probes = 0;
  let inFlight = 0;
  // Pacing below one call: when the latest call ended, how long it took, and the typical answered call's duration.
  let lastEndAt = -Infinity;
  let lastTookMs = 0;
  let typicalMs = 0;
  const pausedUntil = () => {
    const share = limit.exact;
    return share >= 1 ? -Infinity : lastEndAt + (typicalMs || lastTookMs) * (1 / share - 1);
  };
  const isCurrentProbe = (call: ControlCall) => call.probe && call.probeId === currentProbe;

  return {
    turn(now) {
      if (state === 'closed' && (now >= reopenAt || now < closedAt)) state = 'probing';
      // A pause is over too when the clock went back past the call it follows.
      if (state === 'closed' || inFlight >= limit.value || (now < pausedUntil() && now >= lastEndAt)) return 'wait';
      if (state === 'probing') return probeOut ? 'wait' : 'probe';
      return 'go';
    },
    send(probe, now) {
      inFlight += 1;
      const probeId = probe ? ++probes : 0;
      if (probe) {
        currentProbe = probeId;
        probeOut = true;
      }
      // Written out, not spread: in Node 20 an object literal with properties after a spread costs 1–3 µs per call.
      const sent = limit.sent(inFlight);
      return { level: sent.level, epoch: sent.epoch, resend: sent.resend, probe, probeId, sentAt: now };
    },
    accepted(call, binding, now, backlogMs) {
      // Alone: no other call of the line's in flight (the call itself counts until its slot is given back).
      limit.accepted(call, binding, now, backlogMs, inFlight <= 1);
      if (isCurrentProbe(call)) {
        probeOut = false;
        if (state === 'probing') {
          state = 'open';
          stalledSince = -Infinity;
          streak = 0;
        }
      }
    },
    refused(call, now, retryAfterMs, backlogMs) {
      const before = limit.value;
      const verdict = limit.refused(call, now, backlogMs);
      const wasProbe = isCurrentProbe(call);
      if (wasProbe) probeOut = false;
      // A lone refusal at the very top of the limit, with no retry-after, is the limit finding Claude's edge as it
      // grows: the cut alone holds back, and a closed window would only leave slots idle (short answers most of all).
      // A flood, a refusal below the top, or a limit already at its floor closes the window.
      // Below one call the pause after each call is the backoff: only a flood closes the window.
      const paced = limit.exact < 1 && !limit.flooded;
      const atTheEdge = paced || state === 'open' && call.level >= before && retryAfterMs === undefined && !limit.flooded
        && limit.value < before;
      if (verdict === 'cut' && !atTheEdge) {
        // In an outage probes are cheap (Claude serves nobody): one every minClosedMs, so the line hears Claude's
        // return within about a second. Once Claude took some of its calls, the window grows to maxClosedMs.
        const fast = limit.outage && inFlight === 0 && now - limit.troubleSince < FAST_PROBES_MS;
        const grown = fast ? minClosedMs : Math.min(maxClosedMs, minClosedMs * windowGrowth ** streak);
        const ms = Math.max(retryAfterMs ?? 0, grown);
        streak += 1;
        if (state === 'open') stalledSince = now;
        state = 'closed';
        closedAt = now;
        reopenAt = now + ms;
      } else if (verdict === 'not-ours' && wasProbe && state === 'probing') {
        state = 'open';
        stalledSince = -Infinity;
      }
      return verdict;
    },
    finish(call, now) {
      inFlight -= 1;
      lastEndAt = now;
      lastTookMs = Math.max(0, now - call.sentAt);
      if (lastTookMs >= ANSWERED_MS) typicalMs = typicalMs === 0 ? lastTookMs : typicalMs + (lastTookMs - typicalMs) * TYPICAL_WEIGHT;
      if (isCurrentProbe(call)) probeOut = false;
    },
    get state() {
      return state;
    },
    get reopenAt() {
      return reopenAt;
    },
    get stalledSince() {
      return stalledSince;
    },
    get wakeAt() {
      return state === 'closed' ? reopenAt : Math.max(reopenAt, pausedUntil());
    },
    get limit() {
      return limit.value;
    },
    get share() {
      return limit.exact;
    },
    get ceiling() {
      return limit.ceiling;
    },
    get outage() {
      return limit.outage;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
