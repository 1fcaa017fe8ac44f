import { useCallback, useSyncExternalStore } from 'react';
import { systemClock, type Clock } from '../core/clock.js';
import { createListeners } from '../core/store.js';

/** Whole seconds left until `until` (rounded up), or undefined when there is nothing to wait for. */
export function secondsUntil(until: number | undefined, now: number): number | undefined {
  if (until === undefined) return undefined;
  const remaining = until - now;
  return remaining > 0 ? Math.ceil(remaining / 1000) : undefined;
}

/** One timer per (clock, instant), shared by every countdown to that instant. */
interface Ticker extends ReturnType<typeof createListeners> {
  seconds: number | undefined;
  handle: unknown;
}

const tickers = new WeakMap<Clock, Map<number, Ticker>>();

function subscribeTo(clock: Clock, until: number, listener: () => void): () => void {
  let byInstant = tickers.get(clock);
  if (!byInstant) tickers.set(clock, (byInstant = new Map()));
  let ticker = byInstant.get(until);
  if (!ticker) {
    const created: Ticker = Object.assign(createListeners(), { seconds: secondsUntil(until, clock.now()), handle: undefined as unknown });
    const schedule = (): void => {
      const remaining = until - clock.now();
      if (remaining <= 0) return;
      // The displayed value changes when `remaining` crosses a whole second; a timer that fires a hair early
      // changes nothing and schedules again for the rest.
      created.handle = clock.setTimeout(() => {
        const seconds = secondsUntil(until, clock.now());
        if (seconds !== created.seconds) {
          created.seconds = seconds;
          created.notify();
        }
        schedule();
      }, remaining % 1000 || 1000);
    };
    schedule();
    byInstant.set(until, (ticker = created));
  }
  const current = ticker;
  const unsubscribe = current.subscribe(listener);
  return () => {
    unsubscribe();
    if (current.size > 0) return;
    clock.clearTimeout(current.handle);
    byInstant.delete(until);
  };
}

/**
 * Whole seconds left until `until` (epoch ms), ticking once a second. Only the calling component re-renders, so
 * keep it in the smallest component that shows the number (that is what `<RetryCountdown>` is for).
 * Every countdown to the same instant on the same clock reads one shared timer, so a banner and a toast showing the
 * same wait never disagree, not even for a frame. Returns undefined when `until` is undefined or already past.
 *
 * @param clock Injected time source; defaults to the real clock (which follows fake timers installed later).
 */
export function useRetryCountdown(until?: number, clock: Clock = systemClock): number | undefined {
  const subscribe = useCallback(
    (listener: () => void) => (until === undefined ? () => {} : subscribeTo(clock, until, listener)),
    [until, clock],
  );
  const read = (): number | undefined => {
    if (until === undefined) return undefined;
    const ticker = tickers.get(clock)?.get(until);
    return ticker ? ticker.seconds : secondsUntil(until, clock.now());
  };
  return useSyncExternalStore(subscribe, read, read);
}
