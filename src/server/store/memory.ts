/**
 * The default store: everything in this process. An admission line toward Claude per model (FIFO with an interactive
 * and a background lane, adaptive limit, a closed window and a probe after an overload, tickets to keep a place),
 * under the app's `maxConcurrency` ceiling when it set one, and an opt-in cache. It shares nothing, so each instance
 * of a backend sees only its own load; see createRedisStore.
 */
import { systemClock } from '../../core/clock.js';
import type { AdmissionLineOptions } from '../admission/line.js';
import { createModelLines, type ModelLines } from '../admission/lines.js';
import type { AnswerCache, ClaudeStore, StoreAdmission, StoreContext, StoredAnswer } from './types.js';

export interface MemoryStoreOptions {
  /** Cache successful non-streamed answers of identical requests for `ttlMs`. Defaults to no cache. */
  cache?: { ttlMs: number; /** The most answers kept; the oldest go first. Defaults to 1000. */ maxEntries?: number };
  /** Reads the time for the cache's expiry. Defaults to Date.now. */
  now?: () => number;
  /** Marks admissions with this name (`x-claude-kit-store`). Defaults to 'memory'. */
  via?: string;
  /**
   * Tuning of the lines toward Claude (one per model). Each limit starts at the handler's `maxConcurrency` and adapts,
   * with no ceiling unless the app set `maxConcurrency` itself (then it also bounds all models together) or
   * `line.limit.max`; `maxQueue` (defaults to the handler's) bounds the requests waiting for all models together.
   */
  line?: Partial<Omit<AdmissionLineOptions, 'clock'>>;
}

/** `createMemoryStore`'s defaults. */
export const MEMORY_STORE_DEFAULTS = {
  via: 'memory',
  /** Answers the cache keeps; the oldest go first. */
  cacheMaxEntries: 1000,
  /** How long a request waits for its turn until a handler attaches the store and gives its own. */
  queueTimeoutMs: 30_000,
} as const;

export function createMemoryCache(ttlMs: number, maxEntries: number, now: () => number): AnswerCache {
  const entries = new Map<string, { answer: StoredAnswer; expiresAt: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.answer;
    },
    async set(key, answer) {
      entries.delete(key);
      entries.set(key, { answer, expiresAt: now() + ttlMs });
      // A Map iterates in insertion order: the first key is the oldest.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}

export function createMemoryStore(options: MemoryStoreOptions = {}): ClaudeStore {
  const via = options.via ?? MEMORY_STORE_DEFAULTS.via;
  let line: ModelLines | undefined;
  let closed = false;
  let context: Pick<StoreContext, 'queueTimeoutMs' | 'clock' | 'concurrencyCeiling'> = { queueTimeoutMs: MEMORY_STORE_DEFAULTS.queueTimeoutMs, clock: systemClock };
  const cache = options.cache
    ? createMemoryCache(options.cache.ttlMs, options.cache.maxEntries ?? MEMORY_STORE_DEFAULTS.cacheMaxEntries, options.now ?? Date.now)
    : undefined;
  const now = () => context.clock.now?.() ?? Date.now();

  function open(attached: Pick<StoreContext, 'maxConcurrency' | 'concurrencyCeiling' | 'maxQueue' | 'maxPerUser' | 'queueTimeoutMs' | 'clock'>): ModelLines {
    context = attached;
    return createModelLines({
      ceiling: attached.concurrencyCeiling,
      ...options.line,
      maxQueue: options.line?.maxQueue ?? attached.maxQueue,
      maxPerUser: options.line?.maxPerUser ?? attached.maxPerUser,
      limit: { initial: attached.maxConcurrency, max: attached.concurrencyCeiling, ...options.line?.limit },
      clock: { now, setTimeout: attached.clock.setTimeout, clearTimeout: attached.clock.clearTimeout },
    });
  }
  // Used as is before attach (a store tried on its own); the handler attaches its limits at once.
  const current = (): ModelLines =>
    (line ??= open({ maxConcurrency: 32, maxQueue: 1000, queueTimeoutMs: 30_000, clock: systemClock }));

  return {
    name: 'memory',
    cache,
    attach(attached: StoreContext) {
      line?.dispose();
      line = open(attached);
    },
    async admit(signal, admit = {}): Promise<StoreAdmission> {
      if (closed) return { refused: signal.aborted ? 'aborted' : 'closing', via };
      const deadlineAt = admit.deadlineAt ?? now() + context.queueTimeoutMs;
      const outcome = await current().admit(admit.model ?? '', {
        signal, order: admit.order, ticket: admit.ticket, deadlineAt, priority: admit.priority, user: admit.user,
      });
      // The line's release takes no `this`: passed on as it is, not wrapped in a closure of its own (issue 29).
      if ('release' in outcome) return { release: outcome.release, via, order: outcome.order };
      const { refused, retryAfterMs, expectedWaitMs, ahead, ticket } = outcome;
      // Neither a client gone nor a closed store has a place to tell.
      return refused === 'aborted' || refused === 'closing' ? { refused, via } : { refused, retryAfterMs, expectedWaitMs, ahead, ticket, via };
    },
    stats: () => {
      const models = current().stats();
      const lines = Object.values(models);
      const sum = (pick: (line: (typeof lines)[number]) => number) => lines.reduce((n, line) => n + pick(line), 0);
      // With one model (the usual case) `limit` is its line's; with several, what they allow together.
      const limit = lines.length === 0 ? undefined : Math.min(context.concurrencyCeiling ?? Infinity, sum((l) => l.limit));
      return { active: sum((l) => l.active), queued: sum((l) => l.queued), ...(limit !== undefined && { limit }), models };
    },
    close: async () => {
      closed = true;
      line?.dispose();
    },
    isClosed: () => closed,
  };
}
