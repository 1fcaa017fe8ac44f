import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { createAlarm } from '../../src/core/util.js';

describe('systemClock', () => {
  it('follows fake timers installed after import', () => {
    vi.useFakeTimers({ now: 1_000 });
    const fired = vi.fn();
    systemClock.setTimeout(fired, 500);
    vi.advanceTimersByTime(499);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
    expect(systemClock.now()).toBe(1_500);
    vi.useRealTimers();
  });
});

describe('createAlarm', () => {
  it('fires once at the moment set, re-arms only when the moment changes, and stops when set to undefined', () => {
    vi.useFakeTimers({ now: 0 });
    const fired = vi.fn();
    const set = createAlarm(systemClock, fired);
    set(1_000);
    set(1_000); // the same moment: the timer is kept, not restarted
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);

    set(3_000);
    set(2_000); // moved earlier: one timer, at the new moment
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveBeenCalledTimes(2);

    set(5_000);
    set(undefined);
    vi.advanceTimersByTime(10_000);
    expect(fired).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('fires a moment already past on the next timer tick, not while being set', () => {
    vi.useFakeTimers({ now: 5_000 });
    const fired = vi.fn();
    createAlarm(systemClock, fired)(1_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fired).toHaveBeenCalledOnce();
    vi.useRealTimers();
  });
});
