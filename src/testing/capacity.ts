/**
 * The capacity model and the counters behind `simulator.stats()`. A slot is held by a request Claude is serving
 * (an answer being produced, or a hang); a request that arrives when every slot is taken gets a 529 at once, which
 * is how real overload looks from outside.
 */

export interface SimulatorStats {
  /** Requests received on the Messages path. */
  requests: number;
  /** Answers sent, by HTTP status. A stream that breaks after its 200 counts as 200. */
  byStatus: Record<number, number>;
  /** Connections dropped on purpose (`network-error`). */
  connectionErrors: number;
  /** Requests being handled right now, from arrival until their answer (or stream) ends. */
  inFlight: number;
  /** The most requests ever in flight at once since the last reset. */
  maxInFlight: number;
  /** Requests whose caller went away before their answer ended. */
  aborted: number;
}

export interface Capacity {
  /** Takes a slot when one is free. */
  tryTake(): boolean;
  /** Takes a slot regardless (scripted requests are served whatever the load). */
  take(): void;
  free(): void;
  readonly serving: number;
}

export function createCapacity(limit: () => number): Capacity {
  let serving = 0;
  return {
    tryTake() {
      if (serving >= limit()) return false;
      serving += 1;
      return true;
    },
    take() {
      serving += 1;
    },
    free() {
      serving = Math.max(0, serving - 1);
    },
    get serving() {
      return serving;
    },
  };
}

export interface StatsRecorder {
  arrived(): void;
  answered(status: number): void;
  dropped(): void;
  aborted(): void;
  /** The request's handling is over (answered, streamed to the end, aborted or dropped). */
  left(): void;
  snapshot(): SimulatorStats;
  /** Zeroes the counters; requests still in flight stay counted there. */
  reset(): void;
}

export function createStats(): StatsRecorder {
  let stats: SimulatorStats = { requests: 0, byStatus: {}, connectionErrors: 0, inFlight: 0, maxInFlight: 0, aborted: 0 };
  return {
    arrived() {
      stats.requests += 1;
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    },
    answered(status) {
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    },
    dropped() {
      stats.connectionErrors += 1;
    },
    aborted() {
      stats.aborted += 1;
    },
    left() {
      stats.inFlight = Math.max(0, stats.inFlight - 1);
    },
    snapshot() {
      return { ...stats, byStatus: { ...stats.byStatus } };
    },
    reset() {
      stats = { requests: 0, byStatus: {}, connectionErrors: 0, inFlight: stats.inFlight, maxInFlight: stats.inFlight, aborted: 0 };
    },
  };
}
