import { ClaudeError } from '../src/core/failure.js';
import type { Clock } from '../src/core/clock.js';

import { mulberry32 } from '../src/testing/prng.js';

/** A seeded PRNG: the simulator's mulberry32, so the same seed gives the same stream on every machine. */
export const createRandom = mulberry32;

interface TimerEvent {
  at: number;
  /** Insertion order: events at the same instant run first-scheduled-first, like real timers. */
  seq: number;
  callback: (() => void) | undefined;
}

export interface VirtualClock extends Clock {
  /** Runs events in time order until none is left or `horizonMs` is reached. */
  run(horizonMs?: number): Promise<void>;
  /** Events run so far (for the run-time report). */
  readonly events: number;
}

const before = (a: TimerEvent, b: TimerEvent) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * Virtual time: `setTimeout` pushes onto a min-heap and `run` pops in order. The kit's retryer is promise-based, so
 * after each callback the microtask queue is drained (one `setImmediate` turn) before time moves: a continuation
 * that schedules a timer must get it in before the next event is popped.
 */
export function createVirtualClock(seed: number, startMs = 0): VirtualClock {
  const heap: TimerEvent[] = [];
  const random = createRandom(seed);
  let now = startMs;
  let seq = 0;
  let events = 0;

  function push(event: TimerEvent): void {
    let i = heap.push(event) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  function pop(): TimerEvent | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }

  const drainMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

  return {
    now: () => now,
    random,
    setTimeout(callback, ms) {
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
      const event: TimerEvent = { at: now + delay, seq: seq++, callback };
      push(event);
      return event;
    },
    clearTimeout(handle) {
      // Lazy deletion: the event stays in the heap but does nothing when popped.
      if (handle && typeof handle === 'object') (handle as TimerEvent).callback = undefined;
    },
    async run(horizonMs = Infinity) {
      await drainMicrotasks();
      for (;;) {
        const event = pop();
        if (!event || event.at > horizonMs) return;
        const callback = event.callback;
        if (!callback) continue;
        event.callback = undefined;
        now = event.at;
        events += 1;
        callback();
        await drainMicrotasks();
      }
    },
    get events() {
      return events;
    },
  };
}

/** The error a bench wait ends with when its request is aborted. */
export const abortedError = () => new ClaudeError({ kind: 'aborted', message: 'Aborted', retryable: false });

/** Waits `ms` on the virtual clock; an abort ends it with the aborted error. */
export function pause(clock: VirtualClock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortedError());
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortedError());
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
