/**
 * The tuning sheet of the handler's line toward Claude: every number the line runs on, in one object, each with the
 * measurement or scenario that chose it (docs/tuning.md lists them with their figures, and what each mechanism buys:
 * `npm run bench -- --tuning '{"graceFactor":0}'` plays the line without one). The memory line reads them
 * from here, the Redis line's Lua receives them as one argument (redis-admission.ts; a test fails on a bare number in
 * the script), and the bench models the handler with the same values.
 */
import { EVIDENCE_MS } from '../../core/seen-room.js';

export const LINE_TUNING = {
  // --- How long the handler holds a request, and when it tells the browser its place -------------------------------
  /** How long a request waits in line, Claude's refusals included, before the browser gets a 529 with a ticket (an SDK client's whole wait: the bench's backends, patient SDK rows). */
  holdMs: 25_000,
  /** The kit's own transport is answered sooner, with its place and a ticket (test/compat/sdk-outage, one-clock tests: "You're in line — about 40 s" within seconds). */
  lineUpdateMs: 8_000,
  /** A first arrival is answered within a second (issue 24: the person hears within about a second that Claude is busy). */
  firstLineUpdateMs: 1_000,

  // --- The closed window after a wave of refusals ------------------------------------------------------------------
  /** Its first length; it grows while probes are refused (the line flows again about a second after Claude's return). */
  minClosedMs: 1_000,
  /** Its longest: one probe at least this often (a 15 s window kept requests waiting up to 15 s after Claude answered again; 2 s costs one call per 2 s per line, the backends calls figure). */
  maxClosedMs: 2_000,
  /** The window grows this many times per refused probe, from minClosedMs to maxClosedMs (backends: fewer probes). */
  windowGrowth: 2,
  /**
   * In an outage (Claude took none of the line's calls since its refusals began, and carries none now), the window
   * stays minClosedMs for this long: a short outage is heard within a second (issue 24: 20 held through 5 s), a long
   * one costs no more probes than today (backends: its drop looks like an outage to each line for 30 s or more).
   */
  fastProbesMs: 10_000,

  // --- The adaptive limit (limit.ts) ---------------------------------------------------------------------------------
  /** The starting limit before anything is known (docs/ai-sdk.md: a healthy burst of 20 calls goes at once; a lower start holds back every first burst). */
  initialLimit: 32,
  /** The lowest floor an app may ask for (`limit.min`): below one call a line paces a share of the time (backends, 30 lines on 15 slots). */
  lowestFloor: 0.01,
  /** The share of the limit kept on a cut: a refused call is not lost, it waits again (browser-tabs: halving makes p95 worse). */
  decrease: 0.9,
  /** The deepest cut an app may ask for (`limit.decrease` is held from this to `decreaseMax`). */
  decreaseMin: 0.1,
  /** The gentlest cut an app may ask for. */
  decreaseMax: 0.99,
  /** How long an accepted call counts as evidence that a refusal at its level was not ours (exogenous scenario). */
  evidenceMs: 10_000,
  /** Outcomes kept to tell a flood (Claude full) from refusals at random (exogenous vs backends). */
  recentOutcomes: 16,
  /** A flood by share is judged once at least this share of `recentOutcomes` is known. */
  floodMinShare: 0.5,
  /** In the recent outcomes, this share of refusals or more also means a flood (backends, late refusals: docs/tuning.md). */
  floodedShare: 0.9,
  /**
   * So many refusals in a row mean a flood: Claude has no room, whatever it accepted a moment ago (at a 35 % refusal
   * rate at random, 0.2 % of runs). Without it browser-tabs and backends make many more calls (docs/tuning.md).
   */
  floodInARow: 6,
  /**
   * Below this share of refusals, refusals of calls sent under the limit are taken as Claude's, not ours (exogenous: p95
   * against immediate retry, 0.6 over 0.5 and 0.7); so are refusals at a level where fewer than this share of the last
   * `levelOutcomes` calls sent at that level or above were refused (below).
   */
  sparseShare: 0.6,
  /**
   * Outcomes remembered with the level their call was sent at (0 switches the rule off): a refusal at a level where
   * Claude took most of these calls at that level or above is not ours, since its refusals do not rise with our level
   * (issue 24, exogenous seeds 1–6, 9173: p95 up to 1.09 × and p99 up to 1.21 × the best peer without it, ≤ 1.02 × and
   * ≤ 1.02 × with 32; 16 left seeds 2 and 3 at 1.05–1.09 × p95; 64 cost backends 0.08 calls per request: docs/tuning.md).
   * A flood does not forget them (a run of six refusals at random would: seeds 6 and 9173 back at 1.03–1.04 ×).
   */
  levelOutcomes: 32,
  /**
   * The levelled outcomes excuse no refusal once the line has had someone waiting this long: refusals at random cost
   * a resend each and keep nobody waiting long, while a full Claude that also refuses at random keeps a line's
   * requests waiting and refuses under sparseShare at a level (exogenous `serviceMedianS=20`: 1.59 calls per request
   * without this bound, 1.44 with it; exogenous seeds 1–6, 9173, 11, 12, 31337 unchanged; backends seeds 1–8, 9173
   * calls 1.485 → 1.482, p95 1.243 → 1.228 × ideal. 15 s: the long incident's wait in line 0.80 → 1.00 s per request
   * (level-refusals test); 10 s: exogenous seed 9173 p95 1.030 ×; 30 s: backends `refusalMs` 2000, 3000 worse: docs/tuning.md).
   */
  levelBacklogMs: 20_000,
  /**
   * Resends of excused refusals remembered, whether Claude took each (0 switches the rule off): once `resendRefused`
   * of the last `resendOutcomes` were refused, a call Claude took at the level a moment ago (`evidenceMs`, the
   * levelled outcomes) no longer excuses a refusal of a call sent at `resendLevel` or below: the line cuts (issue 26,
   * backends: at random Claude refuses about 35 % of resends, full and shared with other lines about 85 %). backends
   * seeds 1–6, 9173, 424242, 77: calls 1.45–1.52 → 1.42–1.46 (mean 1.478 → 1.433), p95 1.20–1.30 × → 1.17–1.25 ×
   * ideal (5 → 9 of 9 seeds ≤ 1.25 ×); exogenous (18 seeds), browser-tabs (7), the fleet's shared store unchanged;
   * its store per instance (6 seeds) calls 1.187 → 1.170, p95 1.259 → 1.212 × (means). A shorter memory or a lower
   * share lets a run of one request's refusals at random end the excuse: 6 of 8, exogenous p95 1.04–1.06 × on most
   * seeds; 10 of 12, the light line's long incident waits 0.88 → 1.13 s in line (level-refusals test; docs/tuning.md).
   */
  resendOutcomes: 16,
  /** Of the last `resendOutcomes` excused resends, this many refused end the excuse (0.02 % of windows at 35 %, 79 % at 85 %). */
  resendRefused: 13,
  /**
   * The rule spares a line with more calls than this of its own on Claude's side when refused: the one line filling
   * Claude (browser-tabs: p95 1.092 → 1.10–1.11 × on seed 9173 without this bound); lines that share Claude hold a few.
   */
  resendLevel: 5,
  /**
   * In a smaller room (Claude took some of a line's calls since its refusals began, then refused again: other lines
   * share its slots), a flood may take the limit down to this share of one call: the line paces (control.ts), leaving
   * its slot to the others between its calls instead of taking it back at once and probing every 2 s (backends:
   * docs/tuning.md). In an outage, and for refusals at random, the floor stays one call.
   */
  partialFloor: 0.5,
  /**
   * In a smaller room, a refusal of a call sent at this level or higher (the line had calls of its own on Claude's
   * side and asked for one more) may take the limit below one call, flood or not: a line that keeps a slot and asks
   * for a second leaves its slot to the others between its calls too, instead of keeping it while they probe a full
   * Claude (backends seeds 1–6, 9173, 424242, 77: p95 1.22–1.38 × → 1.20–1.29 ×, docs/tuning.md). 1e9 switches it
   * off; at 1 (a lone call refused too) refusals at random pace lines that had room (exogenous p99 1.08 → 1.12 ×).
   */
  partialCutLevel: 2,
  /** Below one call, a cut keeps this share (backends: measured best, 0.7 to 0.9 tried). */
  belowOneDecrease: 0.85,
  /** Below one call, the limit grows by (backlog age / this) × (time since its last change / this) (backends). */
  belowOneGrowthMs: 60_000,
  /**
   * Below one call, a paced call Claude took divides the limit by this (it takes back one cut of belowOneDecrease),
   * when that is more than the growth by time: the limit settles where about half of a line's paced calls are taken,
   * and a line paced by refusals at random (most of its calls taken) is back at one call within a few calls
   * (exogenous seeds 1–8, 9173 with partialCutLevel: p99 1.52 × without, 1.08 × with; 1 switches it off).
   */
  belowOneRegain: 0.85,
  /** The time since the last change counts up to this: a line idle for an hour has not earned an hour of growth. */
  growthSpanMs: 60_000,

  // --- The ceiling after recovery (limit.ts, issue 26) ------------------------------------------------------------
  /**
   * What Claude carried: the most calls in flight it accepted at once, over the last one to two of these windows of
   * accepted calls (recovery-ceiling test: 10,000 requests waited through an outage).
   */
  carriedWindowMs: 120_000,
  /** While recovering from refusals, the limit stays under this many times what Claude carried before. */
  carriedFactor: 2,
  /** A stretch this long without a cut while recovering: Claude showed it carries the ceiling, the ceiling re-bases. */
  calmMs: 30_000,

  // --- Pacing below one call (control.ts) ---------------------------------------------------------------------------
  /** A call that lasted this long was answered, not refused (a refusal comes back in a round trip). */
  answeredMs: 1_000,
  /** The weight of the latest answered call in the typical duration (a moving average over about five calls). */
  typicalWeight: 0.2,

  // --- When a call Claude has not refused counts as taken (accept-grace.ts) -------------------------------------
  /** The shortest grace (a 529 comes back within a round trip; the default world's refusalMs 100 ms). */
  acceptAfterMs: 1_500,
  /** Refusals remembered to learn the grace from (worlds refusalMs=2000 and 3000: the cliff without it). */
  graceRefusals: 32,
  /** The grace is this many times the slowest recent refusal. */
  graceFactor: 1.5,
  /** The longest grace: a refusal later than this (deep into a stream) says nothing of when calls are taken. */
  maxGraceMs: 10_000,
  /** The shortest grace of a probe in an outage (learned from the refusals just seen; issue 24: answered within 2 s of Claude's return). */
  minProbeGraceMs: 250,

  // --- Background's room (background-room.ts; bench --scenario failover) -------------------------------------------
  /** Slots background keeps free for people. */
  backgroundSpare: 2,
  /** Rounds of answers per slot the seen room grows back by. */
  roomGrowthRounds: 16,
  /** How long an answer proves room (shared with the browser gate: core/seen-room.ts). */
  roomEvidenceMs: EVIDENCE_MS,

  // --- What the line tells a refused request ---------------------------------------------------------------------
  /** The window over which the line measures the rate Claude takes its calls, to turn a place into an expected wait. */
  rateWindowMs: 10_000,
  /** The longest expected wait named: past an hour the decayed rate says nothing of a turn ("about an hour"). */
  maxExpectedWaitMs: 3_600_000,
  /** retry-after is this share of the expected wait: early costs a request to the backend, late the person's time (bench: 0.6 best). */
  retryAfterShare: 0.6,
  /** retry-after is at least this. */
  minRetryAfterMs: 1_000,
  /** retry-after is at most this (a longer closed window from Claude's own retry-after still wins). */
  maxRetryAfterMs: 60_000,

  // --- Bounds on memory and state ----------------------------------------------------------------------------------
  /** Requests waiting in line in one process; one more is answered 529 at once, with a ticket. */
  maxQueue: 1000,
  /** Tickets kept, as a multiple of `maxQueue` (the oldest dropped first), and of `maxPerUser` for one user. */
  ticketsPerPlace: 4,
  /** Places one user may hold (`maxPerUser`'s default), as a share of `maxQueue` (issue 26: about 10 %). */
  maxPerUserShare: 0.1,
  /** How long a Redis line's state outlives its last use. */
  redisStateTtlMs: 3_600_000,
} as const;

export type LineTuning = typeof LINE_TUNING;

/**
 * The one retry-after rule of both stores: not before Claude's closed window ends (`closedMs`), else well before the
 * expected turn (retryAfterShare of it), from minRetryAfterMs to maxRetryAfterMs.
 */
export function lineRetryAfterMs(expectedWaitMs: number, closedMs = 0): number {
  const { retryAfterShare, minRetryAfterMs, maxRetryAfterMs } = LINE_TUNING;
  const early = Math.min(maxRetryAfterMs, Math.max(minRetryAfterMs, expectedWaitMs * retryAfterShare));
  return Math.round(Math.max(early, closedMs));
}

export const DEFAULT_HOLD_MS = LINE_TUNING.holdMs;
export const DEFAULT_LINE_UPDATE_MS = LINE_TUNING.lineUpdateMs;
export const FIRST_LINE_UPDATE_MS = LINE_TUNING.firstLineUpdateMs;

/**
 * How long the handler holds a request of the kit's own transport before it tells it its place: a second on its
 * first arrival (no ticket yet), `lineUpdateMs` on its returns. The bench models the handler with the same rule.
 */
export function lineUpdateAfterMs(lineUpdateMs: number, returning: boolean): number {
  return returning ? lineUpdateMs : Math.min(lineUpdateMs, FIRST_LINE_UPDATE_MS);
}
export const DEFAULT_MIN_CLOSED_MS = LINE_TUNING.minClosedMs;
export const DEFAULT_MAX_CLOSED_MS = LINE_TUNING.maxClosedMs;
export const DEFAULT_INITIAL_LIMIT = LINE_TUNING.initialLimit;
export const DEFAULT_MAX_QUEUE = LINE_TUNING.maxQueue;
export const RATE_WINDOW_MS = LINE_TUNING.rateWindowMs;
export const MAX_EXPECTED_WAIT_MS = LINE_TUNING.maxExpectedWaitMs;
/**
 * The longest delay setTimeout can wait: past 2^31 − 1 ms (about 24.8 days) every runtime fires the timer at once, so
 * a wait that long would end every request at once. Durations the handler sets timers for are held to it. (A fact of
 * the runtimes, not a tunable.)
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
