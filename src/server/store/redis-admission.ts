/**
 * The line's control (admission/control.ts and limit.ts) ported to Lua, so every instance of a backend shares one
 * line per model through Redis: fleet-wide pacing, not a fixed lease count. The TypeScript is the reference;
 * test/server/redis/admission-diff.test.ts plays scripts of events on both, on a real redis-server, and wants the same
 * answers and the same state after every step: the control's events one by one, and whole admissions (two models,
 * both lanes, a ceiling) against createModelLines.
 *
 * State per model: a hash (the control's numbers as one MessagePack map: limit, epoch, state, reopenAt, …; each
 * call's send time, each waiter's entry), a list of recent accepted calls as evidence
 * (`at:level`, decreasing in level), a list of the last outcomes ('1' refused, '0' accepted), the calls in flight as
 * leases (where the reference keeps a counter: a lease expires with its instance), and the waiting requests in
 * fleet-wide order, one sorted set per lane. Shared by every model (the reference's room): the order counter, every
 * model's leases (for the ceiling), and the waiters held back only by the ceiling. Floats in lists and replies are written
 * with 17 significant digits, so they survive the trip exactly, as MessagePack keeps the state's doubles. `now` comes from the caller in the differential test and
 * from Redis's TIME otherwise (ARGV[2] = ''), so instances whose clocks disagree still agree on the window; leases
 * always live by Redis's TIME.
 */
import type { Redis } from 'ioredis';
import type { LineControlOptions, LineState } from '../admission/control.js';
import type { RefusalVerdict } from '../admission/limit.js';
import { LINE_CONTROL } from './redis-line-script.js';
import { DEFAULT_MAX_CLOSED_MS, DEFAULT_MIN_CLOSED_MS, LINE_TUNING } from '../admission/defaults.js';

export { LINE_CONTROL };

let lineDigest: string | undefined;
const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * The line's script run by its digest (EVALSHA), and sent whole (EVAL, which caches it) only when Redis does not have
 * it: after a restart, a SCRIPT FLUSH, a failover to a replica that never ran it. Sent whole with every command, its
 * 34 KB cost Redis a SHA-1 of them each time (124 µs of Redis per command, where the line's own work is a fraction of
 * it) and the network 107 KB per request (an admission and its release: three commands).
 */
export async function runLine(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
  lineDigest ??= Array.from(
    new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', new TextEncoder().encode(LINE_CONTROL))),
    (b) => b.toString(16).padStart(2, '0'),
  ).join('');
  try {
    return await redis.evalsha(lineDigest, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return redis.eval(LINE_CONTROL, keys.length, ...keys, ...args);
  }
}

export interface RedisLineCall {
  /** The call's lease: it counts in flight while the lease lives. */
  id: string;
  /** Calls in flight once it was sent; below one call, the share it was paced at. */
  level: number;
  epoch: number;
  probe: boolean;
  probeId: number;
  /** The resend of a refusal the line excused (limit.ts, resendOutcomes). */
  resend?: boolean;
}

/** The control's tuning, as the script reads it. */
export type RedisLineOptions = LineControlOptions & {
  /** How long a line's state outlives its last use. Defaults to an hour. */
  ttlMs?: number;
  /** Calls in flight for every model's line together (the reference's room). Defaults to none. */
  ceiling?: number;
};

/** A model name this plain and short names its keys as it is (readable in redis-cli); any other is hashed. */
const PLAIN_MODEL = /^[A-Za-z0-9._-]{1,64}$/;
const tags = new Map<string, string>();

/**
 * The part of a model's key names: `m:<model>` for a plain name, else `h:<first 128 bits of its SHA-256, hex>`, so
 * any string a client sends makes a short key of safe characters and two models never share a line ('' for a request
 * that names none: the base line). The two forms cannot meet: a plain name has no ':'.
 */
export async function lineTag(model: string | undefined): Promise<string> {
  if (model === undefined || model === '') return '';
  if (PLAIN_MODEL.test(model)) return `m:${model}`;
  const known = tags.get(model);
  if (known !== undefined) return known;
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(model)));
  const tag = `h:${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  // Models a client may name are unbounded: the memo is only for the few an app really uses.
  if (tags.size >= 256) tags.clear();
  tags.set(model, tag);
  return tag;
}

const users = new Map<string, string>();

/**
 * A user as the script knows it: `u` and the first 128 bits of the SHA-256 of the app's key, hex, so the key (an
 * email, a session id) is not stored in Redis as it is, and any key makes a short field.
 */
export async function userTag(user: string): Promise<string> {
  const known = users.get(user);
  if (known !== undefined) return known;
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(user)));
  const tag = `u${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  // Users are unbounded: the memo only spares the digest for the users of the moment.
  if (users.size >= 4096) users.clear();
  users.set(user, tag);
  return tag;
}

/** A user's places in every model's line of the app under `prefix` (userTag), which `maxPerUser` counts. */
export const placesKey = (prefix: string, user: string) => `${prefix}places:${user}`;

/**
 * The script's keys under `prefix` (see redis-line-script.ts): the line of the model whose tag is `line` (lineTag),
 * the app's room, and the request's abandon mark and ticket (`id`, `ticket`; store ops). Keys of a model's line are
 * `<prefix>line:<tag>…`; those of the base line (no model) keep the names of the single line before lines per model.
 */
export function lineKeys(prefix: string, names: { line?: string; id?: string; ticket?: string; user?: string } = {}): string[] {
  const base = names.line ? `${prefix}line:${names.line}` : `${prefix}line`;
  return [
    base, `${base}:evidence`, `${base}:recent`, `${base}:leases`, `${base}:waiting`, `${base}:waiting-background`,
    `${base}:alive`,
    `${prefix}lines`, `${prefix}lines:leases`, `${prefix}lines:ready`, `${prefix}lines:ready-alive`,
    `${prefix}abandoned:${names.id ?? ''}`, `${prefix}ticket:${names.ticket ?? ''}`,
    `${base}:leases-background`, `${base}:turns`, `${base}:turns-background`, placesKey(prefix, names.user ?? ''),
  ];
}

/** The tuning sheet as the script reads it (ARGV[12]): every number it runs on. */
const TUNING_ARG = JSON.stringify(LINE_TUNING);

/** ARGV[1..12] of LINE_CONTROL: the op, the time ('' for Redis's own), the app's options and the tuning sheet. */
export function lineArgs(options: RedisLineOptions, op: string, now?: number): Array<string | number> {
  const limit = options.limit ?? {};
  return [
    op, now === undefined ? '' : String(now), limit.initial ?? LINE_TUNING.initialLimit, limit.min ?? 1, limit.max ?? -1,
    limit.decrease ?? LINE_TUNING.decrease, limit.evidenceMs ?? LINE_TUNING.evidenceMs,
    options.minClosedMs ?? DEFAULT_MIN_CLOSED_MS, options.maxClosedMs ?? DEFAULT_MAX_CLOSED_MS,
    options.ttlMs ?? LINE_TUNING.redisStateTtlMs, options.ceiling ?? -1, TUNING_ARG,
  ];
}

export interface RedisLineControl {
  turn(now?: number): Promise<'go' | 'probe' | 'wait'>;
  send(probe: boolean, now?: number): Promise<RedisLineCall>;
  accepted(call: RedisLineCall, binding: boolean, now?: number, backlogMs?: number): Promise<void>;
  refused(call: RedisLineCall, now?: number, retryAfterMs?: number, backlogMs?: number): Promise<RefusalVerdict>;
  finish(call: RedisLineCall, now?: number): Promise<void>;
  /** `ceiling`: while recovering from refusals, the limit's ceiling (limit.ts); else Infinity. */
  snapshot(): Promise<{ state: LineState; reopenAt: number; limit: number; inFlight: number; queued: number; share: number; ceiling: number }>;
}

/**
 * The control's events one by one on Redis under `prefix`, as the reference takes them: for the differential test,
 * which passes `now` to drive it from a script. The store combines the same events in its own ops (redis-fleet.ts).
 * Leases taken here live `ttlMs`. `line`: the model's tag (lineTag); defaults to the base line.
 */
export function createRedisLineControl(redis: Redis, prefix: string, options: RedisLineOptions = {}, line = ''): RedisLineControl {
  const keys = lineKeys(prefix, { line });
  const leaseMs = options.ttlMs ?? LINE_TUNING.redisStateTtlMs;
  const run = (op: string, now: number | undefined, ...rest: Array<string | number>) =>
    runLine(redis, keys, [...lineArgs(options, op, now), ...rest]);
  const flag = (b: boolean) => (b ? '1' : '0');
  return {
    turn: async (now) => (await run('turn', now)) as 'go' | 'probe' | 'wait',
    async send(probe, now) {
      const id = globalThis.crypto.randomUUID();
      const [level, epoch, probeId, resend] = (await run('send', now, flag(probe), id, leaseMs)) as [string, number, number, number];
      return { id, level: Number(level), epoch, probe, probeId, resend: resend === 1 };
    },
    async accepted(call, binding, now, backlogMs) {
      await run('accepted', now, call.level, call.epoch, call.probeId, flag(binding), backlogMs ?? 0, flag(call.resend ?? false));
    },
    refused: async (call, now, retryAfterMs, backlogMs) =>
      (await run('refused', now, call.level, call.epoch, call.probeId, retryAfterMs ?? -1, backlogMs ?? 0, flag(call.resend ?? false))) as RefusalVerdict,
    async finish(call, now) {
      await run('finish', now, call.probeId, call.id);
    },
    async snapshot() {
      const [state, reopenAt, value, inFlight, queued, share, ceiling] =
        (await run('snapshot', undefined)) as [string, string, number, number, number, string, string];
      return { state: state as LineState, reopenAt: Number(reopenAt), limit: value, inFlight, queued, share: Number(share), ceiling: ceiling === '-1' ? Infinity : Number(ceiling) };
    },
  };
}
