import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';

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
