/** Non-streamed answers as plain data, so a cache or a job queue can keep them, and back into Responses. */
import { parseRetryAfter } from '../../core/backoff.js';
import type { StoredAnswer, UpstreamResult } from './types.js';

export async function toStored(response: Response): Promise<StoredAnswer> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

export function fromStored(answer: StoredAnswer, extra: Record<string, string> = {}): Response {
  // 499 (the browser left) and other statuses outside 200–599 cannot be built by every runtime's Response.
  return new Response(answer.body || null, { status: answer.status, headers: { ...answer.headers, ...extra } });
}

/** What the gate needs from an answer: its status and how long Claude asked to wait. */
export function resultOf(response: Response): UpstreamResult {
  const retryAfterMs = parseRetryAfter(response.headers);
  return retryAfterMs === undefined ? { status: response.status } : { status: response.status, retryAfterMs };
}
