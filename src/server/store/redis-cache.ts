/**
 * The fleet's answer cache on Redis, with this instance's memory cache behind it: a read or write that fails or
 * outlasts the command timeout falls back to memory and marks Redis as failing, like every other Redis call.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { createMemoryCache } from './memory.js';
import { within } from './redis-timeout.js';
import type { AnswerCache, StoredAnswer } from './types.js';

export interface RedisCacheOptions {
  ttlMs: number;
  prefix: string;
  commandTimeoutMs: number;
  clock(): Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The client for new work, unless Redis is known to be failing. */
  usable(): Redis | undefined;
  degrade(error: unknown): void;
}

export function createRedisCache(options: RedisCacheOptions): AnswerCache {
  const fallback = createMemoryCache(options.ttlMs, 1000, Date.now);
  const key = (name: string) => `${options.prefix}cache:${name}`;
  const bounded = <T>(work: Promise<T>) => within(options.commandTimeoutMs, options.clock(), work);
  return {
    async get(name) {
      const redis = options.usable();
      if (!redis) return fallback.get(name);
      try {
        const text = await bounded(redis.get(key(name)));
        return text === null ? undefined : (JSON.parse(text) as StoredAnswer);
      } catch (error) {
        options.degrade(error);
        return fallback.get(name);
      }
    },
    async set(name, answer) {
      const redis = options.usable();
      if (!redis) return fallback.set(name, answer);
      try {
        await bounded(redis.set(key(name), JSON.stringify(answer), 'PX', options.ttlMs));
      } catch (error) {
        options.degrade(error);
        await fallback.set(name, answer);
      }
    },
  };
}
