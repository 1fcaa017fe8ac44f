export { createClaudeHandler } from './handler.js';
export type { ClaudeHandler, ClaudeHandlerOptions, ClaudeHandlerStats } from './handler.js';
export type { CorsOptions } from './cors.js';
export { errorResponse } from './errors.js';
export type { ErrorResponseInit } from './errors.js';
