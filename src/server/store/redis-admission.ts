/**
 * The line's control (admission/control.ts and limit.ts) ported to Lua, so every instance of a backend shares one
 * adaptive limit, one window and one probe through Redis: fleet-wide pacing, not a fixed lease count. The TypeScript
 * is the reference; test/server/redis/admission-diff.test.ts plays one script of events on both, on a real
 * redis-server, and wants the same answers and the same state after every step.
 *
 * State: a hash (limit, epoch, state, reopenAt, …), a list of recent accepted calls as evidence (`at:level`,
 * decreasing in level), a list of the last outcomes ('1' refused, '0' accepted), the calls in flight as leases (where
 * the reference keeps a counter: a lease expires with its instance), and the waiting requests in fleet-wide order.
 * Floats are written with 17 significant digits so the limit survives the trip exactly. `now` comes from the caller
 * in the differential test and from Redis's TIME otherwise (ARGV[2] = ''), so instances whose clocks disagree still
 * agree on the window; leases always live by Redis's TIME.
 */
import type { Redis } from 'ioredis';
import type { LineControlOptions, LineState } from '../admission/control.js';
import type { RefusalVerdict } from '../admission/limit.js';
import { LINE_CONTROL } from './redis-line-script.js';

export { LINE_CONTROL };

export interface RedisLineCall {
  /** The call's lease: it counts in flight while the lease lives. */
  id: string;
  level: number;
  epoch: number;
  probe: boolean;
  probeId: number;
}

/** The control's tuning, as the script reads it. */
export type RedisLineOptions = LineControlOptions & {
  /** How long the line's state outlives its last use. Defaults to an hour. */
  ttlMs?: number;
};

/** The keys of the line under `prefix`; `id` and `ticket` name the request's abandon mark and ticket (store ops). */
export const lineKeys = (prefix: string, id = '', ticket = '') => [
  `${prefix}line`, `${prefix}line:evidence`, `${prefix}line:recent`, `${prefix}line:leases`, `${prefix}line:waiting`,
  `${prefix}line:alive`, `${prefix}abandoned:${id}`, `${prefix}ticket:${ticket}`,
];

/** ARGV[1..10] of LINE_CONTROL: the op, the time ('' for Redis's own) and the tuning. */
export function lineArgs(options: RedisLineOptions, op: string, now?: number): Array<string | number> {
  const limit = options.limit ?? {};
  return [
    op, now === undefined ? '' : String(now), limit.initial ?? 32, limit.min ?? 1, limit.max ?? -1, limit.decrease ?? 0.9,
    limit.evidenceMs ?? 10_000, options.minClosedMs ?? 1000, options.maxClosedMs ?? 15_000, options.ttlMs ?? 3_600_000,
  ];
}

export interface RedisLineControl {
  turn(now?: number): Promise<'go' | 'probe' | 'wait'>;
  send(probe: boolean): Promise<RedisLineCall>;
  accepted(call: RedisLineCall, binding: boolean, now?: number): Promise<void>;
  refused(call: RedisLineCall, now?: number, retryAfterMs?: number): Promise<RefusalVerdict>;
  finish(call: RedisLineCall): Promise<void>;
  snapshot(): Promise<{ state: LineState; reopenAt: number; limit: number; inFlight: number }>;
}

/**
 * The control's events one by one on Redis under `prefix`, as the reference takes them: for the differential test,
 * which passes `now` to drive it from a script. The store combines the same events in its own ops (redis-fleet.ts).
 * Leases taken here live `ttlMs`.
 */
export function createRedisLineControl(redis: Redis, prefix: string, options: RedisLineOptions = {}): RedisLineControl {
  const keys = lineKeys(prefix);
  const leaseMs = options.ttlMs ?? 3_600_000;
  const run = (op: string, now: number | undefined, ...rest: Array<string | number>) =>
    redis.eval(LINE_CONTROL, keys.length, ...keys, ...lineArgs(options, op, now), ...rest);
  const flag = (b: boolean) => (b ? '1' : '0');
  return {
    turn: async (now) => (await run('turn', now)) as 'go' | 'probe' | 'wait',
    async send(probe) {
      const id = globalThis.crypto.randomUUID();
      const [level, epoch, probeId] = (await run('send', undefined, flag(probe), id, leaseMs)) as [number, number, number];
      return { id, level, epoch, probe, probeId };
    },
    async accepted(call, binding, now) {
      await run('accepted', now, call.level, call.epoch, call.probeId, flag(binding));
    },
    refused: async (call, now, retryAfterMs) =>
      (await run('refused', now, call.level, call.epoch, call.probeId, retryAfterMs ?? -1)) as RefusalVerdict,
    async finish(call) {
      await run('finish', undefined, call.probeId, call.id);
    },
    async snapshot() {
      const [state, reopenAt, value, inFlight] = (await run('snapshot', undefined)) as [string, string, number, number];
      return { state: state as LineState, reopenAt: Number(reopenAt), limit: value, inFlight };
    },
  };
}
