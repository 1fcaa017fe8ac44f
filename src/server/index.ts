export { createClaudeHandler } from './handler.js';
export type { ClaudeHandler, ClaudeHandlerOptions, ClaudeHandlerStats } from './handler.js';
export type { CorsOptions } from './cors.js';
export { errorResponse } from './errors.js';
export type { ErrorResponseInit } from './errors.js';
export { createStatusHandler, DEFAULT_STATUS_URL } from './status-handler.js';
export type { StatusHandler, StatusHandlerOptions } from './status-handler.js';
export { createMemoryStore } from './store/memory.js';
export type { MemoryStoreOptions } from './store/memory.js';
export type {
  AdmitOptions, AnswerCache, ClaudeStore, ClaudeStoreStats, Permit, Refusal, StoreAdmission, StoreContext, StoredAnswer, StoreLogger,
  UpstreamResult,
} from './store/types.js';
export type { AdmissionLineOptions } from './admission/line.js';
export type { AdaptiveLimitOptions } from './admission/limit.js';
export { AHEAD_HEADER, EXPECTED_WAIT_HEADER, LINE_HEADERS, TICKET_HEADER } from './admission/hints.js';
export { createRedisStore } from './store/redis.js';
export type { RedisStore, RedisStoreOptions } from './store/redis.js';
export type { RedisQueueOptions } from './store/redis-queue.js';
