/**
 * What the simulator can answer, and the exact shapes Anthropic uses for each (status, headers, body), as in
 * test/fixtures/anthropic-responses.json. Success bodies and streams live in reply.ts and sse.ts. The status ↔ type
 * table, the spend-limit code and the body shape come from core, like everywhere else in the kit.
 */
import { anthropicErrorBody, anthropicErrorResponse } from '../core/error-body.js';
import { errorTypeFor, SPEND_LIMIT_CODE } from '../core/rules.js';

/** One request's fate. Numeric names answer that status with Anthropic's JSON error for it. */
export type SimulatorOutcome =
  | 'ok'
  | '400' | '401' | '402' | '403' | '404' | '409' | '413' | '429' | '500' | '504' | '529'
  /** 429 `rate_limit_error` with `details.error_code: enforced_spend_limit_reached` and no `retry-after`. */
  | 'spend-limit'
  /** 529 with no headers and an empty body, as some edges send it. */
  | 'empty-529'
  /** A proxy's HTML error page. */
  | '502-html' | '503-html'
  /** HTTP 200 and a stream that sends part of the answer, then `event: error` overloaded (`ok` when not streaming). */
  | 'stream-error-midway'
  /** HTTP 200 and a stream that stops after part of the answer, without `message_stop` (`ok` when not streaming). */
  | 'stream-cut'
  /** No answer until the caller aborts. */
  | 'timeout'
  /** The connection fails: `fetch` rejects with a TypeError (a socket reset when listening). */
  | 'network-error';

/**
 * Claude's load, as the playground's control names it: `normal` answers every request; `busy` answers `busyRate` of
 * them 529 at random; `episodes` answers, except in busy spells when every request meets a 529 (`busyMs` long,
 * `busyAfterMs` after the first request, or the first since the switch into it, then every `busyEveryMs`); `outage`
 * answers 529 to every request; `rate-limited` 429 with `retry-after`; `broken-streams` breaks every stream midway
 * with an overloaded error event.
 */
export type SimulatorMode = 'normal' | 'busy' | 'episodes' | 'outage' | 'rate-limited' | 'broken-streams';

export const SIMULATOR_MODES: readonly SimulatorMode[] = ['normal', 'busy', 'episodes', 'outage', 'rate-limited', 'broken-streams'];

/** Thrown by `fetch` for a 'network-error' outcome, like a real `fetch` whose connection was reset. */
export class SimulatedNetworkError extends TypeError {
  constructor() {
    super('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
  }
}

export const SIMULATOR_OUTCOMES: readonly SimulatorOutcome[] = [
  'ok', '400', '401', '402', '403', '404', '409', '413', '429', '500', '504', '529', 'spend-limit', 'empty-529',
  '502-html', '503-html', 'stream-error-midway', 'stream-cut', 'timeout', 'network-error',
];

interface ErrorShape {
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

// Messages as Anthropic words them (from the fixtures), so a test that compares messages compares real ones.
const JSON_ERRORS: Record<string, ErrorShape> = {
  '400': { status: 400, message: 'messages: at least one message is required' },
  '401': { status: 401, message: 'invalid x-api-key' },
  '402': { status: 402, message: 'Your credit balance is too low to access the Anthropic API.' },
  '403': { status: 403, message: 'Your API key does not have permission to use the specified resource.' },
  '404': { status: 404, message: 'model: claude-nonexistent' },
  '409': { status: 409, message: 'Conflict' },
  '413': { status: 413, message: 'Request exceeds the maximum allowed number of bytes.' },
  '429': {
    status: 429,
    message:
      'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
  },
  'spend-limit': {
    status: 429,
    message: 'You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.',
    details: { error_code: SPEND_LIMIT_CODE },
  },
  '500': { status: 500, message: 'Internal server error' },
  '504': { status: 504, message: 'Request timed out' },
  '529': { status: 529, message: 'Overloaded' },
};

const HTML_PAGES: Record<string, { status: number; contentType: string; body: string }> = {
  '502-html': {
    status: 502,
    contentType: 'text/html',
    body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
  },
  '503-html': {
    status: 503,
    contentType: 'text/html; charset=UTF-8',
    body: '<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>Service Temporarily Unavailable</h1></body></html>',
  },
};

/** Whether the outcome is answered by `errorResponse` (as opposed to a success, a hang or a dropped connection). */
export function isErrorOutcome(outcome: SimulatorOutcome): boolean {
  return outcome in JSON_ERRORS || outcome in HTML_PAGES || outcome === 'empty-529';
}

export interface ErrorContext {
  requestId: string;
  now: number;
  /** Seconds in `retry-after` of a 429. */
  retryAfterSeconds: number;
}

/** Anthropic's JSON error body, e.g. for the simulator's own validation failures. */
export function jsonError(status: number, type: string, message: string, requestId: string, extra: HeadersInit = {}): Response {
  return anthropicErrorResponse(status, anthropicErrorBody(type, message, requestId), extra);
}

export function errorResponse(outcome: SimulatorOutcome, context: ErrorContext): Response {
  if (outcome === 'empty-529') return new Response(null, { status: 529 });
  const page = HTML_PAGES[outcome];
  if (page) return new Response(page.body, { status: page.status, headers: { 'content-type': page.contentType } });
  const shape = JSON_ERRORS[outcome];
  if (!shape) throw new Error(`Not an error outcome: ${outcome}`);
  const headers = new Headers();
  // A real 529 says "retry" but not when; only a rate-limit 429 carries retry-after and the reset times.
  if (shape.status === 529) headers.set('x-should-retry', 'true');
  if (outcome === '429') {
    const reset = new Date(context.now + context.retryAfterSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    headers.set('retry-after', String(context.retryAfterSeconds));
    headers.set('anthropic-ratelimit-requests-limit', '50');
    headers.set('anthropic-ratelimit-requests-remaining', '0');
    headers.set('anthropic-ratelimit-requests-reset', reset);
    headers.set('anthropic-ratelimit-output-tokens-limit', '8000');
    headers.set('anthropic-ratelimit-output-tokens-remaining', '0');
    headers.set('anthropic-ratelimit-output-tokens-reset', reset);
  }
  const body = anthropicErrorBody(errorTypeFor(shape.status), shape.message, context.requestId, shape.details);
  return anthropicErrorResponse(shape.status, body, headers);
}

/** What the modes read to decide: a random draw, the busy share, and whether an episode's busy spell is on now. */
export interface ModeContext {
  random: () => number;
  busyRate: number;
  inBusySpell: () => boolean;
}

/** The outcome the mode gives a request that neither the script nor the capacity model has decided. */
export function modeOutcome(mode: SimulatorMode, context: ModeContext): SimulatorOutcome {
  switch (mode) {
    case 'normal':
      return 'ok';
    case 'busy':
      return context.random() < context.busyRate ? '529' : 'ok';
    case 'episodes':
      return context.inBusySpell() ? '529' : 'ok';
    case 'outage':
      return '529';
    case 'rate-limited':
      return '429';
    case 'broken-streams':
      return 'stream-error-midway';
  }
}
