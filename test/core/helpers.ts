import { ClaudeError } from '../../src/core/failure.js';
import type { OnlineSource } from '../../src/core/clock.js';
import { systemClock } from '../../src/core/clock.js';

export const overloaded = (extra: Partial<ConstructorParameters<typeof ClaudeError>[0]> = {}) =>
  new ClaudeError({ kind: 'overloaded', status: 529, type: 'overloaded_error', message: 'Overloaded', ...extra });

export const rateLimited = (retryAfterMs: number) =>
  new ClaudeError({ kind: 'rate_limited', status: 429, type: 'rate_limit_error', message: 'Rate limited', retryAfterMs });

export const badRequest = () =>
  new ClaudeError({ kind: 'invalid_request', status: 400, type: 'invalid_request_error', message: 'messages: required' });

/** A controllable online source, like React Query's onlineManager. */
export function createOnlineSwitch(initial = true) {
  let online = initial;
  const listeners = new Set<(online: boolean) => void>();
  const source: OnlineSource = {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    source,
    set(next: boolean) {
      online = next;
      for (const listener of [...listeners]) listener(next);
    },
    get listeners() {
      return listeners.size;
    },
  };
}

/** An attempt function scripted per call: an Error/ClaudeError is thrown, anything else is the answer. */
export function scripted<T>(outcomes: Array<T | Error>, { latencyMs = 0 } = {}) {
  const calls: Array<{ attempt: number; signal: AbortSignal; at: number }> = [];
  const run = (signal: AbortSignal, attempt: number) => {
    calls.push({ attempt, signal, at: Date.now() });
    const outcome = outcomes[Math.min(calls.length - 1, outcomes.length - 1)];
    return new Promise<T>((resolve, reject) => {
      const settle = () => (outcome instanceof Error ? reject(outcome) : resolve(outcome as T));
      if (latencyMs === 0) return settle();
      const timer = setTimeout(settle, latencyMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  };
  return { run, calls };
}

/**
 * The kit's clock over Vitest's fake timers (`vi.useFakeTimers()` first): time passes only as the test advances it,
 * and jitter draws the middle of its range.
 */
export const fakeTimersClock = {
  now: () => Date.now(),
  setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as never),
  random: () => 0.5,
};

/** How long a simulated Claude takes to answer: on Vitest's fake timers, it passes only as the test advances them. */
export const answerTime = (ms: number) => new Promise<void>((done) => {
  setTimeout(done, ms);
});

/** Attaches features to a bare demand store, as `createClaudeClient({ features })` does. */
export function withFeatures<S extends import('../../src/core/demand.js').DemandStore>(
  demand: S,
  features: ReadonlyArray<import('../../src/core/features.js').ClaudeFeature>,
  clock: import('../../src/core/clock.js').Clock = systemClock,
): S {
  for (const feature of features) feature.setup({ demand, clock });
  return demand;
}
