import { useEffect, useReducer } from 'react';
import { systemClock, type Clock } from '../core/clock.js';

/** Whole seconds left until `until` (rounded up), or undefined when there is nothing to wait for. */
export function secondsUntil(until: number | undefined, now: number): number | undefined {
  if (until === undefined) return undefined;
  const remaining = until - now;
  return remaining > 0 ? Math.ceil(remaining / 1000) : undefined;
}

/**
 * Whole seconds left until `until` (epoch ms), ticking once a second. Only the calling component re-renders, so
 * keep it in the smallest component that shows the number (that is what `<RetryCountdown>` is for).
 * Timers are aligned to the moment the displayed number changes, not to the mount time, so several countdowns
 * to the same instant change together. Returns undefined when `until` is undefined or already past.
 *
 * @param clock Injected time source; defaults to the real clock (which follows fake timers installed later).
 */
export function useRetryCountdown(until?: number, clock: Clock = systemClock): number | undefined {
  const [, tick] = useReducer((count: number) => count + 1, 0);

  useEffect(() => {
    if (until === undefined) return undefined;
    let handle: unknown;
    let active = true;
    const schedule = (): void => {
      const remaining = until - clock.now();
      if (remaining <= 0) return;
      // The displayed value changes when `remaining` crosses a whole second.
      const delay = remaining % 1000 || 1000;
      handle = clock.setTimeout(() => {
        if (!active) return;
        tick();
        schedule();
      }, delay);
    };
    schedule();
    return () => {
      active = false;
      clock.clearTimeout(handle);
    };
  }, [until, clock]);

  return secondsUntil(until, clock.now());
}
