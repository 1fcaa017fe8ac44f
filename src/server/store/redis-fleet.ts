/**
 * The fleet's lines toward Claude on Redis, one per model: one adaptive limit, one closed window and one probe per
 * model for every instance of the backend, one order of waiting requests across models (sorted sets by arrival, one
 * per lane), and an optional ceiling on calls in flight for all models together, all run by the line's Lua port
 * (redis-admission.ts). Calls in flight are leases that expire unless renewed, so a crashed instance leaks nothing.
 * Waiting is polling with a little jitter (Redis has no cheap "wake me when this key changes" that survives a lost
 * connection).
 */
import type { Redis } from 'ioredis';
import { isPressureAnswer } from '../../core/rules.js';
import type { Clock } from '../../core/clock.js';
import { lineRetryAfterMs } from '../admission/defaults.js';
import { lineArgs, lineKeys, lineTag, placesKey, runLine } from './redis-admission.js';
import type { RedisLineOptions } from './redis-admission.js';
import { within } from './redis-timeout.js';
import type { Refusal, Outcome } from './types.js';

/** A user's one request too many (it holds `maxPerUser` places): when to come back, by the line's one rule. */
export interface UserFull {
  retryAfterMs: number;
  expectedWaitMs: number;
}

export interface FleetOptions {
  prefix: string;
  /** The lines' tuning (limit, windows, the ceiling for all models); the same options as the in-process lines. */
  line: RedisLineOptions;
  leaseMs: number;
  pollMs: number;
  /** Every command gives up after this long (a RedisTimeoutError), whatever the client's own settings. */
  commandTimeoutMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/** A call the fleet let through: its lease, and what the line needs to judge Claude's answer to it. */
export interface FleetCall {
  id: string;
  level: number;
  epoch: number;
  probeId: number;
  /** The line was in an outage when it went (Claude had taken none of its calls since its refusals began). */
  outage: boolean;
  /** The resend of a refusal the line excused (limit.ts, resendOutcomes): its outcome is remembered. */
  resend?: boolean;
  /** Its place in the fleet's order. */
  order: number;
  /** Its model's line (the tag in its keys). */
  line: string;
  /** Gives back the slot `FleetPlace.reserve` held for it in this process, once the caller has taken it for real. */
  unreserve?: () => void;
}

/** Where a request waits: its place, if it has one, its model's line and its lane. */
export interface FleetPlace {
  /** The order of an earlier permit (Claude refused it). */
  order?: number;
  /** A ticket from an earlier refusal (unknown or expired ones join at the back). */
  ticket?: string;
  /** Requests that name none share the base line. */
  model?: string;
  /** Defaults to interactive. */
  priority?: 'interactive' | 'background';
  /** The request's user, as the script knows it (userTag); takes turns with other users. Defaults to none. */
  user?: string;
  /**
   * Holds one of this process's own slots while the waiter asks Redis, and returns how to give it back; undefined
   * when the process has none free: then the waiter keeps its place but may not go. Defaults to no bound here.
   */
  reserve?: () => (() => void) | undefined;
}

export interface Fleet {
  /**
   * Waits for the request's turn in its model's line, until `deadline`; takes its lease. Throws when Redis fails.
   * A refusal carries a ticket to keep the place.
   */
  waitTurn(id: string, signal: AbortSignal, deadline: number, place?: FleetPlace): Promise<FleetCall | Refusal>;
  /** Each model's fleet-wide limit as last seen by this instance ('' for the base line). */
  readonly limits: ReadonlyMap<string, number>;
  renew(call: FleetCall): Promise<unknown>;
  /** Claude has not refused the call for a while (a long stream): the line may count it as taken. */
  accept(call: FleetCall): Promise<unknown>;
  /** Gives the lease back and tells the line what Claude said. `accepted`: `accept` already ran. */
  settle(call: FleetCall, result: Outcome | undefined, accepted: boolean): Promise<unknown>;
  /**
   * For a request that went ahead without Redis: whatever its late commands take (a lease, a place in line) is given
   * back, and any of them that reaches Redis after this takes nothing. `line`: the tag of its model's line.
   */
  abandon(id: string, line: string): Promise<unknown>;
  /**
   * A place in line for request `id` of `user` (userTag): how many places the user holds with it, or, when it held
   * `maxPerUser` places already in the whole fleet, when to come back (its place that goes first in `line`, the
   * model's lineTag, frees one: the line's one retry-after rule); `force`: whatever it holds (a request Claude turned away keeps
   * its place). The place is held again every third of a waiter's alive time until the request goes (waitTurn gives
   * it back then) or `release`; an instance that dies stops holding them, and they lapse. Throws when Redis fails.
   */
  hold(id: string, user: string, maxPerUser: number, force: boolean, line?: string): Promise<number | UserFull>;
  /** Gives back a place `hold` took and the request has not used to go (best effort: else it lapses). */
  release(id: string): Promise<void>;
  /** Stops holding places again: those still held lapse, as a dead instance's. */
  close(): void;
}

/**
 * Claude has too much to do. The answer's own verdict when it has one, else core's rule for a bare status (a 429
 * without its body cannot be told from the spend limit, and counts as pressure).
 */
export const isPressure = (result: Outcome | undefined) =>
  result?.pressure ?? (result !== undefined && isPressureAnswer(result.status));

const abort = (): Refusal => ({ refused: 'aborted' });
/** The longest a waiter sleeps between two asks, even while the window is closed: it must stay known as alive. */
const MAX_SLEEP_MS = 500;
/** How long a ticket keeps its place beyond the retry-after it came with, as the in-process line's. */
const TICKET_GRACE_MS = 120_000;
/** Places held again in one command, at most (a flood of one instance is a few commands, not one huge one). */
const PLACES_PER_COMMAND = 500;

/** `redis` gives the client of the moment, or throws like a lost connection when there is none. */
export function createFleet(redis: () => Redis, options: FleetOptions): Fleet {
  const { leaseMs, pollMs, commandTimeoutMs } = options;
  // A waiter asks again within a sleep, its jitter and a command's time; past twice that it is gone (its instance died).
  const aliveMs = 2 * (MAX_SLEEP_MS + 2 * pollMs + commandTimeoutMs);
  // By model, as last seen; bounded like the in-process lines (a client naming ever new models must not grow it).
  const limits = new Map<string, number>();
  // The users' places this instance holds for its waiters (request id → user), and the timer that holds them again.
  const places = new Map<string, string>();
  let placesTimer: unknown;
  let closed = false;
  const run = (line: string, id: string, op: string, ...rest: Array<string | number>) =>
    runWith(lineKeys(options.prefix, { line, id }), op, ...rest);
  const runWith = (keys: string[], op: string, ...rest: Array<string | number>) => {
    return within(commandTimeoutMs, options.clock, runLine(redis(), keys, [...lineArgs(options.line, op), ...rest]));
  };

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
      }, Math.max(1, ms + Math.random() * pollMs));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function waitTurn(id: string, signal: AbortSignal, deadline: number, place: FleetPlace = {}): Promise<FleetCall | Refusal> {
    let order = place.order === undefined ? '' : String(place.order);
    let ticket = place.order === undefined ? place.ticket : undefined;
    const user = place.user ?? '';
    // Its turn among users, from its first ask on ('' until it has one: a request back from Claude takes a new one).
    let tag = '';
    const line = await lineTag(place.model);
    const lane = place.priority === 'background' ? '1' : '0';
    // Leaving the line is best effort: a waiter that does not ask again is dropped after aliveMs anyway.
    const leave = () => void run(line, id, 'leave', id, '', 0).catch(() => {});
    for (;;) {
      if (signal.aborted) {
        leave();
        return abort();
      }
      const keys = lineKeys(options.prefix, { line, id, ticket: ticket ?? '', user });
      const unreserve = place.reserve?.();
      const held = place.reserve !== undefined && unreserve === undefined ? '1' : '0';
      let answer: number[] = [];
      try {
        answer = (await runWith(keys, 'admit', id, order, leaseMs, aliveMs, ticket ? '1' : '0', lane, held, tag, user)) as number[];
      } finally {
        // Kept only for a call that goes: the caller takes the slot, then gives the reservation back.
        if (answer[0] !== 1) unreserve?.();
      }
      ticket = undefined;
      if (answer[0] === -1) throw new Error('this request already went ahead without Redis');
      if (answer[0] === 1 && answer[5] !== undefined) seen(place.model ?? '', answer[5]);
      if (answer[0] === 1) {
        // Its place was given back as it went.
        places.delete(id);
        // The level comes as a string: below one call it is the paced share, a fraction.
        const [, level, epoch, probeId, at, , , outage, resend] = answer as [number, string, number, number, number, number, number, number, number];
        return { id, level: Number(level), epoch, probeId, outage: outage === 1, resend: resend === 1, order: at, line, unreserve };
      }
      const [, closedMs, ahead, at, , expectedWaitMs, turn] = answer as [number, number, number, number, number, number, number];
      order = String(at);
      if (user !== '') tag = String(turn);
      const left = deadline - Date.now();
      // Closed for longer than this request may wait: answer now with the real reopen time instead of timing out.
      if (closedMs > left || left <= 0) {
        // The one retry-after rule of both stores (admission/defaults.ts).
        const retryAfterMs = lineRetryAfterMs(expectedWaitMs, closedMs);
        const refusal: Refusal = closedMs > left && closedMs > 0
          ? { refused: 'closed', retryAfterMs, ahead, expectedWaitMs }
          : { refused: 'timeout', retryAfterMs, ahead, expectedWaitMs };
        return { ...refusal, ticket: await keepPlace(line, id, { order: at, tag: turn, user }, refusal.retryAfterMs ?? 0) };
      }
      const wait = closedMs > 0 ? Math.min(closedMs, MAX_SLEEP_MS) : pollMs;
      if (!(await pause(Math.min(wait, left), signal))) {
        leave();
        return abort();
      }
    }
  }

  /** Leaves the line, its place kept under a new ticket; no ticket if Redis cannot keep it (it joins at the back). */
  async function keepPlace(line: string, id: string, place: { order: number; tag: number; user: string }, retryAfterMs: number): Promise<string | undefined> {
    const ticket = globalThis.crypto.randomUUID();
    try {
      await runWith(lineKeys(options.prefix, { line, id, ticket }), 'leave', id, retryAfterMs + TICKET_GRACE_MS, place.order, place.tag, place.user);
      return ticket;
    } catch {
      return undefined;
    }
  }

  async function hold(id: string, user: string, maxPerUser: number, force: boolean, line?: string): Promise<number | UserFull> {
    const keys = lineKeys(options.prefix, { line, id, user });
    const answer = await runWith(keys, 'hold', id, maxPerUser, aliveMs, force ? '1' : '0');
    if (Array.isArray(answer)) {
      const [, closedMs, expectedWaitMs] = answer as [number, number, number];
      return { retryAfterMs: lineRetryAfterMs(expectedWaitMs, closedMs), expectedWaitMs };
    }
    const held = Number(answer);
    places.set(id, user);
    // Closed meanwhile: nothing holds it again; given back now (or it lapses).
    if (closed) void release(id);
    else holdAgain();
    return held;
  }

  async function release(id: string): Promise<void> {
    const user = places.get(id);
    if (user === undefined) return;
    places.delete(id);
    await dropPlace(id, user);
  }

  const dropPlace = async (id: string, user: string): Promise<void> =>
    within(commandTimeoutMs, options.clock, Promise.resolve().then(() => redis().zrem(placesKey(options.prefix, user), id))).then(() => {}, () => {});

  /** While this instance holds places, holds them again every third of their life (one command per chunk). */
  function holdAgain(): void {
    if (placesTimer !== undefined || closed) return;
    placesTimer = options.clock.setTimeout(() => {
      placesTimer = undefined;
      if (places.size === 0 || closed) return;
      const all = [...places];
      const base = lineKeys(options.prefix).slice(0, -1);
      for (let i = 0; i < all.length; i += PLACES_PER_COMMAND) {
        const chunk = all.slice(i, i + PLACES_PER_COMMAND);
        const keys = [...base, ...chunk.map(([, user]) => placesKey(options.prefix, user))];
        // A failure is Redis's (the requests find out themselves): their places lapse, as a dead instance's. The
        // script makes a place again if Redis lost it (a restart, a flush: else a user would hold twice its share);
        // one given back while the command was on its way is given back again.
        void runWith(keys, 'hold-places', aliveMs, ...chunk.map(([id]) => id)).then(() => {
          for (const [id, user] of chunk) if (!places.has(id)) void dropPlace(id, user);
        }, () => {});
      }
      holdAgain();
    }, aliveMs / 3);
  }

  function seen(model: string, value: number): void {
    limits.delete(model);
    if (limits.size >= 64) limits.delete(limits.keys().next().value as string);
    limits.set(model, value);
  }

  return {
    waitTurn,
    limits,
    renew: async (call) => run(call.line, call.id, 'renew', call.id, leaseMs),
    accept: async (call) => run(call.line, call.id, 'accept', call.level, call.epoch, call.probeId, call.resend ? '1' : '0'),
    // One script, so a settle sent into a hang is a single command that either runs whole or not at all.
    async settle(call, result, accepted) {
      const ok = result !== undefined && result.status >= 200 && result.status < 300;
      const outcome = isPressure(result) ? 'refused' : ok ? 'ok' : 'neutral';
      return run(call.line, call.id, 'settle', call.id, call.level, call.epoch, call.probeId, outcome, result?.retryAfterMs ?? -1, accepted ? '1' : '0', call.resend ? '1' : '0');
    },
    abandon: async (id, line) => run(line, id, 'abandon', id, leaseMs),
    hold,
    release,
    close() {
      closed = true;
      options.clock.clearTimeout(placesTimer);
      placesTimer = undefined;
    },
  };
}
