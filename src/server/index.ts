export { createClaudeHandler } from './handler.js';
export type {
  ApiRoute, AuthorizeContext, CheckVerdict, ClaudeHandler, ClaudeHandlerOptions, ClaudeHandlerStats, ClaudeRoute, MessagesParams,
} from './handler.js';
export type { ServerToolName } from './fields.js';
export { DEFAULT_ANTHROPIC_VERSION } from './upstream.js';
export type { CorsOptions } from './cors.js';
export { errorResponse } from './errors.js';
export type { ErrorResponseInit } from './errors.js';
export { createStatusHandler, DEFAULT_STATUS_SUMMARY_URL } from './status-handler.js';
export type { StatusHandler, StatusHandlerOptions } from './status-handler.js';
export { createMemoryStore } from './store/memory.js';
export type { MemoryStoreOptions } from './store/memory.js';
export type {
  AdmitOptions, AnswerCache, ClaudeStore, ClaudeStoreStats, ModelState, Permit, Refusal, StoreAdmission, StoreContext, StoredAnswer, StoreLogger,
  Outcome,
} from './store/types.js';
export type { AdmissionLineOptions } from './admission/line.js';
export type { AdaptiveLimitOptions } from './admission/limit.js';
export { AHEAD_HEADER, EXPECTED_WAIT_HEADER, LINE_HEADERS, MODEL_FALLBACK_HEADER, PRIORITY_HEADER, TICKET_HEADER } from './admission/hints.js';
