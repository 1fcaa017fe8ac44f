/**
 * createClaudeHandler: a Fetch-API handler (Next.js route handlers, Hono, Remix, Bun, Deno, Cloudflare Workers; Node
 * through an adapter) that applies the app's policy to a browser's Messages request, forwards it to Claude as the
 * client sent it, and passes Claude's answer back as Claude sent it, so the browser (or any Claude SDK pointed at the
 * mount) can tell a 529 from a 500 and time its own retries.
 */
import { authorized, checked, userOf } from './app-checks.js';
import { corsHeaders, preflightResponse, withCors } from './cors.js';
import { lineUpdateAfterMs } from './admission/defaults.js';
import { lineHintHeaders, lineRequestOf, MODEL_FALLBACK_HEADER, priorityOf } from './admission/hints.js';
import { createChainMemory } from './admission/chain-memory.js';
import { holdForClaude } from './admission/hold.js';
import type { Attempt } from './admission/hold.js';
import { CLIENT_CLOSED_REQUEST, errorResponse, overloadedResponse, shuttingDownResponse, userFullResponse } from './errors.js';
import { resolveHandlerOptions } from './handler-options.js';
import type { ClaudeHandlerOptions } from './handler-options.js';
import { isStreamAnswer, prepareStreamRelay, relayAnswer, upstreamErrorResponse } from './relay.js';
import { createPassthrough } from './passthrough.js';
import { routeOf } from './routes.js';
import type { Route } from './routes.js';
import { SetupProblem, createSetupLog, notConfiguredResponse } from './setup.js';
import { cacheKeyOf, isCacheable } from './store/cache-key.js';
import { fromStored, outcomeOf, outcomeOfHeaders, outcomeOfStream, toStored } from './store/answers.js';
import { isRefusal } from './store/types.js';
import type { ClaudeStore, Permit, Refusal, Outcome } from './store/types.js';
import { createUpstream, forwardedOf } from './upstream.js';
import type { Forwarded } from './upstream.js';
import { validateMessagesRequest } from './validate.js';
import type { MessagesParams } from './validate.js';

export type { MessagesParams } from './validate.js';
export type { ClaudeHandlerOptions } from './handler-options.js';

export type { AuthorizeContext, CheckVerdict } from './app-checks.js';
export type { ApiRoute, ClaudeRoute } from './routes.js';

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

/**
 * Where the forwarded headers ride along with a queued request's params (a job queue carries only JSON); taken off
 * again before the body is sent.
 */
const FORWARD = 'claude_kit_forward';

/** What a request says about its place in line: whether it wants hints, its ticket, its lane, its user. */
interface LineRequest {
  hints: boolean;
  ticket?: string;
  priority?: 'interactive' | 'background';
  user?: string;
}

export function createClaudeHandler(options: ClaudeHandlerOptions = {}): ClaudeHandler {
  const resolved = resolveHandlerOptions(options);
  const {
    limits, maxAnswerBytes, holdMs, waitMs, lineUpdateMs, holdRateLimits, fallback, upstreamTimeoutMs, streamIdleTimeoutMs,
    answerTimeoutMs, shedRetryAfterSeconds: retryAfter, clock, store, logger,
  } = resolved;
  // What the chain learns from every request: when each model refused, how long its answers take, tickets' arrivals.
  // Tickets' arrivals are kept for as many tickets as the store's lines keep (4 per place in line).
  const chainMemory = fallback && createChainMemory(resolved.maxQueue * 4);
  const upstream = createUpstream({ apiKey: resolved.apiKey, baseURL: resolved.baseURL, fetch: resolved.fetch });
  const logSetup = createSetupLog(logger);
  let shed = 0;
  const now = () => clock.now?.() ?? Date.now();

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
    onStreamEnd?: (outcome: Outcome) => void,
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
    // A stream's relay is made while Claude thinks (once the request is on its way: the next turn of the event loop),
    // so that making it (its body stream alone costs 10–20 µs in Node 20) does not delay the first token.
    let status = 0;
    const prepare = () => prepareStreamRelay({
      signal, secret: upstream.key(), idleTimeoutMs: streamIdleTimeoutMs, clock,
      onEnd: (claudeError) => onStreamEnd?.(outcomeOfStream(status, claudeError)),
    });
    let relay: ReturnType<typeof prepareStreamRelay> | undefined;
    let early: ReturnType<typeof setImmediate> | undefined;
    try {
      let sent: Response | SetupProblem;
      try {
        const sending = upstream.send(forwarded, body, upstreamSignal);
        if (onStreamEnd && streamAsked && typeof setImmediate === 'function') early = setImmediate(() => (relay = prepare()));
        sent = await sending;
      } catch (error) {
        return { response: timedOut() ? tooSlow() : upstreamErrorResponse(error, signal), streamed: false, reachedClaude: true };
      }
      if (sent instanceof SetupProblem) return { response: notConfigured(sent), streamed: false, reachedClaude: false };
      if (onStreamEnd && isStreamAnswer(sent)) {
        clock.clearTimeout(timer);
        status = sent.status;
        return { response: (relay ?? prepare())(sent), streamed: true, reachedClaude: true };
      }
      const answer = await relayAnswer(sent, { secret: upstream.key(), maxAnswerBytes, signal });
      if (timedOut()) return { response: tooSlow(), streamed: false, reachedClaude: true };
      if (answer instanceof SetupProblem) return { response: notConfigured(answer), streamed: false, reachedClaude: false };
      return { response: answer, streamed: false, reachedClaude: true };
    } finally {
      if (early !== undefined) clearImmediate(early);
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
    // Only a 429's body is read (a clone) to tell the spend limit from a rate limit: anything else is told by its
    // status and headers, with no step of its own.
    const outcome = streamed ? { status: response.status, pressure: false }
      : !reachedClaude ? undefined
      : response.status === 429 ? await outcomeOf(response) : outcomeOfHeaders(response);
    return { response: { response, streamed }, outcome };
  }

  store.attach({
    maxConcurrency: resolved.maxConcurrency,
    concurrencyCeiling: resolved.concurrencyCeiling,
    maxQueue: resolved.maxQueue,
    maxPerUser: resolved.maxPerUser,
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

  /** The store as one user's requests see it: every admission names the user. */
  const storeFor = (user: string): ClaudeStore => ({ ...store, admit: (signal, admit) => store.admit(signal, { ...admit, user }) });

  /** Cache, queue or direct call, in that order; streams only ever take the direct call. */
  async function answer(
    params: MessagesParams,
    body: string,
    forwarded: Forwarded,
    signal: AbortSignal,
    line: LineRequest = { hints: false },
  ): Promise<{ response: Response; via?: string }> {
    // What a cache key or a job queue needs: the params with the forwarded headers. A copy, made only for them.
    const queued = () => ({ ...params, [FORWARD]: forwarded });
    const cacheKey = !params.stream && store.cache ? await cacheKeyOf(queued()) : undefined;
    if (cacheKey !== undefined) {
      const hit = await store.cache?.get(cacheKey);
      if (hit) return { response: fromStored(hit, { 'x-claude-kit-cache': 'hit' }), via: store.name };
    }
    let response: Response;
    let via: string | undefined;
    if (!params.stream && store.enqueue) {
      const done = await store.enqueue(queued(), signal, { user: line.user });
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
        fallback: fallback && { ...fallback, now, memory: chainMemory }, holdRateLimits, clock,
      });
      if (isRefusal(held)) return { response: refused(held, signal, line.hints), via: held.via };
      const { permit, outcome, response: answered } = held;
      if (!answered.streamed) await permit.release(outcome);
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
    allowRoutes: resolved.allowRoutes, upstream, maxAnswerBytes, authorize: options.authorize, logger, notConfigured,
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
    // The app's hooks are awaited only where the app gave them: each await is a step of its own for every request.
    const refusal = options.authorize && await authorized(options.authorize, request, logger, { route });
    if (refusal) return refusal;
    const valid = await validateMessagesRequest(request, route, limits);
    if (!valid.ok) return 'setup' in valid ? notConfigured(valid.setup) : errorResponse(valid.status, valid.type, valid.message);
    const own = options.check && await checked(options.check, valid.params, request, logger);
    if (own) return own;
    const user = resolved.userKey && await userOf(resolved.userKey, request, logger);
    if (user instanceof Response) return user;

    const forwarded = forwardedOf(request, route);
    // Counting tokens is free and bills nothing: it skips the gate, the queue and the cache.
    if (route === 'count_tokens') return (await send(forwarded, valid.body, request.signal)).response;
    const line: LineRequest = lineRequestOf(request);
    line.priority = priorityOf(request);
    line.user = user;
    const { response, via } = await answer(valid.params, valid.body, forwarded, request.signal, line);
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
