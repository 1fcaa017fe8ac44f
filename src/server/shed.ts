/**
 * Load shedding toward the upstream: at most `maxConcurrency` calls at once, at most `maxQueue` waiting behind them.
 * A request that finds the queue full is refused at once (the handler answers 529 with retry-after), because an
 * unbounded queue only turns overload into timeouts and memory; a queued request whose client leaves frees its place.
 */
import type { Clock } from '../core/clock.js';

export type Release = () => void;

/** A slot's release function, or why there is none. */
export type Admission = Release | 'full' | 'timeout' | 'aborted';

export interface Shedder {
  acquire(signal?: AbortSignal): Promise<Admission>;
  readonly active: number;
  readonly queued: number;
}

export interface ShedderOptions {
  maxConcurrency: number;
  maxQueue: number;
  /** How long a request may wait in the queue before it is refused. */
  queueTimeoutMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

interface Waiter {
  admit(release: Release): void;
}

export function createShedder(options: ShedderOptions): Shedder {
  let active = 0;
  const queue: Waiter[] = [];

  const makeRelease = (): Release => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active -= 1;
      const next = queue.shift();
      if (next) {
        active += 1;
        next.admit(makeRelease());
      }
    };
  };

  function acquire(signal?: AbortSignal): Promise<Admission> {
    if (signal?.aborted) return Promise.resolve('aborted');
    if (active < options.maxConcurrency && queue.length === 0) {
      active += 1;
      return Promise.resolve(makeRelease());
    }
    if (queue.length >= options.maxQueue) return Promise.resolve('full');
    return new Promise<Admission>((resolve) => {
      const leave = (why: 'timeout' | 'aborted') => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        cleanup();
        resolve(why);
      };
      const onAbort = () => leave('aborted');
      const timer = Number.isFinite(options.queueTimeoutMs) ? options.clock.setTimeout(() => leave('timeout'), options.queueTimeoutMs) : undefined;
      const cleanup = () => {
        options.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        admit(release) {
          cleanup();
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  return {
    acquire,
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
  };
}
