/** Small helpers every layer needs, written once. */
import type { Clock } from './clock.js';
import { MAX_TIMER_DELAY_MS } from './backoff.js';

/** A non-null object (arrays included): safe to read properties from. */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');

/**
 * Waits `ms` on the clock; rejects with the signal's reason as soon as it aborts, leaving no timer behind. A zero or
 * negative delay resolves without a timer; `Infinity` never resolves by itself (a hang that only an abort ends),
 * since `setTimeout(…, Infinity)` would fire at once.
 */
export function sleep(ms: number, clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = Number.isFinite(ms)
      ? clock.setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms)
      : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One timer for "call `fire` at this moment": `set(at)` re-arms it only when the moment changes, `set(undefined)`
 * stops it. A moment already past fires on the next timer tick, never synchronously; `Infinity` never fires.
 */
export function createAlarm(clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>, fire: () => void): (at: number | undefined) => void {
  let timer: unknown;
  let timerAt: number | undefined;
  return (at) => {
    if (at === timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    timerAt = at;
    // A timer cannot hold more than ~24.8 days: beyond it (and at Infinity, an option's "never") it fires at once, and
    // an owner that re-arms from `fire` would spin. Never is no timer; a far moment wakes early and is re-armed.
    if (at !== undefined && Number.isFinite(at)) {
      timer = clock.setTimeout(() => {
        timer = timerAt = undefined;
        fire();
      }, Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - clock.now())));
    }
  };
}

/** Whether two flat objects hold the same keys with the same values (a key set to undefined counts as present). */
export function sameFields<T extends object>(a: T, b: T): boolean {
  for (const key in a) if (a[key] !== b[key]) return false;
  for (const key in b) if (!(key in a)) return false;
  return true;
}
