/**
 * createClaudeHandler: a Fetch-API handler (Next.js route handlers, Hono, Remix, Bun, Deno; Node through
 * @hono/node-server) that forwards a browser's Messages request to Claude with the official SDK and passes Claude's
 * answer back as Claude sent it, so the browser can tell a 529 from a 500 and time its own retries.
 */
import Anthropic from '@anthropic-ai/sdk';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { corsHeaders, preflightResponse, withCors } from './cors.js';
import type { CorsOptions } from './cors.js';
import { CLIENT_CLOSED_REQUEST, errorResponse, overloadedResponse } from './errors.js';
import { relayMessage, relayStream, upstreamErrorResponse } from './relay.js';
import { DEFAULT_HOLD_MS, DEFAULT_INITIAL_LIMIT, DEFAULT_MAX_QUEUE } from './admission/defaults.js';
import { lineHintHeaders, lineRequestOf } from './admission/hints.js';
import { holdForClaude, type Attempt } from './admission/hold.js';
import { cacheKeyOf, isCacheable } from './store/cache-key.js';
import { createMemoryStore } from './store/memory.js';
import { fromStored, resultOf, toStored } from './store/answers.js';
import { consoleLogger, isRefusal } from './store/types.js';
import type { ClaudeStore, Refusal, StoreLogger } from './store/types.js';
import { validateMessagesRequest } from './validate.js';
import type { MessagesParams } from './validate.js';

export interface ClaudeHandlerOptions {
  /** An Anthropic client to use as is; `apiKey`, `baseURL`, `fetch` and `maxRetries` are then ignored. */
  client?: Anthropic;
  /** Defaults to the SDK's own lookup (`ANTHROPIC_API_KEY`). Never sent to the browser. */
  apiKey?: string;
  /** Defaults to the SDK's (`ANTHROPIC_BASE_URL`, else https://api.anthropic.com). Point it at the simulator in tests. */
  baseURL?: string;
  /** A `fetch` for the SDK, e.g. `simulator.fetch` for tests without a network. Defaults to the global fetch. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** SDK retries per request. Defaults to 0: the browser owns retry timing, and can show it. */
  maxRetries?: number;
  /** Used when the request names no model. Defaults to the first of `models`; without either, `model` is required. */
  defaultModel?: string;
  /** The only models the browser may ask for. Defaults to any. */
  models?: readonly string[];
  /** Used when the request has no max_tokens. Defaults to 1024 (lowered to `maxTokensCap`). */
  defaultMaxTokens?: number;
  /** The most max_tokens a request may ask for. Defaults to no cap. */
  maxTokensCap?: number;
  /** Above the cap: 'reject' answers 400 (a developer sees why at once); 'clamp' lowers it silently. Defaults to 'reject'. */
  maxTokensOverCap?: 'reject' | 'clamp';
  /** The largest request body accepted; larger ones get 413 request_too_large. Defaults to 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Upstream calls (streams included, until they end) at once. Set, it is a ceiling the line never passes. Unset,
   * the default store's line starts at 32 and adapts to what Claude takes, without a ceiling.
   */
  maxConcurrency?: number;
  /** Requests waiting in line; one more gets 529 overloaded_error with retry-after and a ticket. Defaults to 1000. */
  maxQueue?: number;
  /**
   * How long a request may wait in line, Claude's own 529s and rate-limit 429s included (the request goes back to
   * its place instead of back to the browser), before it gets a 529 whose retry-after says when its turn is expected.
   * Keep it under the platform's request time limit. 0 passes Claude's refusals through at once. Defaults to 25 000 ms.
   */
  holdMs?: number;
  /** How long a request may wait for its first turn in line. Defaults to `holdMs` (25 000 ms when that is 0). */
  queueTimeoutMs?: number;
  /** `retry-after` (seconds) on the handler's own 529s when the store has no estimate. Defaults to 2. */
  shedRetryAfterSeconds?: number;
  /**
   * The app's own auth, run before the body is read. Return false to answer 401 authentication_error, or a Response
   * to answer with it (see `errorResponse`, e.g. a 403 permission_error). Defaults to allowing every request.
   */
  authorize?: (request: Request) => boolean | Response | void | Promise<boolean | Response | void>;
  /** Cross-origin access. Defaults to none: no CORS headers, and OPTIONS is answered 405. */
  cors?: CorsOptions;
  /** Timers and time for the line (waits, closed windows, tickets). Defaults to the real clock; `now` to Date.now. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'> & Partial<Pick<Clock, 'now'>>;
  /**
   * Where the gate, the slots, the queue and the cache live. Defaults to `createMemoryStore()` (this process only);
   * `createRedisStore({ url })` shares them with every instance of the backend. A store serves one handler.
   */
  store?: ClaudeStore;
  /** Where the store reports Redis going away and coming back. Defaults to the console. */
  logger?: StoreLogger;
}

export interface ClaudeHandlerStats {
  /** Upstream calls in progress. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Requests refused with the handler's own 529 since it was created. */
  shed: number;
}

export interface ClaudeHandler {
  (request: Request): Promise<Response>;
  stats(): ClaudeHandlerStats;
}

const MIB = 1024 * 1024;

export function createClaudeHandler(options: ClaudeHandlerOptions = {}): ClaudeHandler {
  const client =
    options.client ??
    new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, fetch: options.fetch, maxRetries: options.maxRetries ?? 0 });
  const apiKey = options.apiKey ?? client.apiKey;
  const store = options.store ?? createMemoryStore();
  const retryAfter = options.shedRetryAfterSeconds ?? 2;
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? MIB,
    models: options.models,
    defaultModel: options.defaultModel,
    defaultMaxTokens: options.defaultMaxTokens ?? 1024,
    maxTokensCap: options.maxTokensCap,
    maxTokensOverCap: options.maxTokensOverCap ?? 'reject',
  } as const;
  let shed = 0;
  const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
  const waitMs = options.queueTimeoutMs ?? (holdMs > 0 ? holdMs : DEFAULT_HOLD_MS);
  const now = () => options.clock?.now?.() ?? Date.now();

  /**
   * One upstream call through a permit, not yet released: a non-streamed answer whole, or a stream's headers (its
   * body not read yet, so a 529 before the first byte can still wait in line again).
   */
  async function attemptUpstream(params: MessagesParams, signal: AbortSignal): Promise<Attempt<{ response: Response; stream?: Response }>> {
    if (!params.stream) {
      const response = await answerOnce(params, signal);
      return { response: { response }, result: await resultOf(response) };
    }
    try {
      const upstream = await client.messages.create(params as Anthropic.MessageCreateParams, { signal }).asResponse();
      return { response: { response: upstream, stream: upstream }, result: { status: upstream.status, pressure: false } };
    } catch (error) {
      const response = upstreamErrorResponse(error, apiKey);
      return { response: { response }, result: await resultOf(response) };
    }
  }

  /** One non-streamed call, answered whatever happens (errors become Anthropic-shaped responses). */
  async function answerOnce(params: MessagesParams, signal: AbortSignal): Promise<Response> {
    try {
      const upstream = await client.messages.create(params as Anthropic.MessageCreateParams, { signal }).asResponse();
      return await relayMessage(upstream, apiKey);
    } catch (error) {
      return upstreamErrorResponse(error, apiKey);
    }
  }

  store.attach({
    maxConcurrency: options.maxConcurrency ?? DEFAULT_INITIAL_LIMIT,
    concurrencyCeiling: options.maxConcurrency,
    maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE,
    queueTimeoutMs: waitMs,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? consoleLogger,
    run: async (params, signal) => toStored(await answerOnce(params as MessagesParams, signal)),
  });

  function refused(refusal: Refusal, hints = false): Response {
    if (refusal.refused === 'aborted') return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    shed += 1;
    const seconds = refusal.retryAfterMs === undefined ? retryAfter : Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
    const response = overloadedResponse(seconds, 'This server is handling as many Claude requests as it can. Please retry shortly.');
    for (const [name, value] of Object.entries(lineHintHeaders(refusal, hints))) response.headers.set(name, value);
    return response;
  }

  /** Cache, queue or direct call, in that order; streams only ever take the direct call. */
  async function answer(params: MessagesParams, signal: AbortSignal, line: { hints: boolean; ticket?: string } = { hints: false }): Promise<{ response: Response; via?: string }> {
    const cacheKey = !params.stream && store.cache ? cacheKeyOf(params) : undefined;
    if (cacheKey !== undefined) {
      const hit = await store.cache?.get(cacheKey);
      if (hit) return { response: fromStored(hit, { 'x-claude-kit-cache': 'hit' }), via: store.name };
    }
    let response: Response;
    let via: string | undefined;
    if (!params.stream && store.enqueue) {
      const done = await store.enqueue(params, signal);
      if ('refused' in done) return { response: refused(done), via: done.via };
      response = fromStored(done.answer);
      via = done.via;
    } else {
      // Claude's 529s before the first byte send the request back to its place in line, up to `holdMs`.
      const deadlineAt = now() + Math.max(holdMs, waitMs);
      const held = await holdForClaude(store, signal, () => attemptUpstream(params, signal),
        { deadlineAt, requeue: holdMs > 0, ticket: line.ticket });
      if (isRefusal(held)) return { response: refused(held, line.hints), via: held.via };
      const { permit, result, response: { response: answered, stream } } = held;
      if (stream) response = relayStream(stream, signal, () => permit.release({ status: stream.status }));
      else {
        await permit.release(result);
        response = answered;
      }
      via = permit.via;
    }
    if (cacheKey !== undefined && isCacheable(response.status)) {
      await store.cache?.set(cacheKey, await toStored(response.clone()));
    }
    return { response, via };
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method === 'OPTIONS' && options.cors) return preflightResponse(request, options.cors);
    if (request.method !== 'POST') {
      const allow = options.cors ? 'POST, OPTIONS' : 'POST';
      return errorResponse(405, 'invalid_request_error', `Method ${request.method} is not allowed here; send POST.`, { headers: { allow } });
    }
    if (options.authorize) {
      const verdict = await options.authorize(request);
      if (verdict instanceof Response) return verdict;
      if (verdict === false) return errorResponse(401, 'authentication_error', 'This request is not authorized to use Claude.');
    }
    const checked = await validateMessagesRequest(request, limits);
    if (!checked.ok) return errorResponse(checked.status, checked.type, checked.message);

    const { response, via } = await answer(checked.params, request.signal, lineRequestOf(request));
    // The default store says nothing; a shared store says which one answered, so a fallback is visible.
    if (via !== undefined && via !== 'memory' && !response.headers.has('x-claude-kit-store')) {
      response.headers.set('x-claude-kit-store', via);
    }
    return response;
  }

  const handler = async (request: Request): Promise<Response> => {
    const cors = corsHeaders(request, options.cors);
    try {
      return withCors(await handle(request), cors);
    } catch {
      // A bug or a throwing `authorize`: say so in Anthropic's shape, without details that could leak secrets.
      return withCors(errorResponse(500, 'api_error', 'Unexpected error in the Claude handler.'), cors);
    }
  };
  return Object.assign(handler, {
    stats: (): ClaudeHandlerStats => ({ ...store.stats(), shed }),
  });
}
