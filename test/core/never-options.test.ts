import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDemandStore } from '../../src/core/demand.js';
import { createRetryer } from '../../src/core/retryer.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { escalation } from '../../src/core/escalation.js';
import { overloaded, scripted, withFeatures } from './helpers.js';

const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The real clock as a browser runs it: a delay beyond what a timer can hold (Infinity, 30 days) fires at once. Counts
 * the timers set, and stops arming after `limit` so a runaway loop ends the test instead of hanging it.
 */
function browserClock(limit = 200) {
  let set = 0;
  const clock: Clock = {
    ...systemClock,
    setTimeout(callback, ms) {
      set += 1;
      if (set > limit) return undefined;
      return globalThis.setTimeout(callback, Number.isFinite(ms) && ms <= MAX_TIMER_DELAY_MS ? ms : 0);
    },
  };
  return { clock, get set() { return set; } };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('options that mean "never"', () => {
  it.each([
    ['Infinity', Infinity],
    ['30 days', 30 * 24 * 60 * 60_000],
  ])('a demand store whose contact stage is %s away does not spin a timer loop during a busy episode', async (_name, contactMs) => {
    const timers = browserClock();
    const onEscalate = vi.fn();
    const store = withFeatures(createDemandStore({ clock: timers.clock }), [escalation({ contactMs, onEscalate })], timers.clock);
    // Claude stays overloaded for the whole test, and this request is patient enough to wait it out.
    const script = scripted([overloaded()]);
    const patient = createRetryPolicy({ random: () => 0.5, kinds: { overloaded: { maxWaitMs: 2 * 60 * 60_000, maxAttempts: 1_000 } } });
    const retryer = createRetryer({ run: script.run, policy: patient });
    store.track(retryer as never);
    await vi.advanceTimersByTimeAsync(45 * 60_000);
    // slow at 30 s, unusual at 30 min: a few timers, not one per tick.
    expect(timers.set).toBeLessThan(20);
    expect(onEscalate.mock.calls.map(([stage]) => stage)).toEqual(['slow', 'unusual']);
    retryer.cancel();
    store.dispose();
  });
});
