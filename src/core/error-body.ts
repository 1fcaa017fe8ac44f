/** Anthropic's JSON error shape, built once for every answer the kit makes itself (handler, simulator, tests). */

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string; details?: Record<string, unknown> };
  request_id: string;
}

/** `{"type":"error","error":{"type","message","details"?},"request_id"}`, exactly as Claude sends it. */
export function anthropicErrorBody(
  type: string,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
): AnthropicErrorBody {
  return { type: 'error', error: details ? { type, message, details } : { type, message }, request_id: requestId };
}

/**
 * A Response carrying that body, `content-type: application/json` and the same id in `request-id`, like Claude's.
 * `headers` adds or overrides others (`retry-after`, `x-should-retry`).
 */
export function anthropicErrorResponse(
  status: number,
  body: AnthropicErrorBody,
  headers: HeadersInit = {},
): Response {
  const all = new Headers(headers);
  all.set('content-type', 'application/json');
  all.set('request-id', body.request_id);
  return new Response(JSON.stringify(body), { status, headers: all });
}
