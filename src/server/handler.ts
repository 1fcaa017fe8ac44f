/**
 * createClaudeHandler: a Fetch-API handler (Next.js route handlers, Hono, Remix, Bun, Deno, Cloudflare Workers; Node
 * through an adapter) that applies the app's policy to a browser's Messages request, forwards it to Claude as the
 * client sent it, and passes Claude's answer back as Claude sent it, so the browser (or any Claude SDK pointed at the
 * mount) can tell a 529 from a 500 and time its own retries.
 */
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { authorized, checked, userOf } from './app-checks.js';
import type { AuthorizeContext, AuthorizeVerdict, CheckVerdict } from './app-checks.js';
import { assertCorsOptions, corsHeaders, preflightResponse, withCors } from './cors.js';
import type { CorsOptions } from './cors.js';
import { DEFAULT_HOLD_MS, DEFAULT_INITIAL_LIMIT, DEFAULT_LINE_UPDATE_MS, DEFAULT_MAX_QUEUE, MAX_TIMER_MS, lineUpdateAfterMs } from './admission/defaults.js';
import { lineHintHeaders, lineRequestOf, MODEL_FALLBACK_HEADER, priorityOf } from './admission/hints.js';
import { createChainMemory } from './admission/chain-memory.js';
import { holdForClaude } from './admission/hold.js';
import type { Attempt } from './admission/hold.js';
import { CLIENT_CLOSED_REQUEST, errorResponse, overloadedResponse, shuttingDownResponse, userFullResponse } from './errors.js';
import type { ServerToolName } from './fields.js';
import { isStreamAnswer, relayAnswer, relayStream, upstreamErrorResponse } from './relay.js';
import { createPassthrough } from './passthrough.js';
import { routeOf } from './routes.js';
import type { ApiRoute, Route } from './routes.js';
import { SetupProblem, createSetupLog, notConfiguredResponse } from './setup.js';
import { cacheKeyOf, isCacheable } from './store/cache-key.js';
import { createMemoryStore } from './store/memory.js';
import { fromStored, resultOf, resultOfStream, toStored } from './store/answers.js';
import { consoleLogger, isRefusal } from './store/types.js';
import type { ClaudeStore, Permit, Refusal, StoreLogger, UpstreamResult } from './store/types.js';
import { createUpstream, forwardedOf } from './upstream.js';
import type { FetchLike, Forwarded } from './upstream.js';
import { validateMessagesRequest } from './validate.js';
import type { MessagesParams } from './validate.js';

export type { MessagesParams } from './validate.js';

export type { AuthorizeContext, CheckVerdict } from './app-checks.js';
export type { ApiRoute, ClaudeRoute } from './routes.js';

export interface ClaudeHandlerOptions {
  /** The Anthropic API key, sent upstream as `x-api-key` and never to the browser. Defaults to `ANTHROPIC_API_KEY`. */
  apiKey?: string;
  /** Claude's API, without `/v1`. Defaults to `ANTHROPIC_BASE_URL`, else https://api.anthropic.com. */
  baseURL?: string;
  /** The `fetch` for upstream calls, e.g. `simulator.fetch` for tests without a network. Defaults to the global fetch. */
  fetch?: FetchLike;
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
  /**
   * Server tools Claude may run for this app, by family (`'web_search'`, `'web_fetch'`, `'code_execution'`,
   * `'advisor'`, `'mcp_toolset'`), or `true` for all. They fetch the web, run code or call other models, at the app's
   * expense. Client tools (custom, bash, text_editor, computer, memory) and tool search always pass. Defaults to none.
   */
  allowServerTools?: readonly (ServerToolName | (string & {}))[] | boolean;
  /** Lets requests name MCP servers (`mcp_servers`) for Claude to connect to. Defaults to false. */
  allowMcpServers?: boolean;
  /** Lets requests choose a code-execution container (`container`). Defaults to false. */
  allowContainer?: boolean;
  /** Top-level fields to forward although the handler does not know them (newer than this version). Defaults to []. */
  allowFields?: readonly string[];
  /**
   * The app's own check of a request that passed the policy, e.g. per-user quotas. Return `true` or nothing to
   * allow, a string (or `false`) to answer 400 invalid_request_error with it, or a Response to answer with it. A
   * throw answers 500. Defaults to none.
   */
  check?: (params: MessagesParams, request: Request) => CheckVerdict | Promise<CheckVerdict>;
  /**
   * The largest request body accepted; larger ones get 413 request_too_large. Defaults to 32 MiB, what Claude's
   * Messages API takes (images and PDFs ride in the body as base64), so the handler never refuses what Claude accepts.
   */
  maxBodyBytes?: number;
  /**
   * How long the request body may take to arrive; a slower upload gets 408. At most 2^31 − 1 ms (a timer's limit);
   * Infinity sets no deadline. Defaults to 30 000 ms.
   */
  bodyTimeoutMs?: number;
  /** How deeply the request's JSON may nest; deeper gets 400. Defaults to 100. */
  maxJsonDepth?: number;
  /** The largest non-streamed answer held in memory; a larger one gets 502. Streams are never held. Defaults to 16 MiB. */
  maxAnswerBytes?: number;
  /**
   * Upstream calls (streams included, until they end) at once. Set, it is a ceiling the line never passes. Unset,
   * the default store's line starts at 32 and adapts to what Claude takes, without a ceiling.
   */
  maxConcurrency?: number;
  /** Requests waiting in line; one more gets 529 overloaded_error with retry-after and a ticket. Defaults to 1000. */
  maxQueue?: number;
  /**
   * Names the user a request is for, from the app's own auth (a session id from a cookie, a JWT's `sub`), so that one
   * user cannot fill the line: users take turns in it, each holds at most `maxPerUser` places, a ticket keeps a place
   * for its own user only, and the kit's line hints give a user its own place. Requests it returns undefined for
   * count as one user together. A throw answers 500. Defaults to none: one line, first come, first served (the
   * client's address is never used: behind a proxy, every user would share one).
   */
  userKey?: (request: Request) => string | undefined | Promise<string | undefined>;
  /**
   * With `userKey`: places one user may hold in line; one more of theirs gets a 429 rate_limit_error with
   * retry-after (this user is sending too much; Claude is not the one refusing), while other users still get places.
   * Defaults to a tenth of `maxQueue`.
   */
  maxPerUser?: number;
  /**
   * How long a request may wait in line, Claude's own 529s and rate-limit 429s included (the request goes back to
   * its place instead of back to the browser), before it gets a 529 whose retry-after says when its turn is expected.
   * Keep it under the platform's request time limit. 0 passes Claude's refusals through at once. At most 2^31 − 1 ms
   * (about 24.8 days, the longest a timer waits); Infinity is refused rather than read as "no limit": a request held
   * without bound would outlive any platform's request limit. Defaults to 25 000 ms.
   */
  holdMs?: number;
  /**
   * How long a request may wait for its first turn in line. At most 2^31 − 1 ms, as `holdMs`. Defaults to `holdMs`
   * (25 000 ms when that is 0).
   */
  queueTimeoutMs?: number;
  /**
   * The longest a request from the kit's own browser transport (it asks for the line's hints) is held before it gets
   * its 529 with its place in line, its expected turn and a ticket that keeps its place when it comes back: the
   * person then sees "You're in line — about 40 s" within seconds. Other clients (SDKs, curl) are held for `holdMs`:
   * they could show nothing better. `holdMs` and `queueTimeoutMs` still bound it. At most 2^31 − 1 ms, as `holdMs`.
   * Defaults to 8000 ms.
   */
  lineUpdateMs?: number;
  /**
   * A fallback chain the handler applies itself, for clients that have none (an SDK, curl): a request for a model in
   * `models` that has waited `afterMs` for its model while that model was overloaded (Claude turned calls away for
   * it: 529, rate limit) moves to the next model of the chain; the answer says so in
   * `x-claude-kit-model-fallback: <model used>`. The wait counts from the request's arrival, in line and in a closed
   * window too, and across the kit transport's returns with its ticket; it moves sooner by as much as its model's
   * recent answers take longer than the next one's (at most half of `afterMs`), so that no answer comes later than
   * the fallback's would. A call Claude has taken stays with its model. Every model must be in `models` (the
   * allowlist) when that is set. Only held requests move (`holdMs` > 0, not the job queue). Keep `afterMs` under
   * `holdMs`; it defaults to 15 000 ms (the browser's default). Defaults to no chain.
   */
  fallback?: { models: readonly string[]; afterMs?: number };
  /**
   * How long Claude's API may take to send the response headers of a stream (and of count_tokens); past it the
   * upstream call is aborted, its slot freed, and the client gets a retryable 504 timeout_error. At most 2^31 − 1 ms.
   * Defaults to 60 000 ms.
   */
  upstreamTimeoutMs?: number;
  /**
   * The longest silence inside a stream (Claude sends `ping` events while it thinks); past it the stream ends with a
   * retryable `event: error` (api_error) the kit's client resumes from, and the upstream call is aborted. At most
   * 2^31 − 1 ms. Defaults to 60 000 ms.
   */
  streamIdleTimeoutMs?: number;
  /**
   * How long a non-streamed answer may take, whole: Claude sends its headers only with the finished answer, so this
   * is the whole generation's time (a 4,000-token answer can take well over a minute). Past it: a retryable 504
   * timeout_error. At most 2^31 − 1 ms. Defaults to 600 000 ms, the official SDK's own timeout.
   */
  answerTimeoutMs?: number;
  /** `retry-after` (seconds) on the handler's own 529s when the store has no estimate. Defaults to 2. */
  shedRetryAfterSeconds?: number;
  /**
   * The app's own auth, run before the body is read, told which route the request is for (`'messages'`,
   * `'count_tokens'`, or one of `allowRoutes`). Only `true` or no return value allows; a Response answers
   * with it (see `errorResponse`, e.g. a 403 permission_error); anything else (`false`, null, a string…) answers 401
   * authentication_error, and a throw answers 500. Defaults to allowing every request.
   */
  authorize?: (request: Request, context: AuthorizeContext) => AuthorizeVerdict | Promise<AuthorizeVerdict>;
  /** Cross-origin access. Defaults to none: no CORS headers, and OPTIONS is answered 405. */
  cors?: CorsOptions;
  /**
   * Timers and time for the line (waits, closed windows, tickets) and the upload deadline. Defaults to the real
   * clock; `now` to Date.now.
   */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'> & Partial<Pick<Clock, 'now'>>;
  /**
   * Where the gate, the slots, the queue and the cache live. Defaults to `createMemoryStore()` (this process only);
   * `createRedisStore({ url })` shares them with every instance of the backend. A store serves one handler.
   */
  store?: ClaudeStore;
  /** Where setup mistakes, a throwing `authorize`, and the store's news are reported. Defaults to the console. */
  logger?: StoreLogger;
  /**
   * The rest of Claude's API to forward besides messages and count_tokens: `'models'` (GET …/v1/models and
   * …/v1/models/:id), `'batches'` (…/v1/messages/batches and below, results included) and `'files'` (…/v1/files and
   * below, upload and download). They get the server's key, `authorize` (told the route), CORS and the key's redaction,
   * never the line. Off by default: anyone who passes `authorize` could then create batches or upload files on the
   * app's key. Defaults to [] (those paths answer 404 naming this option).
   */
  allowRoutes?: readonly ApiRoute[];
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

/**
 * Where the forwarded headers ride along with a queued request's params (a job queue carries only JSON); taken off
 * again before the body is sent.
 */
const FORWARD = 'claude_kit_forward';

export function createClaudeHandler(options: ClaudeHandlerOptions = {}): ClaudeHandler {
  if (options.cors) assertCorsOptions(options.cors);
  assertDurations(options);
  assertUsers(options);
  const fallback = fallbackOf(options);
  // What the chain learns from every request: when each model refused, how long its answers take, tickets' arrivals.
  // Tickets' arrivals are kept for as many tickets as the store's lines keep (4 per place in line).
  const chainMemory = fallback && createChainMemory((options.maxQueue ?? DEFAULT_MAX_QUEUE) * 4);
  const upstream = createUpstream({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    fetch: options.fetch,
  });
  const store = options.store ?? createMemoryStore();
  const logger = options.logger ?? consoleLogger;
  const logSetup = createSetupLog(logger);
  const clock = options.clock ?? systemClock;
  const retryAfter = options.shedRetryAfterSeconds ?? 2;
  const maxAnswerBytes = options.maxAnswerBytes ?? 16 * MIB;
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? 32 * MIB,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
    maxJsonDepth: options.maxJsonDepth ?? 100,
    clock,
    models: options.models,
    defaultModel: options.defaultModel,
    defaultMaxTokens: options.defaultMaxTokens ?? 1024,
    maxTokensCap: options.maxTokensCap,
    maxTokensOverCap: options.maxTokensOverCap ?? 'reject',
    allowServerTools: options.allowServerTools ?? false,
    allowMcpServers: options.allowMcpServers ?? false,
    allowContainer: options.allowContainer ?? false,
    allowFields: options.allowFields ?? [],
  } as const;
  let shed = 0;
  const holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
  const waitMs = options.queueTimeoutMs ?? (holdMs > 0 ? holdMs : DEFAULT_HOLD_MS);
  const lineUpdateMs = options.lineUpdateMs ?? DEFAULT_LINE_UPDATE_MS;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
  const streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? 60_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 600_000;
  const now = () => clock.now?.() ?? Date.now();

  /** The store as one user's requests see it: every admission names the user. */
  const storeFor = (user: string): ClaudeStore => ({ ...store, admit: (signal, admit) => store.admit(signal, { ...admit, user }) });

  const notConfigured = (problem: SetupProblem): Response => {
    logSetup(problem);
    return notConfiguredResponse(problem);
  };

  /**
   * One upstream call answered whatever happens: a stream relayed as it comes (`streamed`, and `onStreamEnd` runs
   * when it ends, with what the line should learn from how it ended), anything else read whole.
   */
  async function send(
    forwarded: Forwarded,
    body: string,
    signal: AbortSignal,
    onStreamEnd?: (result: UpstreamResult) => void,
    streamAsked = false,
  ): Promise<{ response: Response; streamed: boolean; reachedClaude: boolean }> {
    // A non-streamed answer comes whole, headers and all, only once Claude has finished writing it: its deadline is
    // the whole answer's. A stream's headers come at once; after them, silence is what is timed (relayStream).
    const wholeAnswer = forwarded.route === 'messages' && !streamAsked;
    const limitMs = wholeAnswer ? answerTimeoutMs : upstreamTimeoutMs;
    // One controller for the upstream call, aborted by the client leaving or by the deadline: a listener costs under
    // a microsecond where AbortSignal.any cost about 13 (measured per call in process, issue 29's comparison).
    const upstreamCall = new AbortController();
    let late = false;
    const timer = clock.setTimeout(() => {
      late = true;
      upstreamCall.abort();
    }, limitMs);
    const onClientGone = () => upstreamCall.abort(signal.reason);
    if (signal.aborted) onClientGone();
    else signal.addEventListener('abort', onClientGone, { once: true });
    const upstreamSignal = upstreamCall.signal;
    const timedOut = () => late && !signal.aborted;
    const tooSlow = () => errorResponse(504, 'timeout_error', `Claude's API did not answer within ${Math.round(limitMs / 1000)} s.`, {
      headers: { 'x-should-retry': 'true' },
    });
    try {
      let sent: Response | SetupProblem;
      try {
        sent = await upstream.send(forwarded, body, upstreamSignal);
      } catch (error) {
        return { response: timedOut() ? tooSlow() : upstreamErrorResponse(error, signal), streamed: false, reachedClaude: true };
      }
      if (sent instanceof SetupProblem) return { response: notConfigured(sent), streamed: false, reachedClaude: false };
      if (onStreamEnd && isStreamAnswer(sent)) {
        clock.clearTimeout(timer);
        const status = sent.status;
        const relayed = relayStream(sent, {
          signal, secret: upstream.key(), idleTimeoutMs: streamIdleTimeoutMs, clock,
          onEnd: (claudeError) => onStreamEnd(resultOfStream(status, claudeError)),
        });
        return { response: relayed, streamed: true, reachedClaude: true };
      }
      const answer = await relayAnswer(sent, { secret: upstream.key(), maxAnswerBytes, signal });
      if (timedOut()) return { response: tooSlow(), streamed: false, reachedClaude: true };
      if (answer instanceof SetupProblem) return { response: notConfigured(answer), streamed: false, reachedClaude: false };
      return { response: answer, streamed: false, reachedClaude: true };
    } finally {
      clock.clearTimeout(timer);
      // A stream's relay watches the client itself from here on (it cancels the upstream read when the client leaves).
      signal.removeEventListener('abort', onClientGone);
    }
  }

  /**
   * One upstream call through a permit, not yet released: a non-streamed answer whole (so a 529 can send the request
   * back to its place in line), or a stream relayed as it comes, its slot given back after its last byte. A setup
   * mistake tells the line nothing about Claude.
   */
  async function attemptUpstream(forwarded: Forwarded, body: string, signal: AbortSignal, permit: Permit, streamAsked: boolean): Promise<Attempt<{ response: Response; streamed: boolean }>> {
    const { response, streamed, reachedClaude } = await send(forwarded, body, signal, (ended) => permit.release(ended), streamAsked);
    const result = streamed ? { status: response.status, pressure: false } : reachedClaude ? await resultOf(response) : undefined;
    return { response: { response, streamed }, result };
  }

  store.attach({
    maxConcurrency: options.maxConcurrency ?? DEFAULT_INITIAL_LIMIT,
    concurrencyCeiling: options.maxConcurrency,
    maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE,
    maxPerUser: options.maxPerUser,
    queueTimeoutMs: waitMs,
    clock,
    logger,
    run: async (queued, signal) => {
      const { [FORWARD]: forwarded, ...params } = queued;
      return toStored((await send(forwarded as Forwarded, JSON.stringify(params), signal)).response);
    },
  });

  /**
   * The handler's own 529; the kit's browser transport (which asked for hints) also hears its place in line. Its
   * wait ran out at `lineUpdateMs` to tell the person, not because its turn is far: it comes straight back with its
   * ticket (retry-after 1 s) and waits at its place again, instead of staying away while its turn may come.
   */
  function refused(refusal: Refusal, signal: AbortSignal, hints = false): Response {
    if (refusal.refused === 'aborted') return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    // The store closed under it: retryable, unless its client is gone anyway (nobody would retry it).
    if (refusal.refused === 'closing') return signal.aborted ? new Response(null, { status: CLIENT_CLOSED_REQUEST }) : shuttingDownResponse();
    shed += 1;
    if (refusal.refused === 'user-full') return userFullResponse(Math.max(1, Math.ceil((refusal.retryAfterMs ?? retryAfter * 1000) / 1000)));
    const seconds = hints && refusal.refused === 'timeout' ? 1
      : refusal.retryAfterMs === undefined ? retryAfter : Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
    const response = overloadedResponse(seconds, 'This server is handling as many Claude requests as it can. Please retry shortly.');
    for (const [name, value] of Object.entries(lineHintHeaders(refusal, hints))) response.headers.set(name, value);
    return response;
  }

  /** Cache, queue or direct call, in that order; streams only ever take the direct call. */
  async function answer(
    params: MessagesParams,
    body: string,
    forwarded: Forwarded,
    signal: AbortSignal,
    line: { hints: boolean; ticket?: string; priority?: 'interactive' | 'background'; user?: string } = { hints: false },
  ): Promise<{ response: Response; via?: string }> {
    const queued = { ...params, [FORWARD]: forwarded };
    const cacheKey = !params.stream && store.cache ? await cacheKeyOf(queued) : undefined;
    if (cacheKey !== undefined) {
      const hit = await store.cache?.get(cacheKey);
      if (hit) return { response: fromStored(hit, { 'x-claude-kit-cache': 'hit' }), via: store.name };
    }
    let response: Response;
    let via: string | undefined;
    if (!params.stream && store.enqueue) {
      const done = await store.enqueue(queued, signal);
      if ('refused' in done) return { response: refused(done, signal), via: done.via };
      response = fromStored(done.answer);
      via = done.via;
    } else {
      // Claude's 529s before the first byte send the request back to its place in line, up to `holdMs`.
      // The kit's transport hears its place in line sooner; the wait it did still counts (its ticket keeps the place).
      const updateMs = line.hints ? lineUpdateAfterMs(lineUpdateMs, line.ticket !== undefined) : Infinity;
      const deadlineAt = now() + Math.min(Math.max(holdMs, waitMs), updateMs);
      // A fallback model gets the same request with only its model changed.
      const bodyFor = (model: string | undefined) =>
        (model === undefined || model === params.model ? body : JSON.stringify({ ...params, model }));
      const held = await holdForClaude(line.user === undefined ? store : storeFor(line.user), signal, (permit, model) => attemptUpstream(forwarded, bodyFor(model), signal, permit, params.stream === true), {
        deadlineAt, requeue: holdMs > 0, ticket: line.ticket, model: params.model, priority: line.priority,
        fallback: fallback && { ...fallback, now, memory: chainMemory },
      });
      if (isRefusal(held)) return { response: refused(held, signal, line.hints), via: held.via };
      const { permit, result, response: answered } = held;
      if (!answered.streamed) await permit.release(result);
      response = answered.response;
      if (held.model !== undefined && held.model !== params.model) response.headers.set(MODEL_FALLBACK_HEADER, held.model);
      via = permit.via;
    }
    // A fallback model's answer is not the answer to the request as asked: never cached under its key.
    if (cacheKey !== undefined && !isStreamAnswer(response) && !response.headers.has(MODEL_FALLBACK_HEADER)) {
      const stored = await toStored(response.clone());
      if (isCacheable(stored)) await store.cache?.set(cacheKey, stored);
    }
    return { response, via };
  }

  const passthrough = createPassthrough({
    allowRoutes: options.allowRoutes, upstream, maxAnswerBytes, authorize: options.authorize, logger, notConfigured,
    isClosed: () => store.isClosed?.() ?? false,
  });

  async function handle(request: Request): Promise<Response> {
    if (request.method === 'OPTIONS' && options.cors) return preflightResponse(request, options.cors, passthrough.preflightMethods(request.url));
    const route: Route | 'not_found' = routeOf(request.url);
    // Any other /v1/… path: models, batches and files when the app allows them, else a 404 that names the option.
    if (route === 'not_found') return passthrough.handle(request);
    if (request.method !== 'POST') {
      const allow = options.cors ? 'POST, OPTIONS' : 'POST';
      return errorResponse(405, 'invalid_request_error', `Method ${request.method} is not allowed here; send POST.`, { headers: { allow } });
    }
    // The app is shutting down: another instance answers; nothing more is sent to Claude from here.
    if (store.isClosed?.()) return shuttingDownResponse();
    const refusal = await authorized(options.authorize, request, logger, { route });
    if (refusal) return refusal;
    const valid = await validateMessagesRequest(request, route, limits);
    if (!valid.ok) return 'setup' in valid ? notConfigured(valid.setup) : errorResponse(valid.status, valid.type, valid.message);
    const own = await checked(options.check, valid.params, request, logger);
    if (own) return own;
    const user = await userOf(options.userKey, request, logger);
    if (user instanceof Response) return user;

    const forwarded = forwardedOf(request, route);
    // Counting tokens is free and bills nothing: it skips the gate, the queue and the cache.
    if (route === 'count_tokens') return (await send(forwarded, valid.body, request.signal)).response;
    const { response, via } = await answer(valid.params, valid.body, forwarded, request.signal, {
      ...lineRequestOf(request), priority: priorityOf(request), user,
    });
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
    } catch (error) {
      // A bug: say so in Anthropic's shape, without details that could leak secrets; the server log has them.
      logger.warn('Unexpected error in the Claude handler.', error);
      return withCors(errorResponse(500, 'api_error', 'Unexpected error in the Claude handler.'), cors);
    }
  };
  return Object.assign(handler, {
    stats: (): ClaudeHandlerStats => {
      // Per-model figures stay on `store.stats()`: the handler's totals keep their shape.
      const { models: _perModel, ...totals } = store.stats();
      return { ...totals, shed };
    },
  });
}

/**
 * The waits the handler sets timers for, checked once: setTimeout fires at once past MAX_TIMER_MS (and for NaN), so
 * such a value would time out every request at once instead of failing where the mistake is.
 */
function assertDurations(options: ClaudeHandlerOptions): void {
  const { holdMs, queueTimeoutMs, lineUpdateMs, bodyTimeoutMs, upstreamTimeoutMs, streamIdleTimeoutMs, answerTimeoutMs } = options;
  const durations = { holdMs, queueTimeoutMs, lineUpdateMs, bodyTimeoutMs, upstreamTimeoutMs, streamIdleTimeoutMs, answerTimeoutMs };
  // A deadline of 0 would end every call before it started.
  const deadlines = new Set(['upstreamTimeoutMs', 'streamIdleTimeoutMs', 'answerTimeoutMs']);
  for (const [name, value] of Object.entries(durations)) {
    if (value === undefined || (name === 'bodyTimeoutMs' && value === Infinity)) continue;
    const least = deadlines.has(name) ? 1 : 0;
    if (typeof value !== 'number' || !(value >= least && value <= MAX_TIMER_MS)) {
      const infinity = name === 'bodyTimeoutMs' ? ', or Infinity for no deadline' : '';
      throw new TypeError(`${name}: a number of milliseconds from ${least} to ${MAX_TIMER_MS} (about 24.8 days, the longest a timer waits)${infinity}; got ${String(value)}.`);
    }
  }
}

/** `userKey` and `maxPerUser`, checked once: a typo should fail at startup, not turn every request away. */
function assertUsers({ userKey, maxPerUser }: ClaudeHandlerOptions): void {
  if (userKey !== undefined && typeof userKey !== 'function') {
    throw new TypeError(`userKey: a function (request) => string | undefined naming the user of a request; got ${typeof userKey}.`);
  }
  if (maxPerUser !== undefined && !(Number.isInteger(maxPerUser) && maxPerUser >= 1)) {
    throw new TypeError(`maxPerUser: a whole number ≥ 1 of places one user may hold in line; got ${String(maxPerUser)}.`);
  }
}

/** The handler's chain, checked once: a typo in it should fail at startup, not on the first overload. */
function fallbackOf(options: ClaudeHandlerOptions): { models: readonly string[]; afterMs: number } | undefined {
  const chain = options.fallback;
  if (chain === undefined) return undefined;
  if (!Array.isArray(chain.models) || chain.models.length < 2 || chain.models.some((m) => typeof m !== 'string' || m === '')) {
    throw new TypeError('fallback.models: list at least two model names, the first one preferred.');
  }
  const outside = options.models ? chain.models.filter((m) => !options.models!.includes(m)) : [];
  if (outside.length > 0) {
    throw new TypeError(`fallback.models: ${outside.join(', ')} not in the handler's \`models\`; a chain only moves requests within the allowlist.`);
  }
  const afterMs = chain.afterMs ?? 15_000;
  if (!Number.isFinite(afterMs) || afterMs < 0) throw new TypeError('fallback.afterMs: a number of milliseconds ≥ 0.');
  return { models: [...chain.models], afterMs };
}
