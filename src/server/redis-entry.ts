// claude-overload-kit/server/redis — the Redis store on its own entry: it loads the optional peers ioredis and bullmq,
// which bundlers (Turbopack, webpack) resolve at build time even behind import(). Apps that do not use Redis import
// claude-overload-kit/server alone and need neither installed.
export { createRedisStore } from './store/redis.js';
export type { RedisStore, RedisStoreOptions } from './store/redis.js';
export type { RedisQueueOptions } from './store/redis-queue.js';
