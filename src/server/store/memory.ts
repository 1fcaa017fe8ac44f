/**
 * The default store: everything in this process. Bounded concurrency and a bounded queue (the shedder), and an
 * opt-in cache. It shares nothing, so each instance of a backend sees only its own load; see createRedisStore.
 */
import { systemClock } from '../../core/clock.js';
import { createShedder } from '../shed.js';
import type { Shedder } from '../shed.js';
import type { AnswerCache, ClaudeStore, StoreAdmission, StoreContext, StoredAnswer } from './types.js';

export interface MemoryStoreOptions {
  /** Cache successful non-streamed answers of identical requests for `ttlMs`. Defaults to no cache. */
  cache?: { ttlMs: number; /** The most answers kept; the oldest go first. Defaults to 1000. */ maxEntries?: number };
  /** Reads the time for the cache's expiry. Defaults to Date.now. */
  now?: () => number;
  /** Marks admissions with this name (`x-claude-kit-store`). Defaults to 'memory'. */
  via?: string;
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
  let shedder: Shedder | undefined;
  const cache = options.cache
    ? createMemoryCache(options.cache.ttlMs, options.cache.maxEntries ?? 1000, options.now ?? Date.now)
    : undefined;

  // Used as is before attach (a store tried on its own); the handler attaches its limits at once.
  const current = (): Shedder =>
    (shedder ??= createShedder({ maxConcurrency: 32, maxQueue: 64, queueTimeoutMs: 30_000, clock: systemClock }));

  return {
    name: 'memory',
    cache,
    attach(context: StoreContext) {
      shedder = createShedder(context);
    },
    async admit(signal): Promise<StoreAdmission> {
      const admission = await current().acquire(signal);
      if (typeof admission === 'function') return { release: () => admission(), via };
      return { refused: admission, via };
    },
    stats: () => ({ active: current().active, queued: current().queued }),
    close: async () => {},
  };
}
