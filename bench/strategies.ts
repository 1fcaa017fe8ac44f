import { ClaudeError, toClaudeError } from '../src/core/failure.js';
import { createGate, type GateOptions } from '../src/core/gate.js';
import { createRetryPolicy, type RetryPolicyOptions } from '../src/core/policy.js';
import { createRetryer } from '../src/core/retryer.js';
import type { SimulatedClaude } from './claude.js';
import type { Scenario } from './scenario.js';
import { abortedError, pause, type VirtualClock } from './virtual-clock.js';

/** Told of each call one request sends to Claude, just before it leaves (the recovery-lag figure, bench/recovery.ts). */
export interface CallTrace {
  sent(): void;
}

/**
 * Answers one request of one app; rejects when it gives up or when `signal` (the person's patience) aborts. A strategy
 * that calls `trace.sent()` as each of the request's calls leaves gets a recovery-lag figure.
 */
export type Answer = (app: number, serviceMs: number, signal: AbortSignal, trace?: CallTrace) => Promise<void>;

/** What one run shares with its strategy: the scenario, and a counter of browser→backend requests. */
export interface RunContext {
  scenario: Scenario;
  browserRequests: number;
}

export interface Strategy {
  name: string;
  /** Fresh per-run state (gates, caches) for a run on `clock` against `claude`. */
  setup(clock: VirtualClock, claude: SimulatedClaude, run: RunContext): Answer;
  /** Browsers call the app's backend, which calls Claude: the report also counts browser→backend requests. */
  viaBackend?: boolean;
}



/** A per-request attempt loop, the way the client libraries do it: no coordination between requests. */
type PeerDelay = (retry: number, failure: ClaudeError, random: () => number) => number;

/**
 * `retries`: which failures the library tries again (default: the retryable ones); `viaBackend`: the loop runs in the
 * app's backend, one browser request each.
 */
export function peer(
  name: string, maxRetries: number, delay: PeerDelay,
  { retries = (failure: ClaudeError) => failure.retryable, viaBackend = false } = {},
): Strategy {
  return {
    name,
    ...(viaBackend && { viaBackend }),
    setup: (clock, claude, run) => async (_app, serviceMs, signal, trace) => {
      if (viaBackend) run.browserRequests += 1;
      for (let retry = 0; ; retry++) {
        try {
          trace?.sent();
          return await claude.send(signal, serviceMs);
        } catch (thrown) {
          const failure = toClaudeError(thrown);
          if (signal.aborted || !retries(failure) || retry >= maxRetries) throw failure;
          // The world's returnMs: the next call leaves that much after the backoff (0 in today's world).
          await pause(clock, delay(retry, failure, clock.random) + run.scenario.returnMs, signal);
        }
      }
    },
  };
}

const SDK_MAX_RETRY_AFTER_MS = 60_000;

/** A tight loop: what a hand-written `while (!ok) retry()` does, capped at 50 attempts. */
export const immediateRetry = peer('immediate-retry', 49, () => 0);

const tanstackDelay: PeerDelay = (retry) => Math.min(1000 * 2 ** retry, 30_000);
/** TanStack Query's `useQuery`: `retry: 3`, `retryDelay: min(1000 · 2^n, 30 s)`, no jitter. */
export const tanstackQuery = peer('tanstack-query-default', 3, tanstackDelay);
/** TanStack Query's `useMutation` (how a chat sends a message): `retry: 0`. */
export const tanstackMutation = peer('tanstack-mutation-default', 0, tanstackDelay);
/** `useQuery` configured to hold on: `retry: 40`, the same delays (30 s apart once past 16 s). */
export const tanstackQueryPatient = peer('tanstack-query-patient', 40, tanstackDelay);

const sdkDelay: PeerDelay = (retry, failure, random) => {
  const header = failure.retryAfterMs;
  if (header !== undefined && header > 0) return header;
  return Math.min(0.5 * 2 ** retry, 8) * (1 - random() * 0.25) * 1000;
};
/** @anthropic-ai/sdk: 2 retries, min(0.5 · 2^n, 8) s less up to 25 % jitter; retry-after(-ms) wins. */
export const anthropicSdk = peer('anthropic-sdk-default', 2, sdkDelay);
/** The same SDK configured to hold on: `maxRetries: 40`. */
export const anthropicSdkPatient = peer('anthropic-sdk-patient', 40, sdkDelay);

/**
 * Vercel AI SDK: 2 retries, 2 s then 4 s, no jitter; a retry-after under 60 s wins. The SDK called directly, every
 * failure retried alike; `ai-sdk-usechat` (bench/ai-sdk.ts) is the whole useChat + streamText stack, as read from its code.
 */
export const vercelAiSdk = peer('vercel-ai-sdk-default', 2, (retry, failure) => {
  const backoff = 2000 * 2 ** retry;
  const header = failure.retryAfterMs;
  return header !== undefined && header >= 0 && (header < SDK_MAX_RETRY_AFTER_MS || header < backoff)
    ? header : backoff;
});

export type { KitOptions } from './kit.js';

/** The kit: one gate per app and the real retryer with the real policy, all on the virtual clock. */
export function claudeOverloadKit(options: import('./kit.js').KitOptions = {}): Strategy {
  return {
    name: options.name ?? 'claude-overload-kit',
    setup(clock, claude) {
      const policy = createRetryPolicy({ ...options.policy, random: clock.random });
      const gates = new Map<number, ReturnType<typeof createGate>>();
      return (app, serviceMs, signal, trace) => {
        let gate = gates.get(app);
        if (!gate) gates.set(app, (gate = createGate({ ...options.gate, clock })));
        const run = (attempt: AbortSignal) => {
          trace?.sent();
          return claude.send(attempt, serviceMs);
        };
        const retryer = createRetryer({ run, policy, clock, gate, signal });
        return retryer.promise;
      };
    },
  };
}

/**
 * A fair FIFO reference, not the physical limit: one queue in front of Claude that sends only when a slot is free
 * and is never refused (it ignores exogenous refusals too). A strategy can beat it on p99 by serving out of order.
 */
export const ideal: Strategy = {
  name: 'ideal',
  setup: (_clock, claude) => (_app, serviceMs, signal) => claude.admit(signal, serviceMs),
};

export const PEERS: readonly Strategy[] = [
  immediateRetry, tanstackMutation, tanstackQuery, tanstackQueryPatient, anthropicSdk, anthropicSdkPatient, vercelAiSdk,
];

/**
 * The kit behind the Redis store: every backend instance shares one gate (one window, one probe, one adaptive
 * limit across the fleet), as `createRedisStore` shares them through Redis. Its limit is the sum of the instances'.
 */
export function sharedGateKit(instances: number, options: import('./kit.js').KitOptions = {}): Strategy {
  return {
    name: options.name ?? 'claude-overload-kit (shared gate)',
    setup(clock, claude) {
      const policy = createRetryPolicy({ ...options.policy, random: clock.random });
      const perInstance = options.gate?.maxConcurrency ?? 8;
      const gate = createGate({ ...options.gate, maxConcurrency: perInstance * instances, clock });
      return (_app, serviceMs, signal, trace) => {
        const run = (attempt: AbortSignal) => {
          trace?.sent();
          return claude.send(attempt, serviceMs);
        };
        return createRetryer({ run, policy, clock, gate, signal }).promise;
      };
    },
  };
}
