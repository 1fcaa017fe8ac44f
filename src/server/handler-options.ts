/**
 * `createClaudeHandler`'s options, and their defaults in one object (`HANDLER_DEFAULTS`): the handler resolves what it
 * was given against it once, when it is created, so no default is written twice and a docs page can be checked
 * against one place (test/docs/option-defaults.test.ts).
 */
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import type { AuthorizeContext, AuthorizeVerdict, CheckVerdict } from './app-checks.js';
import { assertCorsOptions } from './cors.js';
import type { CorsOptions } from './cors.js';
import { DEFAULT_HOLD_MS, DEFAULT_INITIAL_LIMIT, DEFAULT_LINE_UPDATE_MS, DEFAULT_MAX_QUEUE, MAX_TIMER_MS } from './admission/defaults.js';
import type { ServerToolName } from './fields.js';
import type { ApiRoute } from './routes.js';
import { createMemoryStore } from './store/memory.js';
import { consoleLogger } from './store/types.js';
import type { ClaudeStore, StoreLogger } from './store/types.js';
import type { FetchLike } from './upstream.js';
import type { MessagesParams } from './validate.js';

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
   * On the Redis store the places are the fleet's: every instance's requests (and queued jobs) of the user together.
   * Defaults to a tenth of `maxQueue`.
   */
  maxPerUser?: number;
  /**
   * How long a request may wait in line, Claude's own 529s included (the request goes back to its place instead of
   * back to the browser), before it gets a 529 whose retry-after says when its turn is expected.
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
   * Hold Claude's rate limits in the line too. Without it only Claude's 529 waits in the line, and a 429 reaches the
   * client at once with its `retry-after`. With it, a 429 whose `retry-after` ends within what is left of the hold
   * waits that long at its place and is tried again; one that does not fit (or the last one, when the hold runs out)
   * is passed on as the 429 it is, with its `retry-after`: never turned into a 529. The spend-limit 429 is never held.
   * Defaults to false.
   */
  holdRateLimits?: boolean;
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

const MIB = 1024 * 1024;

/** The handler's defaults, each with why it is what it is ([front-door.md](../../docs/front-door.md) says more). */
export const HANDLER_DEFAULTS = {
  /** A request without max_tokens gets this much room (lowered to `maxTokensCap`). */
  defaultMaxTokens: 1024,
  /** Over the cap, a developer sees why at once rather than a silently shorter answer. */
  maxTokensOverCap: 'reject',
  /** Server tools, MCP servers and containers make Claude act and spend beyond the app's intent: off until asked. */
  allowServerTools: false,
  allowMcpServers: false,
  allowContainer: false,
  allowFields: [] as readonly string[],
  allowRoutes: [] as readonly ApiRoute[],
  /** Claude's Messages API takes 32 MB, images and PDFs as base64 in the body: in MiB, never below Claude's. */
  maxBodyBytes: 32 * MIB,
  /** An upload that trickles holds a connection and up to `maxBodyBytes`; 32 MiB in 30 s is about 9 Mbit/s. */
  bodyTimeoutMs: 30_000,
  /** A real Messages request nests under 15 deep; `JSON.parse` recurses. */
  maxJsonDepth: 100,
  /** A non-streamed answer is read whole; Claude's longest are a few MB. Streams are never held. */
  maxAnswerBytes: 16 * MIB,
  /** Unset `maxConcurrency`: the line starts here and adapts, under a ceiling only while it recovers (limit.ts). */
  initialConcurrency: DEFAULT_INITIAL_LIMIT,
  /** A waiting request costs a few KiB: 1000 of them a few MiB; a longer line is better told to come back. */
  maxQueue: DEFAULT_MAX_QUEUE,
  /** Under the common serverless request limits (30 s on many hosts). */
  holdMs: DEFAULT_HOLD_MS,
  /** The kit's transport hears its place in line this often on its returns. */
  lineUpdateMs: DEFAULT_LINE_UPDATE_MS,
  /** Only Claude's 529 waits in the line: a 429 is the app's own, passed on at once unless the app asks. */
  holdRateLimits: false,
  /** The fallback chain's `afterMs`: the browser's default (src/core/fallback.ts), so both sides move alike. */
  fallbackAfterMs: 15_000,
  /** Claude sends a stream's headers at once; a minute of nothing is an upstream that hangs. */
  upstreamTimeoutMs: 60_000,
  /** Claude sends `ping` events while it thinks: a minute of silence is a stream that stopped. */
  streamIdleTimeoutMs: 60_000,
  /** The whole of a non-streamed generation; the official SDK's own timeout. */
  answerTimeoutMs: 600_000,
  /** `retry-after` of the handler's own 529 when the store has no estimate of the turn. */
  shedRetryAfterSeconds: 2,
} as const;

/** The options with every default filled in, checked once when the handler is created. */
export interface ResolvedHandlerOptions {
  apiKey?: string;
  baseURL?: string;
  fetch?: FetchLike;
  limits: {
    maxBodyBytes: number;
    bodyTimeoutMs: number;
    maxJsonDepth: number;
    clock: NonNullable<ClaudeHandlerOptions['clock']>;
    models?: readonly string[];
    defaultModel?: string;
    defaultMaxTokens: number;
    maxTokensCap?: number;
    maxTokensOverCap: 'reject' | 'clamp';
    allowServerTools: NonNullable<ClaudeHandlerOptions['allowServerTools']>;
    allowMcpServers: boolean;
    allowContainer: boolean;
    allowFields: readonly string[];
  };
  maxAnswerBytes: number;
  maxConcurrency: number;
  /** Set when the app chose `maxConcurrency`: a ceiling the line never passes. */
  concurrencyCeiling?: number;
  maxQueue: number;
  /** Unset: the store's line takes a tenth of `maxQueue`. */
  maxPerUser?: number;
  userKey?: ClaudeHandlerOptions['userKey'];
  holdMs: number;
  /** How long a request may wait for its first turn (`queueTimeoutMs`). */
  waitMs: number;
  lineUpdateMs: number;
  holdRateLimits: boolean;
  fallback?: { models: readonly string[]; afterMs: number };
  upstreamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  answerTimeoutMs: number;
  shedRetryAfterSeconds: number;
  allowRoutes: readonly ApiRoute[];
  clock: NonNullable<ClaudeHandlerOptions['clock']>;
  store: ClaudeStore;
  logger: StoreLogger;
}

/** Fills in `HANDLER_DEFAULTS` and checks what would otherwise fail late (durations, CORS, the chain). */
export function resolveHandlerOptions(options: ClaudeHandlerOptions): ResolvedHandlerOptions {
  if (options.cors) assertCorsOptions(options.cors);
  assertDurations(options);
  assertUsers(options);
  const d = HANDLER_DEFAULTS;
  const clock = options.clock ?? systemClock;
  const holdMs = options.holdMs ?? d.holdMs;
  return {
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    fetch: options.fetch,
    limits: {
      maxBodyBytes: options.maxBodyBytes ?? d.maxBodyBytes,
      bodyTimeoutMs: options.bodyTimeoutMs ?? d.bodyTimeoutMs,
      maxJsonDepth: options.maxJsonDepth ?? d.maxJsonDepth,
      clock,
      models: options.models,
      defaultModel: options.defaultModel,
      defaultMaxTokens: options.defaultMaxTokens ?? d.defaultMaxTokens,
      maxTokensCap: options.maxTokensCap,
      maxTokensOverCap: options.maxTokensOverCap ?? d.maxTokensOverCap,
      allowServerTools: options.allowServerTools ?? d.allowServerTools,
      allowMcpServers: options.allowMcpServers ?? d.allowMcpServers,
      allowContainer: options.allowContainer ?? d.allowContainer,
      allowFields: options.allowFields ?? d.allowFields,
    },
    maxAnswerBytes: options.maxAnswerBytes ?? d.maxAnswerBytes,
    maxConcurrency: options.maxConcurrency ?? d.initialConcurrency,
    concurrencyCeiling: options.maxConcurrency,
    maxQueue: options.maxQueue ?? d.maxQueue,
    maxPerUser: options.maxPerUser,
    userKey: options.userKey,
    holdMs,
    // With no hold (0), the first turn is still waited for, as long as the default hold.
    waitMs: options.queueTimeoutMs ?? (holdMs > 0 ? holdMs : d.holdMs),
    lineUpdateMs: options.lineUpdateMs ?? d.lineUpdateMs,
    holdRateLimits: options.holdRateLimits ?? d.holdRateLimits,
    fallback: fallbackOf(options),
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? d.upstreamTimeoutMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? d.streamIdleTimeoutMs,
    answerTimeoutMs: options.answerTimeoutMs ?? d.answerTimeoutMs,
    shedRetryAfterSeconds: options.shedRetryAfterSeconds ?? d.shedRetryAfterSeconds,
    allowRoutes: options.allowRoutes ?? d.allowRoutes,
    clock,
    store: options.store ?? createMemoryStore(),
    logger: options.logger ?? consoleLogger,
  };
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
  const afterMs = chain.afterMs ?? HANDLER_DEFAULTS.fallbackAfterMs;
  if (!Number.isFinite(afterMs) || afterMs < 0) throw new TypeError('fallback.afterMs: a number of milliseconds ≥ 0.');
  return { models: [...chain.models], afterMs };
}
