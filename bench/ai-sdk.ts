/**
 * The Vercel AI SDK stack (issue 28): `useChat` in the browser, a route whose `streamText` calls Claude through
 * `@ai-sdk/anthropic`. Two rows: the stack at its defaults end to end, and the same stack with the kit in it
 * (`createClaudeFetch` under `createAnthropic({ fetch })`, `createClaudeChatTransport` under `useChat`).
 *
 * What both share, read from `ai` 7.0.173 / `@ai-sdk/anthropic` 4.0.105 / `@ai-sdk/react` 4.0.177:
 * - The route answers 200 at once (`createUIMessageStreamResponse`) and streams; whatever `streamText` meets later
 *   becomes an `error` part in that stream. `useChat` (`DefaultChatTransport`) does not retry: the person sees
 *   `error`. So the browser sends one request per message, and a failure of the route's call is final.
 * - `streamText` retries with `prepareRetries` (ai/src/util/prepare-retries.ts:44, `maxRetries` defaults to 2) →
 *   `retryWithExponentialBackoffRespectingRetryHeaders` (ai/src/util/retry-with-exponential-backoff.ts:65-96:
 *   `initialDelayInMs = 2000`, `backoffFactor = 2`) → `retryWithExponentialBackoff`
 *   (@ai-sdk/provider-utils/src/retry-with-exponential-backoff.ts:86-131: the delay is `delayInMs`, multiplied by the
 *   factor after each retry, no jitter; "Failed after 3 attempts" once `maxRetries` is spent).
 * - Which failures it retries: `APICallError.isRetryable` (@ai-sdk/provider/src/errors/api-call-error.ts:28-32):
 *   408, 409, 429 and every status ≥ 500, so Claude's 529 too; `x-should-retry` is not read.
 * - retry-after: `getRetryDelayInMs` (ai/src/util/retry-with-exponential-backoff.ts:10-58) takes `retry-after-ms`,
 *   else `retry-after` (seconds or a date), when it is ≥ 0 and under 60 s or under the backoff; else the backoff.
 * - An overload inside a stream that has started (HTTP 200, then `event: error`) is not retried: `streamRetries`
 *   defaults to 0 (ai/src/generate-text/stream-text.ts:2205-2210), and `retry` wraps only the call up to its response
 *   (stream-text.ts:2716-2721).
 */
import { ClaudeError, toClaudeError } from '../src/core/failure.js';
import { createMemoryStore } from '../src/server/store/memory.js';
import { DEFAULT_HOLD_MS, DEFAULT_INITIAL_LIMIT, DEFAULT_LINE_UPDATE_MS, DEFAULT_MAX_QUEUE, lineUpdateAfterMs } from '../src/server/admission/defaults.js';
import { callBackend, type KitOptions, type Layout, type Place } from './kit.js';
import type { SimulatedClaude } from './claude.js';
import { peer, type CallTrace, type Strategy } from './strategies.js';
import { abortedError, pause, type VirtualClock } from './virtual-clock.js';

/** ai/src/util/retry-with-exponential-backoff.ts:66-68 and prepare-retries.ts:15. */
export const AI_SDK_MAX_RETRIES = 2;
export const AI_SDK_INITIAL_DELAY_MS = 2000;
export const AI_SDK_BACKOFF_FACTOR = 2;
/** ai/src/util/retry-with-exponential-backoff.ts:52: a retry-after from 60 s up is ignored unless under the backoff. */
const AI_SDK_MAX_RETRY_AFTER_MS = 60_000;

/** src/ai-sdk/claude-fetch.ts: a line's 529 sooner than this came at once, and the fetch stays away its retry-after. */
const AT_ONCE_MS = 250;
/** src/ai-sdk/claude-fetch.ts: `maxWaitMs` defaults to 4 min. */
const DEFAULT_MAX_WAIT_MS = 240_000;



/** The AI SDK's delay before retry number `retry` (0-based) after `failure` (getRetryDelayInMs). */
export function aiSdkDelayMs(retry: number, failure: ClaudeError): number {
  const backoff = AI_SDK_INITIAL_DELAY_MS * AI_SDK_BACKOFF_FACTOR ** retry;
  const header = failure.retryAfterMs;
  return header !== undefined && header >= 0 && (header < AI_SDK_MAX_RETRY_AFTER_MS || header < backoff) ? header : backoff;
}

/** APICallError.isRetryable: 408, 409, 429, ≥ 500; never a stream that broke after its 200. */
function aiSdkRetries(failure: ClaudeError): boolean {
  if (failure.midStream) return false;
  const status = failure.status;
  return status !== undefined && (status === 408 || status === 409 || status === 429 || status >= 500);
}

/**
 * `ai-sdk-usechat`: the stack at its defaults end to end. One browser request per message; the route's `streamText`
 * makes up to three calls (2 s, then 4 s apart), and the person sees `error` when they fail.
 */
export const aiSdkUseChat: Strategy = peer('ai-sdk-usechat', AI_SDK_MAX_RETRIES, aiSdkDelayMs, { retries: aiSdkRetries, viaBackend: true });

export interface KitAiSdkOptions extends KitOptions {
  /** `createClaudeFetch({ maxWaitMs })`. Defaults to the fetch's 240 000 ms. */
  maxWaitMs?: number;
  /** The route's `streamText({ maxRetries })`. Defaults to 0, as docs/ai-sdk.md tells routes to set it. */
  maxRetries?: number;
}

/**
 * One `streamText` call through `createClaudeFetch` (src/ai-sdk/claude-fetch.ts, `waitInLine`): each pass is one call
 * of the handler in process, asking for the line's hints (a ticket, `new` at first), so the handler holds it a
 * second on its first pass and `lineUpdateMs` on its returns (lineUpdateAfterMs). On the line's 529 the fetch goes
 * straight back with its ticket, or stays away the 529's retry-after when it came at once; after `maxWaitMs` it hands
 * the AI SDK that 529. An overload inside a stream reaches `streamText` as an error part: the request fails.
 */
async function claudeFetch(store: Parameters<typeof callBackend>[0], claude: SimulatedClaude, serviceMs: number,
  signal: AbortSignal, clock: VirtualClock, options: KitAiSdkOptions, returnMs: number, trace?: CallTrace): Promise<void> {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const startedAt = clock.now();
  const place: Place = {};
  for (;;) {
    const askedAt = clock.now();
    const updateMs = lineUpdateAfterMs(options.lineUpdateMs ?? DEFAULT_LINE_UPDATE_MS, place.ticket !== undefined);
    const holdMs = Math.min(options.holdMs ?? DEFAULT_HOLD_MS, updateMs);
    try {
      return await callBackend(store, claude, serviceMs, signal, clock, place, holdMs, returnMs, { trace, streamBreaks: 'fail' });
    } catch (error) {
      // Only the line's own 529 (it carries a ticket) keeps the call here; anything else is the AI SDK's to handle.
      if (!(error instanceof ClaudeError) || error.line === undefined || signal.aborted) throw error;
      const waitedMs = clock.now() - startedAt;
      if (waitedMs >= maxWaitMs) throw error;
      if (clock.now() - askedAt < AT_ONCE_MS) {
        // The header says whole seconds (src/server/handler.ts, refused).
        const retryAfterMs = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)) * 1000;
        await pause(clock, Math.min(retryAfterMs, maxWaitMs - waitedMs), signal);
      }
    }
  }
}

/**
 * The same stack with the kit in it, as docs/ai-sdk.md sets it up: `createClaudeFetch` (the handler's line in
 * process, its default options) under `streamText({ maxRetries: 0 })`, `createClaudeChatTransport` under `useChat`.
 * The route answers 200 at once, so the transport's retryer never sees an HTTP error here; the `data-claude-wait`
 * parts feed the banner and change no timing. One browser request per message.
 */
export function kitAiSdk(layout: (apps: number) => Layout, options: KitAiSdkOptions = {}): Strategy {
  const maxRetries = options.maxRetries ?? 0;
  return {
    name: options.name ?? 'claude-overload-kit (ai-sdk useChat)',
    viaBackend: true,
    setup(clock, claude, run) {
      const { stores: count, storeOf } = layout(run.scenario.apps);
      const stores = Array.from({ length: count }, () => {
        const store = createMemoryStore({ line: options.line });
        store.attach({
          maxConcurrency: DEFAULT_INITIAL_LIMIT, maxQueue: DEFAULT_MAX_QUEUE, queueTimeoutMs: DEFAULT_HOLD_MS, clock,
          logger: { warn: () => {} }, run: () => Promise.reject(new Error('no job queue in the bench')),
        });
        return store;
      });
      return async (app, serviceMs, signal, trace) => {
        run.browserRequests += 1;
        const store = stores[storeOf(app)]!;
        for (let retry = 0; ; retry++) {
          try {
            return await claudeFetch(store, claude, serviceMs, signal, clock, options, run.scenario.returnMs, trace);
          } catch (thrown) {
            const failure = toClaudeError(thrown);
            if (signal.aborted || !aiSdkRetries(failure) || retry >= maxRetries) throw failure;
            await pause(clock, aiSdkDelayMs(retry, failure), signal);
          }
        }
      };
    },
  };
}
