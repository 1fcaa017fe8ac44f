import type { FailureKind } from './types.js';
import type { ClaudeError } from './failure.js';
import { isNeverRetried } from './rules.js';
import { clampUnit, fullJitter, MAX_TIMER_DELAY_MS, type JitterStrategy } from './backoff.js';

/** How one kind of failure is retried. Every field falls back to the global option, then to the kind's default. */
export interface KindPolicy {
  /**
   * How delays are spread: a {@link JitterStrategy}, `equalJitter`, `decorrelatedJitter` or `exponentialDelay` (no
   * jitter) from `claude-overload-kit/core`, or your own. Defaults to `fullJitter`.
   */
  jitter?: JitterStrategy;
  /** The first retry's delay ceiling, in ms. Defaults to 1 s. */
  baseMs?: number;
  /** The largest delay the backoff itself picks, in ms (a longer `retry-after` still wins). Defaults to 30 s;
   * 60 s for overloaded and rate_limited, 20 s for server_error and timeout, 15 s for network. */
  capMs?: number;
  /** Growth of the delay ceiling per attempt. Defaults to 2. */
  factor?: number;
  /** Attempts in all, the first included: once `attempt` reaches it, give up. Defaults to 4; 40 for overloaded,
   * 20 for rate_limited, 5 for server_error, 3 for timeout, 6 for network, 100 for offline. */
  maxAttempts?: number;
  /** Budget since the first attempt started, in ms: `elapsedMs + delay` never exceeds it. Defaults to 60 s;
   * 10 min for overloaded and rate_limited, 3 min for timeout (each attempt itself may take a minute),
   * 30 min for offline. */
  maxWaitMs?: number;
  /** Spread added on top of a `retry-after` floor, as a share of it, so a crowd told "retry after 20 s" does not
   * return in the same millisecond. Defaults to 0.1 (10 %). */
  retryAfterJitterRatio?: number;
  /** Upper bound of that spread, in ms. Defaults to 1 s. */
  retryAfterJitterMaxMs?: number;
}

export interface RetryPolicyOptions extends KindPolicy {
  /** Settings per kind of failure, over the global ones above. */
  kinds?: Partial<Record<FailureKind, KindPolicy>>;
}

export type ResolvedKindPolicy = Required<KindPolicy>;

export interface RetryContext {
  /** Attempts made so far, >= 1. */
  attempt: number;
  /** Since the first attempt started. */
  elapsedMs: number;
  /** The delay chosen before the previous attempt (decorrelated jitter grows from it). */
  previousDelayMs?: number;
}

export interface RetryPolicy {
  /** How long to wait before the next attempt, in ms; `null` = give up. */
  nextDelay(failure: ClaudeError, context: RetryContext): number | null;
}

export interface ConfiguredRetryPolicy extends RetryPolicy {
  /** The settings in force for one kind, after merging options and defaults (for UIs and logs). */
  settingsFor(kind: FailureKind): ResolvedKindPolicy;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * The defaults. Overload is usually over within minutes, so overloaded is patient: a client that gives up after
 * seconds (the SDK's 2 retries) turns a short spike into a failed task. Server errors and network trouble are
 * retried a few times within a minute; what does not pass by then usually needs a person. The jitter, `fullJitter`,
 * is added where the settings are merged: a function here would keep this table in bundles that never retry.
 */
export const DEFAULT_RETRY_POLICY = {
  baseMs: SECOND,
  capMs: 30 * SECOND,
  factor: 2,
  maxAttempts: 4,
  maxWaitMs: MINUTE,
  retryAfterJitterRatio: 0.1,
  retryAfterJitterMaxMs: SECOND,
  kinds: {
    overloaded: { capMs: 60 * SECOND, maxAttempts: 40, maxWaitMs: 10 * MINUTE },
    rate_limited: { baseMs: 2 * SECOND, capMs: 60 * SECOND, maxAttempts: 20, maxWaitMs: 10 * MINUTE },
    server_error: { capMs: 20 * SECOND, maxAttempts: 5, maxWaitMs: MINUTE },
    timeout: { capMs: 20 * SECOND, maxAttempts: 3, maxWaitMs: 3 * MINUTE },
    network: { capMs: 15 * SECOND, maxAttempts: 6, maxWaitMs: MINUTE },
    offline: { capMs: 30 * SECOND, maxAttempts: 100, maxWaitMs: 30 * MINUTE },
  },
} as const satisfies Required<Omit<RetryPolicyOptions, 'jitter'>>;

/** Keeps only well-formed settings, so `{ capMs: undefined }` or a NaN does not wipe out a default. */
function valid(policy: KindPolicy | undefined): KindPolicy {
  const out: Record<string, unknown> = {};
  // `jitter` a function, every other setting a number ≥ 0 (NaN >= 0 is false).
  if (policy) for (const key of ['jitter', ...Object.keys(DEFAULT_RETRY_POLICY)] as Array<keyof KindPolicy>) {
    const value = policy[key];
    if (key === 'jitter' ? typeof value === 'function' : typeof value === 'number' && value >= 0) out[key] = value;
  }
  return out;
}

const finite = (x: unknown): number | undefined => (Number.isFinite(x) ? (x as number) : undefined); // false for non-numbers

/**
 * A retry policy: which failures to retry and how long to wait. Per field, the precedence is: your per-kind option,
 * your global option, the kind's default, the global default — so `{ maxWaitMs: 30_000 }` shortens every kind.
 *
 * `nextDelay` returns null for a failure with `retryable: false`, for aborted and spend_limited, once `attempt`
 * reaches `maxAttempts`, and when the wait would end after `maxWaitMs`. Near the end of the budget the delay is
 * shortened to fit (one last try at the deadline) as long as a `retry-after` floor still fits; otherwise null.
 * A `retry-after` is a floor: delay >= retryAfterMs + a small spread, even above `capMs`.
 */
export function createRetryPolicy(
  options: RetryPolicyOptions & { random?: () => number } = {},
): ConfiguredRetryPolicy {
  const random = options.random ?? Math.random;
  const { kinds: kindDefaults, ...globalDefaults } = DEFAULT_RETRY_POLICY;
  // Merged on each call, not cached: a few spreads per failure cost less than the cache's code in every bundle.
  const settingsFor = (kind: FailureKind): ResolvedKindPolicy => ({
    jitter: fullJitter,
    ...globalDefaults,
    ...(kindDefaults as Partial<Record<FailureKind, KindPolicy>>)[kind],
    ...valid(options),
    ...valid(options.kinds?.[kind]),
  });

  function nextDelay(failure: ClaudeError, context: RetryContext): number | null {
    if (!failure || failure.retryable !== true || isNeverRetried(failure.kind)) return null;
    const s = settingsFor(failure.kind);
    const attempt = Math.max(1, Math.floor(finite(context?.attempt) ?? 1));
    if (attempt >= s.maxAttempts) return null;
    const remaining = s.maxWaitMs - Math.max(0, finite(context?.elapsedMs) ?? 0);
    if (!(remaining > 0)) return null;

    const draw = () => clampUnit(random());
    let delay = s.jitter({
      attempt, baseMs: s.baseMs, capMs: s.capMs, factor: s.factor, previousDelayMs: finite(context?.previousDelayMs),
    }, draw());
    const floor = finite(failure.retryAfterMs);
    if (floor !== undefined && floor >= 0) {
      const spread = Math.min(floor * s.retryAfterJitterRatio, s.retryAfterJitterMaxMs);
      delay = Math.max(delay, floor + (Number.isFinite(spread) ? draw() * spread : 0));
      if (floor > remaining) return null;
    }
    return Math.min(delay, remaining, MAX_TIMER_DELAY_MS);
  }

  return { nextDelay, settingsFor };
}
