/**
 * The line's adaptive limit on calls in flight toward Claude. It is cut once per wave of refusals (529 / rate-limit
 * 429) and grows while it binds, under a ceiling only while it recovers (below) or when the app sets one. It also
 * learns whether cutting helps:
 * Claude refuses some calls because of load that is not ours (Anthropic-wide), and holding back does not cure those.
 * Claude's own slots refuse a call only above some level of calls in flight; so when Claude has accepted, since the
 * last cut, a call sent at a level at least as high as the refused one's, the refusal was not about our level, and
 * the limit stays where it is. The same holds over a longer memory: when, among the line's last outcomes, the calls sent
 * at the refused call's level or above were mostly taken (fewer than `sparseShare` of them refused, at least one
 * taken), Claude keeps taking calls at that concurrency while it refuses some: its refusals do not rise with our
 * level, so they are not ours (issue 24's exogenous scenario: a lightly loaded line sees a level of 2 or 3 only now
 * and then, so an acceptance within `evidenceMs` is often missing where its last outcomes at that level say the
 * same). A full Claude refuses (nearly) every call above its room, so that share stays high where cutting helps.
 * Pure state: the line feeds it events and the time.
 *
 * Below one call (opt-in: `min` < 1). Many lines can share one Claude (independent apps, or the instances of a fleet
 * that each keep their own line): with a floor of one call each, 30 lines keep 30 calls on the wire against Claude's
 * 15 free slots and go on meeting 529s. With `min` below 1, in a flood (Claude refusing nearly everything) the limit
 * may fall below one: a fraction is the share of the time one call is in flight, and the line paces (control.ts
 * waits, after each call, the typical call's duration × (1/limit − 1): Swift's fractional congestion window).
 * Refusals at random (load that is not ours) never take it below one: a line keeps at least one call going unless
 * Claude is full. Below one, a refusal keeps LINE_TUNING.belowOneDecrease of the limit, and the limit grows back with time, the
 * faster the longer requests have been waiting, so a line that waited long takes back room quickly once Claude has it.
 *
 * After recovery, a ceiling Claude has shown. A cut (a wave of refusals that is ours) starts a recovery: until nobody
 * waits, the limit stays at or under twice the most calls Claude carried at once (accepted) in the last one to two
 * windows of accepted calls before it (LINE_TUNING.carriedWindowMs: an outage, with nothing accepted, does not age
 * it), so requests that piled up through an outage do not become thousands of calls at once when Claude returns
 * (10,000 waiting made 5,718 calls at once). A calm stretch while recovering (LINE_TUNING.calmMs without a cut)
 * re-bases it on what Claude carried since: a Claude that truly has room is reached, twice as far per calm stretch
 * rather than per round of answers as slow start would. A healthy app whose load grows meets no ceiling: it applies
 * only after a cut, and ends once the line stops binding. With nothing carried before (a cold start into an outage)
 * it is the starting limit. None when the app set its own (`max`: the handler's maxConcurrency).
 */

import { LINE_TUNING } from './defaults.js';

export interface AdaptiveLimitOptions {
  /** The limit before anything is known. Defaults to 32. */
  initial?: number;
  /**
   * The limit never goes below this. Defaults to 1. Below 1 (as low as 0.01), the line may pace one call at a time
   * when Claude is full (see above): for an app that knows many lines share its Claude capacity (several apps or
   * instances, each with its own line). It cuts 529s there, but where refusals are random it can also slow a line
   * (README, "The handler's line toward Claude", has the measures).
   */
  min?: number;
  /** A hard ceiling, for an app that wants one (a quota of its own). Defaults to none. */
  max?: number;
  /** The share of the limit kept on a cut. Defaults to 0.9: a refused call is not lost, it waits for its turn again. */
  decrease?: number;
  /** How long an accepted call counts as evidence against cutting. Defaults to 10 000 ms. */
  evidenceMs?: number;
}

/** One call sent: what the limit needs to judge its outcome. */
export interface SentCall {
  /** Calls in flight once this one was sent (this one included). */
  readonly level: number;
  /** The cut count when it was sent: refusals of calls sent before the latest cut belong to a wave already answered. */
  readonly epoch: number;
  /**
   * Sent right after a refusal the line excused (judged not ours, or that its excused resends no longer let it
   * excuse): whether Claude takes it says whether the line's resends find room (`resendOutcomes`).
   */
  readonly resend?: boolean;
}

/** What a refusal means for the line: `cut` (close the window, then probe), or nothing to change. */
export type RefusalVerdict = 'cut' | 'same-wave' | 'not-ours';

export interface AdaptiveLimit {
  /** Calls allowed in flight now (a whole number ≥ 1). */
  readonly value: number;
  /** The limit itself: below 1, the share of the time one call may be in flight (the line paces). */
  readonly exact: number;
  /** Refusals judged not ours (exogenous) so far. */
  readonly notOurs: number;
  /** The latest refusal came in a flood (many in a row): Claude is full, not merely at the edge of our limit. */
  readonly flooded: boolean;
  /** While recovering from refusals, the limit stays at or under this (twice what Claude carried); else Infinity. */
  readonly ceiling: number;
  /**
   * An outage: since the refusals began (the first cut after a calm stretch), Claude has taken none of the calls sent.
   * Probes are cheap then (nobody is served), and the first one taken means Claude is back.
   */
  readonly outage: boolean;
  /** When the current trouble began (its first cut); meaningful while `outage` holds. */
  readonly troubleSince: number;
  sent(level: number): SentCall;
  /**
   * Claude took the call. `binding`: someone was waiting for the limit, so it may grow. `backlogMs`: how long the line
   * has had someone waiting (below one call, the limit grows the faster the longer it is). `alone`: Claude carries no
   * other call of this line (a probe taken after an outage: the line takes back what it ran before, see `outage`).
   */
  accepted(call: SentCall, binding: boolean, now: number, backlogMs?: number, alone?: boolean): void;
  /**
   * Claude refused the call. `backlogMs`: how long the line has had someone waiting (past levelBacklogMs, the levelled
   * outcomes no longer excuse a refusal: see there).
   */
  refused(call: SentCall, now: number, backlogMs?: number): RefusalVerdict;
}

export function createAdaptiveLimit(options: AdaptiveLimitOptions = {}): AdaptiveLimit {
  // The tuning sheet, read when the limit is made (a bench run may try other values).
  const {
    recentOutcomes: RECENT, floodMinShare: FLOOD_MIN_SHARE, floodedShare: FLOODED, sparseShare: SPARSE,
    floodInARow: IN_A_ROW, lowestFloor: LOWEST_FLOOR, decreaseMin: DEEPEST, decreaseMax: GENTLEST,
    belowOneDecrease: BELOW_ONE_DECREASE, belowOneGrowthMs: BELOW_ONE_GROWTH_MS, growthSpanMs: GROWTH_SPAN_MS,
    carriedWindowMs: CARRIED_WINDOW_MS, carriedFactor: CARRIED_FACTOR, calmMs: CALM_MS,
    partialCutLevel: PARTIAL_CUT_LEVEL, belowOneRegain: BELOW_ONE_REGAIN,
    levelOutcomes: LEVEL_OUTCOMES, levelBacklogMs: LEVEL_BACKLOG_MS,
    resendOutcomes: RESEND_OUTCOMES, resendRefused: RESEND_REFUSED, resendLevel: RESEND_LEVEL,
  } = LINE_TUNING;
  const min = Math.max(LOWEST_FLOOR, options.min ?? 1);
  const max = Math.max(min, options.max ?? Infinity);
  const decrease = Math.min(GENTLEST, Math.max(DEEPEST, options.decrease ?? LINE_TUNING.decrease));
  const evidenceMs = options.evidenceMs ?? LINE_TUNING.evidenceMs;
  const initial = options.initial ?? LINE_TUNING.initialLimit;
  let limit = Math.min(max, Math.max(min, initial));
  // What Claude carried: the most calls in flight it accepted at once, in the current and the previous window of
  // CARRIED_WINDOW_MS (so over the last one to two windows in which calls were accepted: an outage does not age it).
  let carriedNow = 0;
  let carriedBefore = 0;
  let carriedFrom = -Infinity;
  // While recovering from refusals (undefined: not): what Claude carried when it began, and since when it has been
  // calm (no cut). No ceiling when the app set its own (`max`).
  let recoveringFrom: number | undefined;
  let calmSince = 0;
  const ceilingApplies = max === Infinity;
  let epoch = 0;
  let acceptedSinceCut = 0;
  // When the limit last grew or was cut: below one call, growth is by the time since.
  let changedAt = -Infinity;
  let notOurs = 0;
  let lastFlooded = false;
  // Accepted calls of this epoch as (time, level), decreasing in level: the front is the highest still recent.
  const evidence: Array<{ at: number; level: number }> = [];
  const recent: boolean[] = [];
  let recentRefused = 0;
  // The last LEVEL_OUTCOMES outcomes with the level each call was sent at: +level taken, −level refused (a level is
  // above 0: one call or more, or the share a paced call went at).
  const levelled: number[] = [];
  // Trouble: from a cut until a calm stretch (calmMs without a cut). troubleEpoch is the epoch
  // its first cut began (calls sent since carry it or a later one; -1: no trouble), troubleBefore the limit before it,
  // troubleCarried whether Claude took a call sent since (else it is an outage), lastCutAt the latest cut.
  let troubleEpoch = -1;
  let troubleBefore = 0;
  let troubleCarried = false;
  let troubleSince = 0;
  let lastCutAt = 0;
  let refusedInARow = 0;
  // Resends of excused refusals: how many are owed (the next calls sent are taken for them), and whether each of the
  // last RESEND_OUTCOMES of them was refused.
  let resendsOwed = 0;
  const resends: boolean[] = [];
  let resendsRefused = 0;

  function remember(refused: boolean): void {
    recent.push(refused);
    refusedInARow = refused ? refusedInARow + 1 : 0;
    if (refused) recentRefused += 1;
    if (recent.length > RECENT && recent.shift()) recentRefused -= 1;
  }

  function rememberResend(call: SentCall, refused: boolean): void {
    if (!call.resend || RESEND_OUTCOMES <= 0) return;
    resends.push(refused);
    if (refused) resendsRefused += 1;
    if (resends.length > RESEND_OUTCOMES && resends.shift()) resendsRefused -= 1;
  }

  function rememberLevel(level: number, refused: boolean): void {
    levelled.push(refused ? -level : level);
    while (levelled.length > LEVEL_OUTCOMES) levelled.shift();
  }

  /**
   * Claude keeps taking calls at this level while it refuses some: of the remembered outcomes of calls sent at `level`
   * or above (the refusal just remembered included), at least one was taken and fewer than SPARSE of them refused.
   */
  function takenAtLevel(level: number): boolean {
    let n = 0;
    let refusedAt = 0;
    for (const outcome of levelled) {
      if (Math.abs(outcome) < level) continue;
      n += 1;
      if (outcome < 0) refusedAt += 1;
    }
    return n > refusedAt && refusedAt / n < SPARSE;
  }

  function carried(now: number): number {
    if (now - carriedFrom >= CARRIED_WINDOW_MS) {
      carriedBefore = now - carriedFrom < 2 * CARRIED_WINDOW_MS ? carriedNow : 0;
      carriedNow = 0;
      carriedFrom = now;
    }
    return Math.max(carriedNow, carriedBefore);
  }

  /** The recovery ceiling: twice what Claude carried (the line's starting limit when it carried nothing known). */
  function ceiling(): number {
    if (recoveringFrom === undefined) return Infinity;
    return recoveringFrom > 0 ? Math.max(1, recoveringFrom * CARRIED_FACTOR) : Math.max(1, initial);
  }

  function highestAccepted(now: number): number {
    while (evidence.length > 0 && evidence[0]!.at < now - evidenceMs) evidence.shift();
    return evidence[0]?.level ?? 0;
  }

  return {
    get value() {
      return Math.max(1, Math.floor(limit));
    },
    get exact() {
      return limit;
    },
    get notOurs() {
      return notOurs;
    },
    get flooded() {
      return lastFlooded;
    },
    get ceiling() {
      return ceiling();
    },
    get outage() {
      return troubleEpoch >= 0 && !troubleCarried;
    },
    get troubleSince() {
      return troubleSince;
    },
    // Below one call, a call's level is the share it was paced at: evidence compares paces, not a count of one.
    sent(level) {
      const resend = resendsOwed > 0;
      if (resend) resendsOwed -= 1;
      return { level: limit < 1 && level <= 1 ? limit : level, epoch, resend };
    },
    accepted(call, binding, now, backlogMs = 0, alone = false) {
      rememberResend(call, false);
      remember(false);
      rememberLevel(call.level, false);
      // The trouble ends after a calm stretch (calmMs without a cut). A first call taken after an outage, with nothing
      // else of the line's on Claude's side: Claude is back (not merely at the edge of a smaller room, where the line
      // still has calls taken before), and the line takes back the limit it ran before, under the recovery ceiling.
      let back = false;
      if (troubleEpoch >= 0 && now - lastCutAt >= CALM_MS) troubleEpoch = -1;
      else if (troubleEpoch >= 0 && !troubleCarried && call.epoch >= troubleEpoch) {
        troubleCarried = true;
        back = alone;
      }
      {
        while (evidence.length > 0 && evidence[evidence.length - 1]!.level <= call.level) evidence.pop();
        evidence.push({ at: now, level: call.level });
      }
      carried(now); // rolls the window first
      carriedNow = Math.max(carriedNow, call.level);
      if (recoveringFrom !== undefined) {
        // Nobody waits: the line no longer binds, so it has recovered (growth needs a backlog anyway). A calm stretch:
        // Claude has carried what the ceiling let through without refusing, and the ceiling re-bases on it.
        if (!binding) recoveringFrom = undefined;
        else if (now - calmSince >= CALM_MS) {
          recoveringFrom = Math.max(recoveringFrom, carried(now));
          calmSince = now;
        }
      }
      if (!binding) return;
      // Near the level that was refused, creep (one more per round of accepted calls); once a whole round has
      // passed without a refusal, Claude has room again and the limit doubles per round.
      acceptedSinceCut += 1;
      const span = Math.min(GROWTH_SPAN_MS, Math.max(0, now - changedAt));
      changedAt = now;
      // Never grown past the recovery ceiling (a limit already above it is not cut by it either).
      const top = Math.min(max, Math.max(limit, ceiling()));
      if (back) {
        limit = Math.max(limit, Math.min(top, troubleBefore));
        return;
      }
      if (limit < 1) {
        // By time, the faster the longer requests have waited; and a paced call taken takes back one cut.
        const grown = limit + (backlogMs / BELOW_ONE_GROWTH_MS) * (span / BELOW_ONE_GROWTH_MS);
        limit = Math.min(top, call.level < 1 ? Math.max(grown, limit / BELOW_ONE_REGAIN) : grown);
        return;
      }
      limit = Math.min(top, limit + (acceptedSinceCut > limit ? 1 : 1 / limit));
    },
    refused(call, now, backlogMs = 0) {
      rememberResend(call, true);
      remember(true);
      rememberLevel(call.level, true);
      // Claude is full whatever it accepted a moment ago (its capacity just dropped): the evidence is stale.
      const flooded = refusedInARow >= IN_A_ROW
        || (recent.length >= RECENT * FLOOD_MIN_SHARE && recentRefused / recent.length >= FLOODED);
      // Not ours: Claude took as much from us a moment ago, or our limit did not bind and most calls still pass, or
      // Claude mostly took our recent calls at this level (its refusals do not rise with our level), unless the line has
      // had someone waiting for levelBacklogMs: refusals at random cost a resend each and keep nobody waiting that long;
      // a line that keeps its requests waiting while Claude refuses it is short of room (a full Claude that also
      // refuses at random, where the share refused at a level no longer tells the two apart).
      const loose = call.level < Math.floor(limit * decrease) && recentRefused / recent.length < SPARSE;
      lastFlooded = flooded;
      // A flood forgets the evidence, not the levelled outcomes: a run of refusals at random looks like a flood now
      // and then, and what Claude took at each level still says its refusals did not rise with ours; after a real
      // drop the refusals that follow fill the memory and the share rises past SPARSE of itself.
      if (flooded) evidence.length = 0;
      else if (loose || highestAccepted(now) >= call.level
        || (backlogMs < LEVEL_BACKLOG_MS && takenAtLevel(call.level))) {
        // An excused refusal is sent again at once, so the next call is its resend, and whether Claude takes it is
        // remembered. At random Claude refuses a resend as often as any call (35 % in exogenous); full and shared
        // with other lines, it refuses nearly every one (a slot is rarely free in that instant: 85 % in backends).
        // Once RESEND_REFUSED of the last RESEND_OUTCOMES were refused, Claude taking a call at this level a moment
        // ago (evidence, levelled outcomes) excuses no refusal of a call sent at RESEND_LEVEL or below: the refusal is
        // the line's, cut as any other. The loose rule still excuses (a line far under its limit is not what fills
        // Claude), and so does a line with more calls than that of its own on Claude's side (the one line filling
        // it, as in browser-tabs, where the cut cost p95). The call after a refusal no longer excused is remembered
        // too, so the line excuses again once Claude takes them.
        resendsOwed += 1;
        if (loose || RESEND_OUTCOMES <= 0 || resendsRefused < RESEND_REFUSED || call.level > RESEND_LEVEL) {
          notOurs += 1;
          return 'not-ours';
        }
      }
      if (call.epoch !== epoch) return 'same-wave';
      // A refused call at level n says Claude took n − 1 of ours; at one call (or a paced share), that it took less.
      const cut = call.level > 1 ? Math.min(limit, call.level - 1) * decrease : Math.min(limit, call.level) * BELOW_ONE_DECREASE;
      // Below one call only in a flood (Claude refusing nearly everything, probes included): refusals at random leave a
      // line at least one call. Once below, every wave of refusals cuts.
      // A smaller room (Claude took some of the line's calls since its refusals began, and refuses again): the line
      // may pace down to partialFloor of one call, so lines that share Claude leave each other its slots. Not under a
      // floor or a ceiling the app set (`min` above one, `max`: it said what its line takes).
      const partial = ceilingApplies && min <= 1 && troubleEpoch >= 0 && troubleCarried && now - lastCutAt < CALM_MS;
      const lowest = partial ? Math.min(min, Math.max(LOWEST_FLOOR, LINE_TUNING.partialFloor)) : min;
      // Outside a flood a call at one or more keeps the line at one call, unless it was a call asked for beyond one
      // of its own already on Claude's side in a smaller room (partialCutLevel): the line then paces too.
      const floor = call.level >= 1 && !flooded && !(partial && call.level >= PARTIAL_CUT_LEVEL) ? 1 : lowest;
      // A wave of refusals ours: recovering from it, the limit stays under twice what Claude carried before it.
      if (ceilingApplies && recoveringFrom === undefined) recoveringFrom = carried(now);
      calmSince = now;
      if (troubleEpoch < 0 || now - lastCutAt >= CALM_MS) {
        troubleEpoch = epoch + 1;
        troubleBefore = limit;
        troubleCarried = false;
        troubleSince = now;
      }
      lastCutAt = now;
      limit = Math.min(max, ceiling(), Math.max(lowest, floor, cut));
      changedAt = now;
      epoch += 1;
      acceptedSinceCut = 0;
      return 'cut';
    },
  };
}
