/**
 * Delay formulas, as pure functions: the caller passes the random draw `u` in [0, 1), so the same inputs always
 * give the same delay (tests and the benchmark replay runs exactly). Which failures to retry lives in policy.ts.
 */

/**
 * How a delay is spread: a pure function of the backoff input and a random draw `u` in [0, 1), returning ms in
 * [0, capMs]. `fullJitter` is the default; `equalJitter`, `decorrelatedJitter` and `exponentialDelay` (no jitter)
 * are imported by the apps that pick them (`createRetryPolicy({ jitter: equalJitter })`), so the others ship none of
 * their code. See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export type JitterStrategy = (input: BackoffInput, u: number) => number;

export interface BackoffInput {
  /** Attempts made so far, >= 1: the first retry waits after attempt 1. */
  attempt: number;
  baseMs: number;
  capMs: number;
  /** Growth per attempt (2 doubles). */
  factor: number;
  /** The delay chosen last time; only decorrelated jitter uses it. */
  previousDelayMs?: number;
}

/** The largest delay `setTimeout` honours; beyond it the timer fires at once, which would be a hammering retry. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The longest retry-after read: what a timer can wait. Longer waits are not ignored any more (that turned "come back
 * tomorrow" into a retry in 5 s): the policy gives up on a wait beyond its budget; see rules.ts.
 */
export const MAX_RETRY_AFTER_MS = MAX_TIMER_DELAY_MS;

/** Keeps a random draw in [0, 1) even if an injected source misbehaves (NaN, 1, negatives). */
export function clampUnit(u: number): number {
  if (!Number.isFinite(u) || u <= 0) return 0;
  return u >= 1 ? 1 - Number.EPSILON : u;
}

const nonNegative = (x: number): number => (x > 0 ? x : 0); // NaN and negatives become 0

/** The cap, and the base under it: never NaN, never beyond what a timer holds. */
function bounds(input: BackoffInput): [cap: number, base: number] {
  const cap = Math.min(nonNegative(input.capMs), MAX_TIMER_DELAY_MS);
  return [cap, Math.min(nonNegative(input.baseMs), cap)];
}

/**
 * No jitter: plain capped exponential growth `base × factor^(attempt−1)`, like TanStack Query's 1, 2, 4 s. The
 * ceiling the jittered strategies draw under. Never NaN or Infinity, even for huge attempts.
 */
export function exponentialDelay(input: BackoffInput): number {
  const [cap, base] = bounds(input);
  if (base === 0) return 0;
  const attempt = Number.isFinite(input.attempt) ? Math.max(1, Math.floor(input.attempt)) : 1;
  const grown = base * Math.pow(Math.max(1, nonNegative(input.factor)), attempt - 1);
  return Number.isNaN(grown) ? cap : Math.min(cap, grown);
}

/** Anywhere in [0, the exponential delay]: spreads a crowd best. The default. */
export const fullJitter: JitterStrategy = (input, u) => clampUnit(u) * exponentialDelay(input);

/** Half fixed, half random: never retries almost at once, still spreads. */
export const equalJitter: JitterStrategy = (input, u) => {
  const full = exponentialDelay(input);
  return Math.min(full, full / 2 + (clampUnit(u) * full) / 2); // min: rounding must not step past the cap
};

/** AWS's decorrelated jitter: between the base and three times the previous delay, capped. */
export const decorrelatedJitter: JitterStrategy = (input, u) => {
  const [cap, base] = bounds(input);
  const previous = input.previousDelayMs;
  const high = Math.min(cap, Math.max(base, previous !== undefined && Number.isFinite(previous) ? previous * 3 : base));
  return Math.min(high, base + clampUnit(u) * (high - base));
};

const DECIMAL = /^\d+(\.\d+)?$/;
// IMF-fixdate, RFC 850 and asctime all start with a day name. Date.parse alone is too lenient ("1" is 2001).
const HTTP_DATE = /^[A-Za-z]{3,9},?\s/;

// Callers pass a number ≥ 0 (a DECIMAL, a date not past), Infinity at worst. Longer than a timer holds is kept as the
// longest, not dropped: dropped, "come back in a month" was retried every few seconds; kept, the policy ends the
// request at once (the wait is beyond any budget) and the app can say so.
const bounded = (ms: number): number => Math.ceil(Math.min(ms, MAX_RETRY_AFTER_MS));

/**
 * Reads `retry-after-ms` (float milliseconds, the Anthropic SDK's header) first, then `retry-after` (seconds or an
 * HTTP date, relative to `nowMs`). Negative values, garbage and past dates are ignored; values above
 * {@link MAX_RETRY_AFTER_MS} (24 days) read as it. A long value is kept: the policy decides (a wait beyond the budget
 * ends the request at once).
 * @returns whole milliseconds, or undefined when neither header holds a usable value.
 */
export function parseRetryAfterValues(
  retryAfterMs: string | null | undefined,
  retryAfter: string | null | undefined,
  nowMs: number,
): number | undefined {
  const ms = typeof retryAfterMs === 'string' ? retryAfterMs.trim() : '';
  if (DECIMAL.test(ms)) return bounded(Number(ms));
  const text = typeof retryAfter === 'string' ? retryAfter.trim() : '';
  if (DECIMAL.test(text)) return bounded(Number(text) * 1000);
  if (HTTP_DATE.test(text) && Number.isFinite(nowMs)) {
    const at = Date.parse(text);
    if (Number.isFinite(at) && at >= nowMs) return bounded(at - nowMs);
  }
  return undefined;
}

/** Reads a header from a `Headers` or a plain object (older SDKs), case-insensitively; never throws. */
export function readHeader(headers: unknown, name: string): string | undefined {
  try {
    if (typeof headers !== 'object' || headers === null) return undefined;
    const get = (headers as { get?: unknown }).get;
    const value = typeof get === 'function' ? get.call(headers, name)
      : Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' && first !== '' ? first : undefined;
  } catch {
    return undefined;
  }
}

/** `retry-after-ms`, then `retry-after`, from response headers, in ms (see {@link parseRetryAfterValues}). */
export function parseRetryAfter(headers: unknown, now: () => number = Date.now): number | undefined {
  return parseRetryAfterValues(readHeader(headers, 'retry-after-ms'), readHeader(headers, 'retry-after'), now());
}
