/**
 * Time and randomness, injected. Everything in `src/core` that waits or draws a random number goes through a
 * Clock, so tests (fake timers) and the benchmark (virtual time) drive the very code that ships.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A number in [0, 1), like Math.random. */
  random(): number;
  /**
   * Runs a callback once the current task is done: how stores coalesce a burst of changes into one notification.
   * Defaults to the global `queueMicrotask`.
   */
  queueMicrotask?(callback: () => void): void;
}

/** The real clock. Reads the globals on every call so fake timers installed later still apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  random: () => Math.random(),
  queueMicrotask: (callback) => globalThis.queueMicrotask(callback),
};

/** Something that can tell whether the device is online and announce changes (e.g. React Query's onlineManager). */
export interface OnlineSource {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export const alwaysOnline: OnlineSource = {
  isOnline: () => true,
  subscribe: () => () => {},
};
