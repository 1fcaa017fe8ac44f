/**
 * The bound on every Redis call the store makes, whatever client it runs on (an app's own client may have no
 * `commandTimeout`; BullMQ's connections wait forever by design). Past it the request goes on without Redis, so a
 * caller that gives up must also make sure the command, if Redis runs it later, takes nothing on its behalf.
 */
import type { Clock } from '../../core/clock.js';

export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** `work`, or a RedisTimeoutError after `ms`; the timer is always cleared and a late rejection is swallowed. */
export function within<T>(ms: number, clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, work: Promise<T>): Promise<T> {
  let timer: unknown;
  const late = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, late]).finally(() => clock.clearTimeout(timer));
}
