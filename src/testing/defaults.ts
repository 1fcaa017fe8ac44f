/** The simulator's defaults, in one place: the factory reads them, and docs/testing.md's option table is checked against them. */
export const SIMULATOR_DEFAULTS = {
  mode: 'normal',
  busyRate: 0.5,
  /** 'episodes': a 10 s busy spell 3 s after the first request, and again every minute. */
  busyAfterMs: 3_000,
  busyMs: 10_000,
  busyEveryMs: 60_000,
  capacity: Infinity,
  serviceTimeMs: 0,
  latencyMs: 0,
  seed: 1,
  /** As in the fixture's 429. */
  retryAfterSeconds: 17,
} as const;
