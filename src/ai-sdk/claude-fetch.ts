/**
 * createClaudeFetch: a `fetch` for `createAnthropic({ fetch })` that runs the kit's line in process. Each call the AI
 * SDK makes goes through `createClaudeHandler` (its store, policy and limits) without an HTTP hop: it waits in the
 * line instead of hammering Claude, and while it waits it keeps its place with the line's ticket, coming back at once
 * each time the handler tells it where it stands. The AI SDK's own retries are not needed on top (see `maxRetries` in
 * docs/ai-sdk.md): the call is answered when Claude takes it, or given Claude's 529 after `maxWaitMs`.
 */
import { systemClock } from '../core/clock.js';
import { AHEAD_HEADER, EXPECTED_WAIT_HEADER, TICKET_HEADER } from '../core/line-ticket.js';
import { createClaudeHandler } from '../server/handler.js';
import type { ClaudeHandler, ClaudeHandlerOptions } from '../server/handler.js';
import { WAIT_HEADER, acquireWaitListener } from './wait.js';
import type { ClaudeWait } from './wait.js';

export interface ClaudeFetchOptions extends ClaudeHandlerOptions {
  /**
   * The app's handler, to share its line: the browser's route (`export const POST = handler`) and the AI SDK's calls
   * then wait in one line, under one set of limits. The handler options above must not be given with it. Defaults to
   * a handler of this fetch's own, made from the options (mount it as `claudeFetch.handler` to share it the other way).
   */
  handler?: ClaudeHandler;
  /**
   * How long one call may wait in line in all, across the handler's updates, before the AI SDK gets the line's 529.
   * Keep it under the platform's request time limit. At most 2^31 − 1 ms. Defaults to 240 000 ms (4 min).
   */
  maxWaitMs?: number;
  /** Told of every change of every call's wait (logging, metrics); `claudeWaitHeaders` tells one call's browser. */
  onWait?: (wait: ClaudeWait, request: Request) => void;
}

export interface ClaudeFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The handler the calls go through: mount it as the browser's route to share the line. */
  readonly handler: ClaudeHandler;
}

/** The AI SDK's call never leaves the process: this origin only gives the handler a URL to route by. */
const IN_PROCESS_ORIGIN = 'http://claude-overload-kit.invalid';
const DEFAULT_MAX_WAIT_MS = 240_000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * A 529 that came sooner than this came at once (the line is full, or shut past the call's wait): the call stays away
 * for its retry-after. One that came later held the call at its place, and it goes straight back.
 */
const AT_ONCE_MS = 250;

export function createClaudeFetch(options: ClaudeFetchOptions = {}): ClaudeFetch {
  const { handler: given, maxWaitMs = DEFAULT_MAX_WAIT_MS, onWait, ...handlerOptions } = options;
  if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0 && maxWaitMs <= MAX_TIMER_MS)) {
    throw new TypeError(`maxWaitMs: a number of milliseconds from 0 to ${MAX_TIMER_MS}; got ${String(maxWaitMs)}.`);
  }
  if (given !== undefined && typeof given !== 'function') {
    throw new TypeError('handler: pass the function createClaudeHandler returned.');
  }
  // `clock` also times this fetch's own pauses; every other option configures a handler.
  const extra = Object.keys(handlerOptions).filter((key) => key !== 'clock');
  if (given && extra.length > 0) {
    throw new TypeError(`createClaudeFetch: ${extra.join(', ')} configure a handler; with \`handler\` given, set them on that handler.`);
  }
  // Calls waiting for their answer, to be told at Claude's first refusal that they wait (the line's own update, a
  // second later, names their place).
  const pending = new Set<() => void>();
  let refusing = false;
  // The handler's upstream as it would have chosen it, watched. Without a key the call still goes out and Claude's 401
  // is reported as the missing key, as the handler does with a fetch of its own.
  const upstream = handlerOptions.fetch;
  const watched = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await (upstream ?? globalThis.fetch)(input, init);
    // Only Claude's 529 holds calls in the line; a 429 goes back to its caller as the 429 it is.
    if (response.status === 529) {
      refusing = true;
      for (const told of [...pending]) told();
    } else if (response.ok) refusing = false;
    return response;
  };
  const handler = given ?? createClaudeHandler({ ...handlerOptions, fetch: watched });
  const clock = handlerOptions.clock ?? systemClock;
  const now = () => clock.now?.() ?? Date.now();
  const pause = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

  async function claudeFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const source = new Request(input, init);
    const url = new URL(source.url);
    const body = source.method === 'GET' || source.method === 'HEAD' ? undefined : await source.text();
    const headers = new Headers(source.headers);
    const listener = acquireWaitListener(headers);
    headers.delete(WAIT_HEADER);
    try {
      return await waitInLine(source, url, body, headers, listener?.listen);
    } finally {
      listener?.release();
    }
  }

  async function waitInLine(source: Request, url: URL, body: string | undefined, headers: Headers, listener: ((wait: ClaudeWait) => void) | undefined): Promise<Response> {
    // The key stays with the handler; whatever the AI SDK was given is never passed on.
    headers.delete('x-api-key');
    headers.delete('authorization');
    headers.set(TICKET_HEADER, 'new');
    const signal = source.signal;
    const startedAt = now();
    let waited = false;
    const tell = (wait: ClaudeWait) => {
      listener?.(wait);
      onWait?.(wait, source);
    };
    // A stream's headers come as soon as Claude takes the call, so a stream still without them while Claude refuses
    // calls is waiting in line. A whole answer may be being written meanwhile: it hears the line's update only.
    const refused = () => {
      pending.delete(refused);
      waited = true;
      tell({ state: 'waiting', waitedMs: now() - startedAt });
    };
    if (streamed(body)) {
      if (refusing) refused();
      else pending.add(refused);
    }

    for (;;) {
      // As fetch does: a call stopped by its caller (the person left, the route's abortSignal) rejects, it is not answered.
      signal.throwIfAborted();
      const askedAt = now();
      let response: Response;
      try {
        response = await handler(new Request(`${IN_PROCESS_ORIGIN}${url.pathname}${url.search}`, {
          method: source.method, headers, body, signal,
        }));
      } finally {
        pending.delete(refused);
      }
      signal.throwIfAborted();
      const ticket = response.headers.get(TICKET_HEADER);
      // Anything but the line's own 529 is the answer: Claude's, or an error of the app's policy.
      if (response.status !== 529 || ticket === null) {
        // Claude took the call; any other answer (the app's policy, a shutdown) ends the stream with its error.
        if (waited && response.ok) tell({ state: 'answered', waitedMs: now() - startedAt });
        return response;
      }
      const waitedMs = now() - startedAt;
      const retryAfterMs = retryAfterOf(response.headers);
      if (waitedMs >= maxWaitMs) {
        if (waited) tell({ state: 'gave-up', waitedMs, ...(retryAfterMs !== undefined && { retryAfterMs }) });
        return response;
      }
      waited = true;
      tell({
        state: 'waiting', waitedMs,
        ...countOf(response.headers, AHEAD_HEADER, 'ahead'),
        ...countOf(response.headers, EXPECTED_WAIT_HEADER, 'expectedWaitMs'),
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      });
      await response.body?.cancel();
      headers.set(TICKET_HEADER, ticket);
      if (now() - askedAt < AT_ONCE_MS) await pause(Math.min(retryAfterMs ?? 1000, maxWaitMs - waitedMs), signal);
    }
  }

  return Object.assign(claudeFetch, { handler });
}

function streamed(body: string | undefined): boolean {
  if (body === undefined) return false;
  try {
    return (JSON.parse(body) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

function retryAfterOf(headers: Headers): number | undefined {
  const seconds = Number(headers.get('retry-after'));
  return headers.has('retry-after') && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function countOf<K extends string>(headers: Headers, name: string, key: K): Partial<Record<K, number>> {
  const raw = headers.get(name);
  return raw !== null && /^\d{1,12}$/.test(raw.trim()) ? ({ [key]: Number(raw.trim()) } as Record<K, number>) : {};
}
