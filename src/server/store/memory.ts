/**
 * The default store: everything in this process. One admission line toward Claude (FIFO, adaptive limit, a closed
 * window and a probe after an overload, tickets to keep a place), and an opt-in cache. It shares nothing, so each
 * instance of a backend sees only its own load; see createRedisStore.
 */
import { systemClock } from '../../core/clock.js';
import { createAdmissionLine } from '../admission/line.js';
import type { AdmissionLine, AdmissionLineOptions } from '../admission/line.js';
import type { AnswerCache, ClaudeStore, StoreAdmission, StoreContext, StoredAnswer } from './types.js';

export interface MemoryStoreOptions {
  /** Cache successful non-streamed answers of identical requests for `ttlMs`. Defaults to no cache. */
  cache?: { ttlMs: number; /** The most answers kept; the oldest go first. Defaults to 1000. */ maxEntries?: number };
  /** Reads the time for the cache's expiry. Defaults to Date.now. */
  now?: () => number;
  /** Marks admissions with this name (`x-claude-kit-store`). Defaults to 'memory'. */
  via?: string;
  /**
   * Tuning of the line toward Claude. Its limit starts at the handler's `maxConcurrency` and adapts, with no ceiling
   * unless the app set `maxConcurrency` itself or `line.limit.max`; its length defaults to the handler's `maxQueue`.
   */
  line?: Partial<Omit<AdmissionLineOptions, 'clock'>>;
}

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
  const via = options.via ?? 'memory';
  let line: AdmissionLine | undefined;
  let context: Pick<StoreContext, 'queueTimeoutMs' | 'clock'> = { queueTimeoutMs: 30_000, clock: systemClock };
  const cache = options.cache
    ? createMemoryCache(options.cache.ttlMs, options.cache.maxEntries ?? 1000, options.now ?? Date.now)
    : undefined;
  const now = () => context.clock.now?.() ?? Date.now();

  function open(attached: Pick<StoreContext, 'maxConcurrency' | 'concurrencyCeiling' | 'maxQueue' | 'queueTimeoutMs' | 'clock'>): AdmissionLine {
    context = attached;
    return createAdmissionLine({
      ...options.line,
      maxQueue: options.line?.maxQueue ?? attached.maxQueue,
      limit: { initial: attached.maxConcurrency, max: attached.concurrencyCeiling, ...options.line?.limit },
      clock: { now, setTimeout: attached.clock.setTimeout, clearTimeout: attached.clock.clearTimeout },
    });
  }
  // Used as is before attach (a store tried on its own); the handler attaches its limits at once.
  const current = (): AdmissionLine =>
    (line ??= open({ maxConcurrency: 32, maxQueue: 1000, queueTimeoutMs: 30_000, clock: systemClock }));

  return {
    name: 'memory',
    cache,
    attach(attached: StoreContext) {
      line?.dispose();
      line = open(attached);
    },
    async admit(signal, admit = {}): Promise<StoreAdmission> {
      const deadlineAt = admit.deadlineAt ?? now() + context.queueTimeoutMs;
      const outcome = await current().join({ signal, order: admit.order, ticket: admit.ticket, deadlineAt });
      if ('release' in outcome) return { release: (result) => outcome.release(result), via, order: outcome.order };
      const { refused, retryAfterMs, expectedWaitMs, ahead, ticket } = outcome;
      return refused === 'aborted' ? { refused, via } : { refused, retryAfterMs, expectedWaitMs, ahead, ticket, via };
    },
    stats: () => {
      const { active, queued, limit } = current().stats();
      return { active, queued, limit };
    },
    close: async () => {
      line?.dispose();
    },
  };
}
