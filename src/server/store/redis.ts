/**
 * createRedisStore: the handler's line toward Claude, its queue and cache shared through Redis by every instance of a backend.
 * ioredis is loaded only here, on first use, so apps that never call this need not install it. Redis is a help,
 * never a dependency of an answer: when it is unreachable or slow, each instance falls back to its memory store.
 */
import type { Redis } from 'ioredis';
import { BACKGROUND_SPARE } from '../admission/background-room.js';
import { createAcceptGrace } from '../admission/accept-grace.js';
import { LINE_TUNING } from '../admission/defaults.js';
import { createMemoryStore } from './memory.js';
import { createRedisCache } from './redis-cache.js';
import { createFleet, isPressure } from './redis-fleet.js';
import type { Fleet, FleetCall } from './redis-fleet.js';
import { lineTag, placesKey, userTag, type RedisLineOptions } from './redis-admission.js';
import { createRedisQueue } from './redis-queue.js';
import type { RedisQueue, RedisQueueOptions } from './redis-queue.js';
import { within } from './redis-timeout.js';
import { systemClock } from '../../core/clock.js';
import { isRefusal } from './types.js';
import type { AdmitOptions, ClaudeStore, StoreAdmission, StoreContext, StoreLogger } from './types.js';

export interface RedisStoreOptions {
  /** e.g. `redis://127.0.0.1:6379`. Ignored when `client` is given. */
  url?: string;
  /**
   * An ioredis client to use as is (the store never closes it). Give it `enableOfflineQueue: false` and
   * `autoResendUnfulfilledCommands: false`; the store bounds every command by `commandTimeoutMs` itself.
   */
  client?: Redis;
  /** Prefix of every key; instances that share it share one line toward Claude. Defaults to 'claude-kit:'. */
  prefix?: string;
  /**
   * A ceiling on calls to Claude at once across the whole fleet, all models together (a quota of the app's own); it
   * also caps each model's limit, and a background request leaves two of its slots free. Defaults to none: each model's
   * limit adapts to what Claude takes, starting at 32. Each handler's own `maxConcurrency` also applies.
   */
  maxConcurrency?: number;
  /** Tuning of the fleet's lines, one per model: the same options as the in-process lines' (`limit`). Defaults to theirs. */
  line?: Pick<RedisLineOptions, 'limit'>;
  /** A lease's life: a dead instance's slot is free again after this long. Live calls renew every third of it. Defaults to 15 000 ms. */
  leaseMs?: number;
  /** Shortest shared closed window after a wave of 529/429 (doubles while probes are refused, up to `maxClosedMs`). Defaults to 1 000 ms, as the in-process line. */
  minClosedMs?: number;
  /** One probe at least this often while Claude refuses. Defaults to 2 000 ms, as the in-process line. A longer retry-after still wins. */
  maxClosedMs?: number;
  /** How often a waiting request asks Redis again (plus up to as much jitter). Defaults to 25 ms. */
  pollMs?: number;
  /**
   * The longest any Redis command may take (the line, a lease, the cache, the job queue) before the request goes on
   * without Redis, in this instance's memory store. Defaults to 500 ms.
   */
  commandTimeoutMs?: number;
  /** Defaults to 1 000 ms. */
  connectTimeoutMs?: number;
  /** Share successful non-streamed answers of identical requests across the fleet for `ttlMs`. Defaults to no cache. */
  cache?: { ttlMs: number };
  /** Send non-streamed requests through a BullMQ queue shared by the fleet. Defaults to false. */
  queue?: boolean | RedisQueueOptions;
  /** Defaults to the handler's logger. */
  logger?: StoreLogger;
}

export interface RedisStore extends ClaudeStore {
  /** Resolves true once connected, false if not within `timeoutMs` (the store works meanwhile, in memory). */
  ready(timeoutMs?: number): Promise<boolean>;
}

const FALLBACK = 'memory-fallback';
/** As the in-process line: a call Claude has not refused for this long counts as taken (a long stream). */
const ACCEPT_AFTER_MS = 1_500;
/** Places one user may hold in the fleet's line: the handler's `maxPerUser`, by default as the memory line's. */
const maxPerUser = (context: StoreContext) =>
  context.maxPerUser ?? Math.max(1, Math.ceil(context.maxQueue * LINE_TUNING.maxPerUserShare));
/** How often an instance off Redis asks whether it is back. */
const HEAL_MS = 200;

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * ioredis speaks TCP through Node's `net`: an edge runtime (Next.js `runtime = 'edge'`, Workers without Node
 * compatibility) has none, and fails later with an error that names neither. Bun and Deno report a Node version.
 */
function assertNodeRuntime(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== 'string') {
    throw new TypeError(
      "createRedisStore needs Node's TCP sockets (ioredis), which this runtime does not have: run the route on Node (Next.js: remove `export const runtime = 'edge'`), or use the memory store here.",
    );
  }
}

export function createRedisStore(options: RedisStoreOptions = {}): RedisStore {
  assertNodeRuntime();
  const prefix = options.prefix ?? 'claude-kit:';
  const leaseMs = options.leaseMs ?? 15_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 500;
  // The line when Redis is away, and, under a handler maxConcurrency, this process's slots for calls at Claude.
  const local = createMemoryStore({ via: FALLBACK });
  // Under a handler maxConcurrency, requests wait here (a line per model, no ceiling shared by the models) for their
  // turn in the fleet's line, so one model's waiters never hold the slots another model's calls need; the ceiling is
  // taken in `local` only by a call that goes (see admit). Without one, `local` plays both parts, as before.
  const entry = createMemoryStore({ via: FALLBACK });
  // This process's slots held for waiters asking Redis, and the waiters asking.
  let reserved = 0;
  let asking = 0;
  let context: StoreContext | undefined;
  let logger: StoreLogger | undefined = options.logger;
  let fleet: Fleet | undefined;
  let queue: RedisQueue | undefined;
  let down = false;
  let closed = false;
  // When an unrefused call counts as taken, learned from this instance's refusals (see accept-grace.ts).
  const acceptGrace = createAcceptGrace(ACCEPT_AFTER_MS);
  // Set once close() has let the job queue's calls at Claude finish: the connection is then given up.
  let shut = false;
  // Aborted by close(): requests waiting in the fleet's line stop at once and hear `closing` (see admit).
  const closing = new AbortController();
  const pending = new Set<Promise<unknown>>();
  // Renewal timers of the leases this instance holds, so close() leaves no timer behind.
  const renewals = new Set<() => void>();
  const owned = options.client === undefined;
  const clock = () => context?.clock ?? systemClock;
  // Lease ids whose give-back never reached Redis (the connection was down), with their model's line: sent again when
  // it is back, until their lease would have expired anyway.
  const owed = new Map<string, { until: number; line: string }>();
  // Places in the fleet's line this instance handed out with a permit, until they are used to wait again, with the
  // request's order in this process's own line (a request Claude turned away keeps its place in both).
  const fleetOrders = new Map<number, number | undefined>();

  const connecting: Promise<Redis> = options.client ? Promise.resolve(options.client) : connect();
  let client: Redis | undefined = options.client;
  // The first requests after a start wait a moment for the connection (it is being made), instead of going to the
  // memory fallback with a false "Redis is unreachable" in the log.
  let everReady = false;
  let markReady!: () => void;
  const firstReady = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const onReady = () => {
    everReady = true;
    markReady();
  };
  void connecting.then((c) => {
    client = c;
    c.on('ready', payDebts);
    if (c.status === 'ready') onReady();
    else c.once('ready', onReady);
  }, (error: unknown) => degrade(error));

  async function connect(): Promise<Redis> {
    const { Redis } = await import('ioredis');
    // An unset REDIS_URL silently meaning this machine is a classic: say which Redis it is.
    if (options.url === undefined) logger?.info?.(`createRedisStore: no url given; connecting to ${DEFAULT_REDIS_URL}.`);
    const redis = new Redis(options.url ?? DEFAULT_REDIS_URL, {
      // Fail fast while disconnected instead of queueing commands behind a dead socket.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A command given up on must not run again on the next connection, after the request went on without it.
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      commandTimeout: commandTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    redis.on('error', (error: unknown) => degrade(error));
    if (closed) redis.disconnect();
    return redis;
  }

  /**
   * A failed or timed-out command takes this instance off Redis until a PING answers again, so during a hang only
   * the requests already talking to Redis wait out the command timeout; the next ones go straight to memory.
   */
  function degrade(error?: unknown): void {
    if (closed) return;
    if (!down) {
      down = true;
      logger?.warn("Redis is unreachable: this instance uses its own memory store (line, cache) until it is back.", error);
    }
    heal();
  }

  let healTimer: unknown;
  function heal(): void {
    if (healTimer !== undefined || closed) return;
    healTimer = clock().setTimeout(() => {
      const redis = connected();
      const ping = redis ? within(commandTimeoutMs, clock(), redis.ping()) : Promise.reject(new Error('not connected'));
      void ping.then(() => true, () => false).then((ok) => {
        healTimer = undefined;
        if (closed) return;
        if (!ok) return heal();
        payDebts();
        recovered();
      });
    }, HEAL_MS);
  }

  function recovered(): void {
    if (!down) return;
    down = false;
    logger?.info?.('Redis is back: the fleet shares one line again.');
  }

  /** The connection, whatever the breaker says: for giving back what was taken, and checking jobs already queued. */
  const connected = (): Redis | undefined => (client?.status === 'ready' && !shut ? client : undefined);
  /** For new work: not while Redis is known to be failing, nor once the store is closing. */
  const usable = (): Redis | undefined => (down || closed ? undefined : connected());

  /** Fire and forget, but known to close(), and a failure only marks Redis as down. */
  function background(work: Promise<unknown>): Promise<void> {
    const tracked = work.then(() => {}, (error: unknown) => degrade(error)).finally(() => pending.delete(tracked));
    pending.add(tracked);
    return tracked;
  }

  /**
   * `job`: the admission of a queued job's call (redis-queue.ts; its `user` is a userTag already): its user's place
   * is the job's (held by the instance that queued it, taken back as the call goes), and the job queue already took
   * users in turn, so this process's line takes it as it comes; in the fleet's line it still takes its user's turn.
   */
  async function admit(signal: AbortSignal, admitOptions: AdmitOptions = {}, job = false): Promise<StoreAdmission> {
    if (closed) return { refused: signal.aborted ? 'aborted' : 'closing', via: 'redis' };
    if (!context) throw new Error('createRedisStore: attach the store to a handler first.');
    const deadline = admitOptions.deadlineAt ?? Date.now() + context.queueTimeoutMs;
    // A place in the fleet's line given by this instance (Claude refused the call): the request waits there again.
    // Any other order is the memory line's (a fallback permit) and stays there.
    const fleetOrder = admitOptions.order !== undefined && fleetOrders.has(admitOptions.order) ? admitOptions.order : undefined;
    // Its place in this process's line is kept as well: it is not turned away there as one more of its user's.
    const localOrder = fleetOrder === undefined ? admitOptions.order : fleetOrders.get(fleetOrder);
    if (fleetOrder !== undefined) fleetOrders.delete(fleetOrder);
    const { model, priority, user } = admitOptions;
    const ceiling = context.concurrencyCeiling;
    const inLocal = {
      deadlineAt: deadline, order: localOrder, ticket: fleetOrder === undefined ? admitOptions.ticket : undefined, model, priority,
      user: job ? undefined : user,
    };
    // Bounded by the connect timeout: a Redis that is not there is not waited for longer than it takes to say so.
    if (!everReady && !down) await within(options.connectTimeoutMs ?? 1_000, clock(), firstReady).catch(() => {});
    const id = globalThis.crypto.randomUUID();
    const shared = usable() && fleet;
    // A user's places are counted in Redis, every instance's together (the cap of this process's line alone would
    // let a user hold maxPerUser places per instance); without Redis, this process's line counts them.
    if (user !== undefined && shared && !job) {
      const tag = await userTag(user);
      let held: Awaited<ReturnType<Fleet['hold']>> = 1;
      try {
        held = await shared.hold(id, tag, maxPerUser(context), fleetOrder !== undefined, await lineTag(model));
      } catch (error) {
        degrade(error);
      }
      if (typeof held !== 'number') return { refused: 'user-full', via: 'redis', ...held };
    }
    try {
      // A job names its user as the script knows it already.
      return await admitHeld(id, signal, deadline, inLocal, fleetOrder, user === undefined || job ? user : await userTag(user));
    } finally {
      // Its place, if it did not use it to go: given back (close() waits for it).
      if (fleet) background(fleet.release(id));
    }
  }

  async function admitHeld(
    id: string, signal: AbortSignal, deadline: number, inLocal: AdmitOptions & { deadlineAt: number }, fleetOrder: number | undefined,
    user: string | undefined,
  ): Promise<StoreAdmission> {
    if (!context) throw new Error('createRedisStore: attach the store to a handler first.');
    const { model, priority } = inLocal;
    const ceiling = context.concurrencyCeiling;
    // This process's own bound, per model and lane too, so a model's waiters never take another model's slots here.
    const slot = await (ceiling === undefined ? local : entry).admit(signal, inLocal);
    if (isRefusal(slot)) return slot;
    // Without Redis, a request waiting in `entry` moves to the memory line, where the ceiling is.
    const alone = () => {
      if (ceiling === undefined) return slot;
      slot.release();
      return local.admit(signal, inLocal);
    };
    const redis = usable();
    if (!redis || !fleet) {
      degrade();
      return alone();
    }
    const background = priority === 'background';
    let call: FleetCall;
    asking += 1;
    try {
      const turn = await fleet.waitTurn(id, AbortSignal.any([signal, closing.signal]), deadline, {
        order: fleetOrder, ticket: inLocal.ticket, model, priority, user,
        reserve: ceiling === undefined ? undefined : () => reserveHere(ceiling, background),
      });
      if ('refused' in turn) {
        slot.release();
        // Its client is still there: it comes back to another instance, as from the memory store's line.
        if (turn.refused === 'aborted' && closed && !signal.aborted) return { refused: 'closing', via: 'redis' };
        return { ...turn, via: 'redis' };
      }
      call = turn;
    } catch (error) {
      // The store closed under it (its commands fail once closed): not a Redis outage, so it does not go on alone
      // in memory, outside the fleet's line and ceiling, after the app has closed the store.
      if (closed) {
        slot.release();
        return { refused: signal.aborted ? 'aborted' : 'closing', via: 'redis' };
      }
      // Redis failed mid-wait: the request goes on as if this instance were alone, and a command of its that Redis
      // runs late (after a hang) must not take a lease or a place for it.
      degrade(error);
      const shared = fleet;
      const line = await lineTag(model);
      giveBack(shared, id, line, shared.abandon(id, line));
      return alone();
    } finally {
      asking -= 1;
    }
    if (ceiling === undefined) return leasePermit(fleet, call, slot.release, context, slot.order);
    // The slot reserved for it while it asked Redis: taken (synchronously, by join) before the reservation goes.
    const taking = local.admit(signal, { deadlineAt: deadline, model, priority, user: inLocal.user });
    call.unreserve?.();
    const here = await taking;
    if (isRefusal(here)) {
      slot.release();
      giveBack(fleet, call.id, call.line, fleet.settle(call, undefined, false));
      return { ...here, via: 'redis' };
    }
    return leasePermit(fleet, call, () => {
      slot.release();
      void here.release();
    }, context, slot.order);
  }

  /** One of this process's slots under its ceiling, held while a waiter asks Redis; undefined when none is free. */
  function reserveHere(ceiling: number, background: boolean): (() => void) | undefined {
    // As the memory line's room: a background call leaves two slots free (one when the ceiling is 2, none at 1).
    if (ceiling - local.stats().active - reserved < 1 + (background ? Math.min(BACKGROUND_SPARE, ceiling - 1) : 0)) return undefined;
    reserved += 1;
    let held = true;
    return () => {
      if (held) reserved -= 1;
      held = false;
    };
  }

  function leasePermit(shared: Fleet, call: FleetCall, releaseLocal: () => void, ctx: StoreContext, localOrder: number | undefined) {
    let released = false;
    let accepted = false;
    let timer: unknown;
    const renew = () => {
      timer = ctx.clock.setTimeout(() => {
        background(shared.renew(call));
        renew();
      }, leaseMs / 3);
    };
    renew();
    const sentAt = Date.now();
    // A probe in an outage is judged by how fast refusals came, as in the memory line (line.ts).
    const acceptTimer = ctx.clock.setTimeout(() => {
      accepted = true;
      background(shared.accept(call));
    }, acceptGrace.ms(call.probeId !== 0 && call.outage));
    const stop = () => {
      ctx.clock.clearTimeout(timer);
      ctx.clock.clearTimeout(acceptTimer);
    };
    renewals.add(stop);
    if (fleetOrders.size >= 10_000) fleetOrders.clear();
    fleetOrders.set(call.order, localOrder);
    return {
      via: 'redis',
      order: call.order,
      release(result?: Parameters<Fleet['settle']>[1]) {
        if (released) return Promise.resolve();
        released = true;
        stop();
        renewals.delete(stop);
        releaseLocal();
        if (isPressure(result)) acceptGrace.refused(Date.now() - sentAt);
        // Only a call Claude turned away comes back with its place.
        if (!isPressure(result)) fleetOrders.delete(call.order);
        return giveBack(shared, call.id, call.line, shared.settle(call, result, accepted));
      },
    };
  }

  /** Runs a give-back; if it fails, the lease is owed and abandoned again when Redis is back. */
  function giveBack(shared: Fleet, id: string, line: string, work: Promise<unknown>): Promise<void> {
    return background(work.catch((error: unknown) => {
      if (owed.size < 10_000) owed.set(id, { until: Date.now() + leaseMs, line });
      throw error;
    }));
  }

  function payDebts(): void {
    const now = Date.now();
    for (const [id, { until, line }] of owed) {
      owed.delete(id);
      if (until > now && fleet) giveBack(fleet, id, line, fleet.abandon(id, line));
    }
  }

  const cache = options.cache && createRedisCache({
    ttlMs: options.cache.ttlMs, prefix, commandTimeoutMs, clock, usable, degrade,
  });

  const store: RedisStore = {
    name: 'redis',
    cache,
    attach(ctx) {
      context = ctx;
      logger ??= ctx.logger;
      local.attach(ctx);
      entry.attach({ ...ctx, concurrencyCeiling: undefined });
      fleet = createFleet(
        () => connected() ?? failNow(),
        {
          prefix, leaseMs, pollMs: options.pollMs ?? 25, commandTimeoutMs, clock: ctx.clock,
          line: {
            limit: { ...options.line?.limit, max: options.maxConcurrency ?? options.line?.limit?.max },
            ceiling: options.maxConcurrency,
            minClosedMs: options.minClosedMs, maxClosedMs: options.maxClosedMs, ttlMs: Math.max(3_600_000, leaseMs * 4),
          },
        },
      );
      if (options.queue) {
        queue = createRedisQueue({
          ...(options.queue === true ? {} : options.queue), prefix, commandTimeoutMs, context: ctx,
          connection: connecting, admit: (signal, user) => admit(signal, { user }, true), admitLocally: (signal) => local.admit(signal),
          usable, connected, degrade,
          hold: async (id, user) => (fleet ? fleet.hold(id, await userTag(user), maxPerUser(ctx), false) : 1),
          release: (id) => (fleet ? background(fleet.release(id)) : Promise.resolve()),
          placesKey: async (user) => placesKey(prefix, await userTag(user)),
        });
      }
    },
    admit,
    enqueue: options.queue
      ? async (params, signal, queued) =>
        (closed ? { refused: signal.aborted ? 'aborted' : 'closing', via: 'redis' } : (queue ?? failNow()).enqueue(params, signal, queued?.user))
      : undefined,
    isClosed: () => closed,
    // This process's requests; the limits are the fleet's, as last seen here.
    stats: () => {
      const calls = local.stats();
      // Under a handler maxConcurrency, waiting happens in `entry` and in the fleet's line; `local` holds the calls.
      const own = context?.concurrencyCeiling === undefined ? calls : { ...calls, queued: calls.queued + entry.stats().queued + asking };
      if (!fleet || down || fleet.limits.size === 0) return own;
      const models = own.models && Object.fromEntries(Object.entries(own.models).map(([model, line]) =>
        [model, { ...line, limit: fleet?.limits.get(model) ?? line.limit }]));
      let sum = 0;
      for (const value of fleet.limits.values()) sum += value;
      return { ...own, limit: Math.min(options.maxConcurrency ?? Infinity, sum), ...(models && { models }) };
    },
    async ready(timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (usable() && (!queue || (await queue.ready(deadline - Date.now())))) return true;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return false;
    },
    async close() {
      closed = true;
      closing.abort();
      // Requests waiting in this process (for its slots, or in the line used while Redis is away) hear `closing` too.
      await Promise.all([local.close(), entry.close()]);
      // Requests whose job is already at Claude wait for its answer, which comes over the connection: before it goes.
      await queue?.close();
      // Places still held (none once every waiter has left) are no longer held again: they lapse.
      fleet?.close();
      shut = true;
      if (healTimer !== undefined) clock().clearTimeout(healTimer);
      healTimer = undefined;
      // Leases still held are not given back here: like a crashed instance's, they expire after leaseMs.
      for (const stop of renewals) stop();
      renewals.clear();
      await Promise.allSettled([...pending]);
      owed.clear();
      client?.off('ready', payDebts);
      if (owned) (await connecting.catch(() => undefined))?.disconnect();
    },
  };
  return store;
}

/** The fleet's commands go through the client of the moment; without one they fail like a lost connection. */
function failNow(): never {
  throw new Error('Redis is not connected');
}

export { isPressure };
