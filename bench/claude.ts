import { ClaudeError } from '../src/core/failure.js';
import { createRandom, type VirtualClock, abortedError } from './virtual-clock.js';

/** Claude's capacity over time: normal, a long drop to a fraction of the slots, then a linear ramp back. */
export interface CapacityTimeline {
  slots: number;
  /** Share of the slots lost during the drop, in [0, 1). */
  dropDepth: number;
  dropStartMs: number;
  dropMs: number;
  /** Recovery is not instant: slots come back one by one over this long. */
  rampMs: number;
}

export function lowSlots(t: CapacityTimeline): number {
  return Math.max(1, Math.round(t.slots * (1 - t.dropDepth)));
}

export function capacityAt(t: CapacityTimeline, ms: number): number {
  const dropEnd = t.dropStartMs + t.dropMs;
  const low = lowSlots(t);
  if (ms < t.dropStartMs || ms >= dropEnd + t.rampMs) return t.slots;
  if (ms < dropEnd) return low;
  return low + Math.floor(((t.slots - low) * (ms - dropEnd)) / t.rampMs);
}

/** Every instant the capacity changes (the ramp adds one slot at a time). */
export function capacityChanges(t: CapacityTimeline): number[] {
  const dropEnd = t.dropStartMs + t.dropMs;
  const low = lowSlots(t);
  const times = [t.dropStartMs, dropEnd];
  for (let k = 1; k <= t.slots - low; k++) times.push(dropEnd + Math.ceil((t.rampMs * k) / (t.slots - low)));
  return times;
}

export interface ClaudeOptions {
  timeline: CapacityTimeline;
  /** Round trip of a refusal: a 529 is decided on arrival and is back this much later. */
  rttMs: number;
  /** The retry-after variant: every 529 carries this (ms). */
  retryAfterMs?: number;
  /**
   * Share of refusals that arrive as an HTTP 200 whose stream then breaks with `overloaded_error` (a mid-stream
   * overload): such a refusal costs its first bytes' time (`firstBytesMs`) instead of `rttMs`, and carries no
   * retry-after (its headers were a 200's). Drawn from its own seeded stream, and only when above 0.
   */
  midStream?: number;
  /** When a mid-stream refusal arrives, from the call leaving. */
  firstBytesMs?: number;
  /** Width of the chart's buckets. */
  bucketMs: number;
  /**
   * Exogenous refusals: the chance that Claude turns a call away at this instant whatever its own slots say (load
   * from every other customer of Anthropic). Drawn from its own seeded stream, so strategies cannot shift it.
   */
  refusalAt?: (ms: number) => number;
  /** Seed of that stream. */
  seed?: number;
}

export interface SimulatedClaude {
  /**
   * One attempt: answered after `serviceMs` if a slot is free on arrival, otherwise a 529 one round trip later (or,
   * with `midStream`, a 200 that breaks with overloaded_error after its first bytes).
   */
  send(signal: AbortSignal, serviceMs: number): Promise<void>;
  /** The ideal scheduler's path: waits in one FIFO queue and is sent only when a slot is free (never refused). */
  admit(signal: AbortSignal, serviceMs: number): Promise<void>;
  readonly attempts: number;
  readonly rejected: number;
  /** Attempts sent per bucket of `bucketMs`. */
  readonly perBucket: number[];
}


export function createSimulatedClaude(clock: VirtualClock, options: ClaudeOptions): SimulatedClaude {
  const { timeline, rttMs, retryAfterMs, bucketMs, refusalAt } = options;
  const midStream = options.midStream ?? 0;
  const firstBytesMs = options.firstBytesMs ?? rttMs;
  const luck = createRandom((options.seed ?? 1) * 7 + 13);
  const streamLuck = createRandom((options.seed ?? 1) * 31 + 5);
  let busy = 0;
  let attempts = 0;
  let rejected = 0;
  const perBucket: number[] = [];
  const fifo: Array<{ serviceMs: number; start: () => void }> = [];

  for (const at of capacityChanges(timeline)) clock.setTimeout(pump, at - clock.now());

  function count(): void {
    attempts += 1;
    const bucket = Math.floor(clock.now() / bucketMs);
    while (perBucket.length <= bucket) perBucket.push(0);
    perBucket[bucket] = (perBucket[bucket] ?? 0) + 1;
  }

  function pump(): void {
    while (fifo.length > 0 && busy < capacityAt(timeline, clock.now())) fifo.shift()!.start();
  }

  /** Occupies a slot for `serviceMs`; an abort frees it at once. */
  function serve(signal: AbortSignal, serviceMs: number, resolve: () => void, reject: (e: unknown) => void): void {
    busy += 1;
    const done = (error?: unknown) => {
      busy -= 1;
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
      pump();
    };
    const timer = clock.setTimeout(() => done(), serviceMs);
    const onAbort = () => {
      clock.clearTimeout(timer);
      done(abortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  }

  function send(signal: AbortSignal, serviceMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(abortedError());
      count();
      const turnedAway = refusalAt !== undefined && luck() < refusalAt(clock.now());
      if (!turnedAway && busy < capacityAt(timeline, clock.now())) return serve(signal, serviceMs, resolve, reject);
      rejected += 1;
      const broken = midStream > 0 && streamLuck() < midStream;
      // A mid-stream overload is Claude's same refusal, seen later: the line must count it as one (bench/kit.ts does).
      const overloaded = broken
        ? new ClaudeError({ kind: 'overloaded', status: 200, type: 'overloaded_error', message: 'Overloaded', midStream: true })
        : new ClaudeError({ kind: 'overloaded', status: 529, type: 'overloaded_error', message: 'Overloaded', retryAfterMs });
      const onAbort = () => {
        clock.clearTimeout(timer);
        reject(abortedError());
      };
      const timer = clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        reject(overloaded);
      }, broken ? firstBytesMs : rttMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  function admit(signal: AbortSignal, serviceMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(abortedError());
      const entry = {
        serviceMs,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          count();
          serve(signal, serviceMs, resolve, reject);
        },
      };
      const onAbort = () => {
        const index = fifo.indexOf(entry);
        if (index >= 0) fifo.splice(index, 1);
        reject(abortedError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      fifo.push(entry);
      pump();
    });
  }

  return {
    send,
    admit,
    get attempts() { return attempts; },
    get rejected() { return rejected; },
    get perBucket() { return perBucket; },
  };
}
