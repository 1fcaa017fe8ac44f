import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClaudeError } from '../../src/core/failure.js';
import { createRetryPolicy, DEFAULT_RETRY_POLICY, type RetryPolicyOptions } from '../../src/core/policy.js';
import { decorrelatedJitter, equalJitter, exponentialDelay, fullJitter, MAX_TIMER_DELAY_MS } from '../../src/core/backoff.js';
import type { FailureKind } from '../../src/core/types.js';

const KINDS: FailureKind[] = ['overloaded', 'rate_limited', 'spend_limited', 'server_error', 'timeout', 'network',
  'offline', 'invalid_request', 'authentication', 'billing', 'permission', 'not_found', 'conflict',
  'request_too_large', 'aborted', 'unknown'];
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const failure = (kind: FailureKind, extra: Partial<ClaudeError> = {}) =>
  Object.assign(new ClaudeError({ kind, message: kind }), extra);
const fixed = (u: number, options: RetryPolicyOptions = {}) => createRetryPolicy({ ...options, random: () => u });

describe('createRetryPolicy defaults', () => {
  it('is patient with overload: minutes in total, not seconds', () => {
    expect(createRetryPolicy().settingsFor('overloaded')).toMatchObject({
      jitter: fullJitter, baseMs: 1000, capMs: 60_000, maxAttempts: 40, maxWaitMs: 10 * MINUTE,
    });
    const policy = fixed(0.5);
    let elapsedMs = 0;
    for (let attempt = 1; ; attempt++) {
      const delay = policy.nextDelay(failure('overloaded'), { attempt, elapsedMs });
      if (delay === null) break;
      elapsedMs += delay;
    }
    expect(elapsedMs).toBeGreaterThan(5 * MINUTE);
    expect(elapsedMs).toBeLessThanOrEqual(10 * MINUTE);
  });

  it('uses full jitter: the draw scales the exponential delay', () => {
    expect(fixed(0.5).nextDelay(failure('overloaded'), { attempt: 3, elapsedMs: 0 })).toBe(2000);
    expect(fixed(0).nextDelay(failure('server_error'), { attempt: 1, elapsedMs: 0 })).toBe(0);
  });

  it('retries server errors a few times within a minute', () => {
    const s = createRetryPolicy().settingsFor('server_error');
    expect([s.maxAttempts, s.maxWaitMs]).toEqual([5, MINUTE]);
    expect(fixed(0.5).nextDelay(failure('server_error'), { attempt: 5, elapsedMs: 0 })).toBeNull();
  });

  it('exposes the defaults as one options object', () => {
    expect(DEFAULT_RETRY_POLICY.kinds.overloaded.maxWaitMs).toBe(10 * MINUTE);
    expect(createRetryPolicy(DEFAULT_RETRY_POLICY).settingsFor('network')).toEqual(createRetryPolicy().settingsFor('network'));
  });
});

describe('nextDelay', () => {
  it.each(['spend_limited', 'invalid_request', 'authentication', 'billing', 'permission', 'not_found', 'conflict',
    'request_too_large', 'aborted', 'unknown'] as const)('gives up at once on %s', (kind) => {
    expect(createRetryPolicy().nextDelay(failure(kind), { attempt: 1, elapsedMs: 0 })).toBeNull();
  });

  it('gives up when the failure says it is not retryable', () => {
    expect(createRetryPolicy().nextDelay(failure('overloaded', { retryable: false }), { attempt: 1, elapsedMs: 0 }))
      .toBeNull();
  });

  it('retries a conflict the server marked retryable, and never an abort or a spend limit', () => {
    const policy = fixed(0.5);
    expect(policy.nextDelay(failure('conflict', { retryable: true }), { attempt: 1, elapsedMs: 0 })).toBe(500);
    expect(policy.nextDelay(failure('aborted', { retryable: true }), { attempt: 1, elapsedMs: 0 })).toBeNull();
    expect(policy.nextDelay(failure('spend_limited', { retryable: true }), { attempt: 1, elapsedMs: 0 })).toBeNull();
  });

  it('waits at least retry-after, plus up to 10 % (at most 1 s) so a crowd spreads out', () => {
    const limited = failure('rate_limited', { retryAfterMs: 20_000 });
    expect(fixed(0).nextDelay(limited, { attempt: 1, elapsedMs: 0 })).toBe(20_000);
    expect(fixed(0.5).nextDelay(limited, { attempt: 1, elapsedMs: 0 })).toBe(20_500);
    const short = failure('rate_limited', { retryAfterMs: 2000 });
    expect(fixed(0.5).nextDelay(short, { attempt: 1, elapsedMs: 0 })).toBe(2100);
  });

  it('keeps the longer backoff when it exceeds retry-after', () => {
    const limited = failure('overloaded', { retryAfterMs: 1000 });
    expect(fixed(0.5).nextDelay(limited, { attempt: 6, elapsedMs: 0 })).toBe(16_000);
  });

  it('lets retry-after exceed the cap', () => {
    const limited = failure('overloaded', { retryAfterMs: 120_000 });
    expect(fixed(0.5).nextDelay(limited, { attempt: 1, elapsedMs: 0 })).toBe(120_500);
  });

  it('shortens the last wait to end at maxWaitMs, and gives up when retry-after does not fit', () => {
    const policy = fixed(0.99);
    expect(policy.nextDelay(failure('overloaded'), { attempt: 10, elapsedMs: 10 * MINUTE - 5000 })).toBe(5000);
    expect(policy.nextDelay(failure('overloaded'), { attempt: 10, elapsedMs: 10 * MINUTE })).toBeNull();
    const limited = failure('rate_limited', { retryAfterMs: 30_000 });
    expect(policy.nextDelay(limited, { attempt: 2, elapsedMs: 10 * MINUTE - 20_000 })).toBeNull();
    expect(policy.nextDelay(limited, { attempt: 2, elapsedMs: 10 * MINUTE - 30_000 })).toBe(30_000);
  });

  it('lets per-kind options beat global ones, and global options beat kind defaults', () => {
    const policy = fixed(0.5, { maxWaitMs: 30_000, capMs: 4000, kinds: { overloaded: { capMs: 8000 } } });
    expect(policy.settingsFor('overloaded')).toMatchObject({ maxWaitMs: 30_000, capMs: 8000, maxAttempts: 40 });
    expect(policy.settingsFor('network')).toMatchObject({ maxWaitMs: 30_000, capMs: 4000 });
  });

  it('ignores undefined, NaN and negative options, and a jitter that is no function (the old string names)', () => {
    const policy = createRetryPolicy({ capMs: undefined, baseMs: Number.NaN, maxWaitMs: -1, jitter: 'full' as never });
    expect(policy.settingsFor('overloaded')).toEqual(createRetryPolicy().settingsFor('overloaded'));
  });

  it('supports equal, decorrelated and no jitter per kind, each imported', () => {
    const policy = fixed(0, { kinds: { server_error: { jitter: equalJitter }, network: { jitter: decorrelatedJitter },
      timeout: { jitter: exponentialDelay } } });
    expect(policy.nextDelay(failure('server_error'), { attempt: 3, elapsedMs: 0 })).toBe(2000);
    expect(policy.nextDelay(failure('network'), { attempt: 2, elapsedMs: 0, previousDelayMs: 3000 })).toBe(1000);
    expect(policy.nextDelay(failure('timeout'), { attempt: 2, elapsedMs: 0 })).toBe(2000);
  });

  it("spreads delays with the app's own strategy, given the backoff input and the draw", () => {
    const policy = fixed(0.25, { jitter: (input, u) => input.baseMs * input.attempt * u });
    expect(policy.nextDelay(failure('server_error'), { attempt: 2, elapsedMs: 0 })).toBe(500);
  });

  it('never returns a delay setTimeout would fire at once', () => {
    const policy = fixed(0.99, { capMs: Infinity, maxWaitMs: Infinity, maxAttempts: Infinity });
    expect(policy.nextDelay(failure('overloaded'), { attempt: 500, elapsedMs: 0 })).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
  });
});

describe('nextDelay properties', () => {
  const kind = fc.constantFrom(...KINDS);
  const retryAfter = fc.option(fc.integer({ min: 0, max: 2 * 60 * MINUTE }), { nil: undefined });
  const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('is null or within [retry-after floor, cap or floor plus its spread], and inside the budget', () => {
    fc.assert(fc.property(kind, fc.boolean(), retryAfter, fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 0, max: 40 * MINUTE }), random, (k, retryable, retryAfterMs, attempt, elapsedMs, u) => {
        const policy = createRetryPolicy({ random: () => u });
        const delay = policy.nextDelay(failure(k, { retryable, retryAfterMs }), { attempt, elapsedMs });
        if (delay === null) return true;
        const s = policy.settingsFor(k);
        const floor = retryAfterMs ?? 0;
        const spread = Math.min(floor * s.retryAfterJitterRatio, s.retryAfterJitterMaxMs);
        return delay >= floor && delay <= Math.max(s.capMs, floor + spread) && elapsedMs + delay <= s.maxWaitMs;
      }), { numRuns: 3000 });
  });

  it('never schedules more waiting in a whole run than maxWaitMs', () => {
    fc.assert(fc.property(kind, retryAfter, fc.array(random, { minLength: 1 }), fc.integer({ min: 0, max: 90_000 }),
      (k, retryAfterMs, draws, attemptMs) => {
        let i = 0;
        const policy = createRetryPolicy({ random: () => draws[i++ % draws.length]! });
        const f = failure(k, { retryAfterMs });
        let elapsedMs = 0;
        let waited = 0;
        for (let attempt = 1; attempt < 1000; attempt++) {
          elapsedMs += attemptMs;
          const delay = policy.nextDelay(f, { attempt, elapsedMs });
          if (delay === null) return waited <= policy.settingsFor(k).maxWaitMs;
          waited += delay;
          elapsedMs += delay;
        }
        return false; // never gave up
      }), { numRuns: 1000 });
  });

  it('never retries a non-retryable failure', () => {
    fc.assert(fc.property(kind, retryAfter, fc.integer({ min: 1, max: 100 }), random, (k, retryAfterMs, attempt, u) =>
      createRetryPolicy({ random: () => u })
        .nextDelay(failure(k, { retryable: false, retryAfterMs }), { attempt, elapsedMs: 0 }) === null));
  });
});
