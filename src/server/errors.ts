/**
 * Responses in Anthropic's error shape, so the browser reads the handler's own refusals (bad input, a full queue,
 * an unreachable upstream) exactly as it reads Claude's.
 */

/** Anthropic's error types, by the status Anthropic sends them with. */
export const ERROR_TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function errorTypeFor(status: number): string {
  return ERROR_TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

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
  const requestId = init.requestId ?? localRequestId();
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  headers.set('request-id', requestId);
  return new Response(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }), { status, headers });
}

/** A 529 that says when to come back, for the handler's own load shedding. */
export function overloadedResponse(retryAfterSeconds: number, message: string): Response {
  return errorResponse(529, 'overloaded_error', message, {
    headers: { 'retry-after': String(retryAfterSeconds), 'x-should-retry': 'true' },
  });
}

/** Status for a client that went away: nobody reads it, but logs should not call it a server error. */
export const CLIENT_CLOSED_REQUEST = 499;
