// Several handler instances, each with its own Redis client, in front of ONE simulator: a backend fleet in a process.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createClaudeHandler } from '../../../src/server/index.js';
import { createRedisStore } from '../../../src/server/redis-entry.js';
import type { ClaudeHandler, ClaudeHandlerOptions, StoreLogger } from '../../../src/server/index.js';
import type { RedisStore, RedisStoreOptions } from '../../../src/server/redis-entry.js';
import type { OverloadSimulator } from '../../../src/testing/index.js';
import { API_KEY } from '../helpers.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface Instance {
  handler: ClaudeHandler;
  store: RedisStore;
  logs: string[];
  /** The fleet's key prefix, to look at its keys from a test. */
  prefix: string;
}

export interface FleetOptions extends RedisStoreOptions {
  instances: number;
  maxConcurrency?: number;
  queueTimeoutMs?: number;
  /** Passed to each handler (its own per-process limit). */
  localConcurrency?: number;
  /** Passed to each handler: how long Claude's 529s are held in line (0 passes them on). Defaults to the handler's. */
  holdMs?: number;
  /** Passed to each handler: a model allowlist and a fallback chain. Defaults to none. */
  handler?: Pick<ClaudeHandlerOptions, 'models' | 'fallback' | 'userKey' | 'maxPerUser'>;
}

export async function createFleet(url: string, simulator: OverloadSimulator, options: FleetOptions): Promise<Instance[]> {
  // A fresh prefix per fleet: tests in one file never see each other's gate or leases.
  const prefix = `test-${randomUUID().slice(0, 8)}:`;
  const instances: Instance[] = [];
  for (let i = 0; i < options.instances; i++) {
    const logs: string[] = [];
    const logger: StoreLogger = { warn: (message) => logs.push(`warn ${message}`), info: (message) => logs.push(`info ${message}`) };
    const store = createRedisStore({ url, prefix, logger, ...options });
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://simulator.test', fetch: simulator.fetch, store,
      maxConcurrency: options.localConcurrency ?? 32, queueTimeoutMs: options.queueTimeoutMs ?? 3_000, holdMs: options.holdMs,
      ...options.handler,
    });
    instances.push({ handler, store, logs, prefix });
  }
  open.push(...instances);
  const ready = await Promise.all(instances.map((instance) => instance.store.ready(3_000)));
  if (!ready.every(Boolean)) throw new Error('a store did not connect to the test Redis');
  return instances;
}

export async function closeFleet(instances: readonly Instance[]): Promise<void> {
  await Promise.all(instances.map((instance) => instance.store.close()));
}

// Every instance made by createFleet, closed by the testbed after each test.
const open: Instance[] = [];

/** One redis-server on a free loopback port for the test file, and every fleet of a test closed after it. */
export function useRedisTestbed(): { readonly redis: RedisServer } {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await closeFleet(open.splice(0));
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get redis() {
      if (!redis) throw new Error('the test Redis is not running');
      return redis;
    },
  };
}
