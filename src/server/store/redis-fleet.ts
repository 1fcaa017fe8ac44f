/**
 * The fleet-wide gate and semaphore on Redis: every instance of the backend waits behind the same closed gate,
 * lets one probe go first when it reopens, and counts its calls to Claude against one limit. Waiting is polling
 * with a little jitter (Redis has no cheap "wake me when this key changes" that survives a lost connection).
 */
import type { Redis } from 'ioredis';
import { isPressureAnswer } from '../../core/rules.js';
import type { Clock } from '../../core/clock.js';
import { ABANDON, ACQUIRE_LEASE, CHECK_GATE, CLOSE_GATE, RENEW_LEASE, SETTLE_GATE } from './redis-scripts.js';
import { within } from './redis-timeout.js';
import type { Refusal, UpstreamResult } from './types.js';

export interface FleetOptions {
  prefix: string;
  maxConcurrency: number;
  leaseMs: number;
  minClosedMs: number;
  maxClosedMs: number;
  pollMs: number;
  /** Every command gives up after this long (a RedisTimeoutError), whatever the client's own settings. */
  commandTimeoutMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

export interface Fleet {
  /** 'go' or 'probe' (this call goes first after a closed window), else why not. Throws when Redis fails. */
  waitGate(token: string, signal: AbortSignal, deadline: number): Promise<'go' | 'probe' | Refusal>;
  /** Takes a lease on one of the fleet's slots, waiting until `deadline`. Throws when Redis fails. */
  acquireLease(id: string, signal: AbortSignal, deadline: number): Promise<true | Refusal>;
  renew(id: string): Promise<unknown>;
  /** Gives the lease back and tells the gate what Claude said. */
  settle(id: string, result: UpstreamResult | undefined): Promise<unknown>;
  /**
   * For a request that went ahead without Redis: whatever its late commands take (a lease, the probe lock) is given
   * back, and any of them that reaches Redis after this takes nothing.
   */
  abandon(id: string): Promise<unknown>;
}

/**
 * Claude has too much to do: it closes the gate for everyone. The answer's own verdict when it has one, else core's
 * rule for a bare status (a 429 without its body cannot be told from the spend limit, and counts as pressure).
 */
export const isPressure = (result: UpstreamResult | undefined) =>
  result?.pressure ?? (result !== undefined && isPressureAnswer(result.status));

const abort = (): Refusal => ({ refused: 'aborted' });

/** `redis` gives the client of the moment, or throws like a lost connection when there is none. */
export function createFleet(redis: () => Redis, options: FleetOptions): Fleet {
  const key = (name: string) => `${options.prefix}${name}`;
  const [leases, gate, probe, streak] = ['leases', 'gate', 'probe', 'streak'].map(key) as [string, string, string, string];
  const mark = (id: string) => key(`abandoned:${id}`);
  const run = (script: string, keys: string[], ...args: Array<string | number>) =>
    within(options.commandTimeoutMs, options.clock, redis().eval(script, keys.length, ...keys, ...args));

  /** Resolves after `ms` (false if the request left first); the jitter keeps instances from polling in step. */
  function pause(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        options.clock.clearTimeout(timer);
        resolve(false);
      };
      const timer = options.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, Math.max(1, ms + Math.random() * options.pollMs));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function waitGate(token: string, signal: AbortSignal, deadline: number): Promise<'go' | 'probe' | Refusal> {
    for (;;) {
      if (signal.aborted) return abort();
      const [state, ms] = (await run(CHECK_GATE, [gate, probe, mark(token)], token, options.leaseMs)) as [number, number];
      if (state === 0) return 'go';
      if (state === 2) return 'probe';
      const left = deadline - Date.now();
      // Closed for longer than this request may wait: answer now with the real reopen time instead of timing out.
      if (state === 1 && ms > left) return { refused: 'closed', retryAfterMs: ms };
      if (left <= 0) return { refused: 'timeout', retryAfterMs: Math.max(ms, options.pollMs) };
      const wait = state === 1 ? ms : Math.min(Math.max(ms, 0), options.pollMs);
      if (!(await pause(Math.min(wait, left), signal))) return abort();
    }
  }

  async function acquireLease(id: string, signal: AbortSignal, deadline: number): Promise<true | Refusal> {
    for (;;) {
      if (signal.aborted) return abort();
      const taken = await run(ACQUIRE_LEASE, [leases, mark(id)], id, options.maxConcurrency, options.leaseMs);
      if (taken === 1) return true;
      if (taken === -1) throw new Error('this request already went ahead without Redis');
      const left = deadline - Date.now();
      if (left <= 0) return { refused: 'timeout' };
      if (!(await pause(Math.min(options.pollMs, left), signal))) return abort();
    }
  }

  return {
    waitGate,
    acquireLease,
    renew: async (id) => run(RENEW_LEASE, [leases, probe], id, options.leaseMs, id),
    // One script each, so a settle sent into a hang is a single command that either runs whole or not at all.
    async settle(id, result) {
      if (isPressure(result)) {
        const retryAfterMs = result?.retryAfterMs ?? 0;
        return run(CLOSE_GATE, [gate, probe, streak, leases], retryAfterMs, options.leaseMs, id, options.minClosedMs, options.maxClosedMs);
      }
      const ok = result !== undefined && result.status >= 200 && result.status < 300;
      return run(SETTLE_GATE, [gate, probe, streak, leases], id, ok ? '1' : '0');
    },
    abandon: async (id) => run(ABANDON, [leases, probe, mark(id)], id, options.leaseMs),
  };
}
