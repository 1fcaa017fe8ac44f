/**
 * Responses in Anthropic's error shape, so the browser reads the handler's own refusals (bad input, a full queue,
 * an unreachable upstream) exactly as it reads Claude's.
 */
import { anthropicErrorBody, anthropicErrorResponse } from '../core/error-body.js';

/** Anthropic's error types by status: core's table, so the handler, the classifier and the simulator agree. */
export { errorTypeFor } from '../core/rules.js';

/**
 * An id for a response the handler makes itself. It keeps Anthropic's `req_` prefix for tools that expect one,
 * and says `kit` so that nobody sends it to Anthropic's support as theirs.
 */
export function localRequestId(): string {
  return `req_kit_${globalThis.crypto.randomUUID().replaceAll('-', '')}`;
}

export interface ErrorResponseInit {
  requestId?: string;
  headers?: HeadersInit;
}

/**
 * `{"type":"error","error":{"type":…,"message":…},"request_id":…}` with the matching `request-id` header. Apps can
 * use it in `authorize` to refuse in the same shape, e.g. `errorResponse(403, 'permission_error', 'Sign in first')`.
 */
export function errorResponse(status: number, type: string, message: string, init: ErrorResponseInit = {}): Response {
  return anthropicErrorResponse(status, anthropicErrorBody(type, message, init.requestId ?? localRequestId()), init.headers);
}

/** A 529 that says when to come back, for the handler's own load shedding. */
export function overloadedResponse(retryAfterSeconds: number, message: string): Response {
  return errorResponse(529, 'overloaded_error', message, {
    headers: { 'retry-after': String(retryAfterSeconds), 'x-should-retry': 'true' },
  });
}

/**
 * A 429 for a user who already holds their share of places in line (`maxPerUser`): the app's own limit on one user,
 * not Claude's overload, so it reads as "too many requests" (the kit shows that, and SDKs wait for retry-after) and
 * the other users' screens do not say Claude is busy.
 */
export function userFullResponse(retryAfterSeconds: number): Response {
  return errorResponse(429, 'rate_limit_error', 'You have many requests waiting already. Please retry once some have been answered.', {
    headers: { 'retry-after': String(retryAfterSeconds), 'x-should-retry': 'true' },
  });
}

/**
 * A 503 for a request the handler stops holding because its store closed (the app is shutting down): retryable, so the
 * browser (and the SDKs, which retry 5xx) comes back within a second and another instance serves it. A 499 would be
 * the end of it: no client retries one.
 */
export function shuttingDownResponse(): Response {
  return errorResponse(503, 'api_error', 'This server is shutting down. Please retry; another instance will answer.', {
    headers: { 'retry-after': '1', 'x-should-retry': 'true' },
  });
}

/** Status for a client that went away: nobody reads it, but logs should not call it a server error. */
export const CLIENT_CLOSED_REQUEST = 499;
