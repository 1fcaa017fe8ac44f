/** Non-streamed answers as plain data, so a cache or a job queue can keep them, and back into Responses. */
import { parseRetryAfter } from '../../core/backoff.js';
import { toClaudeError } from '../../core/failure.js';
import { gateHoldFor, isPressureAnswer } from '../../core/rules.js';
import type { StoredAnswer, Outcome } from './types.js';

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

/**
 * What the line needs from an answer: its status, how long Claude asked to wait, and whether Claude is out of room
 * (core's rules). A `retry-after` longer than a gate ever holds everyone (a proxy's "86400") is not passed on.
 */
function outcomeFrom(status: number, headers: Headers | Record<string, string>, body: string): Outcome {
  const retryAfterMs = gateHoldFor(parseRetryAfter(headers)) || undefined;
  const pressure = isPressureAnswer(status, body);
  return retryAfterMs === undefined ? { status, pressure } : { status, retryAfterMs, pressure };
}

/** Reads a 429's body (a clone) to tell a rate limit from the spend limit; other answers by status alone. */
export async function outcomeOf(response: Response): Promise<Outcome> {
  return response.status === 429 ? outcomeFrom(429, response.headers, await response.clone().text().catch(() => '')) : outcomeOfHeaders(response);
}

/** What `outcomeOf` says of an answer that is not a 429, at once: its body tells nothing more. */
export function outcomeOfHeaders(response: Response): Outcome {
  return outcomeFrom(response.status, response.headers, '');
}

export function outcomeOfStored(answer: StoredAnswer): Outcome {
  return outcomeFrom(answer.status, answer.headers, answer.body);
}

/**
 * What the line learns from a stream once it has ended. Claude can refuse a call after its 200 and some events (an
 * `event: error` with overloaded_error or rate_limit_error): that is the same refusal as a 529 or 429 before the first
 * byte, and counting it as a success would grow the limit on a call Claude turned away. Anything else (a normal end,
 * a network break, another error) counts as the 200 it started with, as before.
 */
export function outcomeOfStream(status: number, claudeError: string | undefined): Outcome {
  if (claudeError === undefined) return { status, pressure: false };
  // Core's own reading of an error payload: a spend-limit 429 is `spend_limited`, no pressure.
  const { kind } = toClaudeError(claudeError, { midStream: true });
  if (kind === 'overloaded') return { status: 529, pressure: true };
  if (kind === 'rate_limited') return { status: 429, pressure: true };
  return { status, pressure: false };
}
