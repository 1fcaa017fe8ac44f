import { systemClock } from '../core/clock.js';
import { StatusPageError, readStatusSummary } from '../core/status-page.js';
import type { StatusReport, StatusSummary } from '../core/status-page.js';
import { readBody } from './read-body.js';

/**
 * A same-origin proxy for Anthropic's status page. Browsers cannot read status.claude.com themselves (CORS, bot
 * challenges), and a thousand open tabs should cost the status page one request a minute, not a thousand.
 */

/** The Statuspage v2 summary the handler reads (the browser links people to `DEFAULT_STATUS_PAGE_URL`, its page). */
export const DEFAULT_STATUS_SUMMARY_URL = 'https://status.claude.com/api/v2/summary.json';

export interface StatusHandlerOptions {
  /** The Statuspage v2 summary to read. Defaults to `https://status.claude.com/api/v2/summary.json`. */
  url?: string;
  /** How long one upstream fetch (headers and body) may take. Defaults to 5 s. */
  timeoutMs?: number;
  /** How long a good copy is served without asking the upstream again. Defaults to 60 s. */
  ttlMs?: number;
  /**
   * After a failed refresh, how long to wait before asking the upstream again; meanwhile the last good copy (stale)
   * or the failure is served. Keeps a struggling status page from being hit on every request. Defaults to 15 s.
   */
  retryAfterFailureMs?: number;
  /**
   * The most bytes of the status page read; a larger page is treated as malformed, and reading stops there.
   * Statuspage's summary is tens of kilobytes. Defaults to 1 MiB.
   */
  maxBytes?: number;
  /** The fetch used for the upstream. Defaults to `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** The clock, in epoch ms. Defaults to `Date.now`. */
  now?: () => number;
}

/** `createStatusHandler`'s defaults, resolved in one place. */
export const STATUS_HANDLER_DEFAULTS = {
  url: DEFAULT_STATUS_SUMMARY_URL,
  /** A status page that takes longer is as good as down for a banner. */
  timeoutMs: 5_000,
  /** A thousand tabs cost the status page one request a minute. */
  ttlMs: 60_000,
  /** A struggling status page is not asked on every request. */
  retryAfterFailureMs: 15_000,
  /** Statuspage's summary is tens of kilobytes. */
  maxBytes: 1024 * 1024,
} as const;

interface GoodCopy {
  summary: StatusSummary;
  fetchedAt: number;
}

interface Failure {
  error: StatusPageError;
  at: number;
}

export type StatusHandler = (request: Request) => Promise<Response>;

/**
 * A Fetch-API handler answering GET with the status page's summary as JSON (`StatusReport`): fresh within `ttlMs`,
 * the last good copy with `stale: true` when the upstream fails, and 503 `{ error: { type, message } }` when it has
 * never had a good copy (`type` is the StatusPageError kind: timeout, http, challenge, malformed, network).
 * Concurrent requests during a refresh share one upstream fetch.
 */
export function createStatusHandler(options: StatusHandlerOptions = {}): StatusHandler {
  const d = STATUS_HANDLER_DEFAULTS;
  const url = options.url ?? d.url;
  const timeoutMs = options.timeoutMs ?? d.timeoutMs;
  const ttlMs = options.ttlMs ?? d.ttlMs;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? d.retryAfterFailureMs;
  const maxBytes = options.maxBytes ?? d.maxBytes;
  const now = options.now ?? systemClock.now;

  let good: GoodCopy | undefined;
  let failure: Failure | undefined;
  let refreshing: Promise<void> | undefined;

  async function fetchUpstream(): Promise<StatusSummary> {
    // Read per call, so a fetch mocked after the handler was created still applies.
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const controller = new AbortController();
    let timedOut = false;
    const timer = systemClock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        signal: controller.signal,
        redirect: 'follow',
      });
      const read = await readBody(response.body, { limit: maxBytes });
      if (!read.ok && read.reason === 'too_large') {
        throw new StatusPageError('malformed', `The status page answered more than ${maxBytes} bytes`, { status: response.status });
      }
      if (!read.ok) throw read.error;
      return await readStatusSummary(new Response(read.text, { status: response.status, statusText: response.statusText, headers: response.headers }));
    } catch (error) {
      if (timedOut) {
        throw new StatusPageError('timeout', `The status page did not answer within ${timeoutMs} ms`, { cause: error });
      }
      throw StatusPageError.from(error);
    } finally {
      systemClock.clearTimeout(timer);
    }
  }

  function refresh(): Promise<void> {
    refreshing ??= fetchUpstream()
      .then(
        (summary) => {
          good = { summary, fetchedAt: now() };
          failure = undefined;
        },
        (error: unknown) => {
          failure = { error: StatusPageError.from(error), at: now() };
        },
      )
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }

  function needsRefresh(at: number): boolean {
    if (failure !== undefined && at - failure.at < retryAfterFailureMs) return false;
    return good === undefined || at - good.fetchedAt >= ttlMs;
  }

  function respond(method: string): Response {
    const at = now();
    if (good === undefined) {
      const error = failure?.error ?? new StatusPageError('network', 'The status page could not be reached');
      return json(method, 503, { error: { type: error.kind, message: error.message } }, 'no-store');
    }
    const stale = at - good.fetchedAt >= ttlMs;
    // Fresh: until the copy expires. Stale: until the handler will ask the upstream again.
    const until = stale && failure !== undefined ? failure.at + retryAfterFailureMs : good.fetchedAt + ttlMs;
    const maxAge = Math.max(0, Math.ceil((until - at) / 1000));
    const report: StatusReport = { ...good.summary, stale, fetchedAt: good.fetchedAt };
    return json(method, 200, report, `public, max-age=${maxAge}`);
  }

  return async (request) => {
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    if (needsRefresh(now())) await refresh();
    return respond(method);
  };
}

function json(method: string, status: number, body: unknown, cacheControl: string): Response {
  return new Response(method === 'HEAD' ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': cacheControl },
  });
}
