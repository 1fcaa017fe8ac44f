/** The retryer's public face: its options, its snapshot, and the cursor a fallback chain gives it (see retryer.ts). */
import type { Clock, OnlineSource } from './clock.js';
import type { ClaudeError } from './failure.js';
import type { Gate, GatePermit, RequestPriority } from './gate-types.js';
import type { RetryPolicy } from './policy.js';
import type { MOVE, PermitWait } from './retry-wait.js';
import type { Subscribable } from './store.js';
import type { AttemptFunction, FallbackOffer, OfferScope, RetryPhase } from './types.js';

export type { AttemptFunction };

export interface RetrySnapshot {
  phase: RetryPhase;
  /** Attempts started so far. */
  attempt: number;
  /** The latest failure; kept while waiting so the UI can say why. */
  failure?: ClaudeError;
  /** Epoch ms of the next attempt while waiting; undefined while waiting for the gate with no known time. */
  nextAttemptAt?: number;
  /** Epoch ms when the first attempt started. */
  startedAt?: number;
  /** The attempt on the wire is receiving its answer (a stream's first content, thinking too): Claude is answering. */
  responding?: boolean;
  /** This request has had to wait (a backoff, the gate's window, the network): it belongs to a busy episode. */
  waited?: boolean;
  /** The model of the current or last attempt (undefined: the handler's default model). */
  model?: string;
  /** In fallback mode `'offer'`: the person may have this request answered by another model now. */
  offer?: FallbackOffer;
  /** Once answered by a fallback model: the model the request was for (`model` is the one that answered). */
  fallbackFrom?: string;
}

/** What a request's fallback cursor is told when the retryer starts it. */
export interface FallbackContext {
  /** The model the request was for (undefined: the handler's default). */
  model?: string;
  /** The app's gate, whose per-model windows say how long a model has been overloaded. */
  gate?: Gate;
  clock: Clock;
  /** Shared by a client's requests: the models whose busy episode the person chose to skip. */
  skipped: Set<string>;
  /** Puts an offer of another model before the person, or takes it away (`undefined`). */
  offer(offer: FallbackOffer | undefined): void;
  /** Cuts the request's backoff short: its next attempt goes at once, to the model `pick()` then names. */
  move(): void;
}

/**
 * One request's way along a fallback chain; the retryer asks it which model to try and tells it when it waits. Made by
 * a {@link FallbackChain} (`modelFallback()` from `claude-overload-kit/fallback`).
 */
export interface FallbackCursor {
  /** The model the next attempt goes to (`''`: the handler's default). */
  pick(): string;
  /**
   * Waits for the gate's permit for `wait.model`, watching the model meanwhile: `MOVE` when the request should go to
   * another model instead.
   */
  wait(gate: Gate, wait: PermitWait): Promise<GatePermit | typeof MOVE>;
  /**
   * An attempt on `model` met an overload or a rate limit: `MOVE` when another model takes the request now; else the
   * cursor watches `model` while the request backs off (moving it, or offering the next model, once `model` has been
   * overloaded long enough) and returns how to stop watching (undefined: nowhere else to go).
   */
  overloaded(model: string): typeof MOVE | (() => void) | undefined;
  /**
   * The person took `offer` (for this request, the default, or the model's whole busy episode): the cursor takes it
   * away and moves the request.
   */
  accept(offer: FallbackOffer, scope?: OfferScope): void;
  /** The person keeps waiting for `offer.from`: the cursor takes the offer away, and makes no new one for it. */
  decline(offer: FallbackOffer): void;
  /** `model` answered: returns the model the request was for when another one answered it. */
  answered(model: string): string | undefined;
}

/** A fallback chain an app passes in (`fallback: modelFallback({ models })`): one cursor per request. */
export interface FallbackChain {
  cursor(context: FallbackContext): FallbackCursor;
}

export interface RetryerOptions<T> {
  /** One attempt. Must honour the signal. `attempt` counts from 1. */
  run: AttemptFunction<T>;
  policy: RetryPolicy;
  clock?: Clock;
  /** Attempts pause while offline and resume when back. Defaults to always online. */
  online?: OnlineSource;
  /** The app's shared gate; every attempt takes a permit from it. */
  gate?: Gate;
  /** Aborting it cancels the retryer, like `cancel()`. */
  signal?: AbortSignal;
  /** The model of the first attempt; the gate keeps a window per model. Defaults to the handler's default model. */
  model?: string;
  /** Defaults to `'interactive'`. */
  priority?: RequestPriority;
  /** Where to go when `model` stays overloaded (`modelFallback()`). Defaults to none: the request waits for its model. */
  fallback?: FallbackChain;
  /** Shared by a client's requests: the busy episodes the person chose to skip. Defaults to this request's own. */
  skipped?: Set<string>;
}

export interface Retryer<T> extends Subscribable<RetrySnapshot> {
  /** Settles once: the answer, or the ClaudeError that ended the attempts (kind `aborted` after cancel). */
  readonly promise: Promise<T>;
  /**
   * Skip the wait (the gate's window too) and send now. A `background` request skips only its own backoff: in the
   * gate it keeps its lane (behind the people, held while its model is, out of the slots kept free for them).
   */
  retryNow(): void;
  /** Abort the attempt in flight, stop waiting, and settle with an `aborted` ClaudeError. */
  cancel(): void;
  /** Tell the retryer the attempt on the wire is receiving its answer (a stream's first content: text, thinking, a tool call). */
  markResponding(): void;
  /** Take the offered fallback (`'request'` by default): the request goes to the offered model, at once. */
  acceptOffer(scope?: OfferScope): void;
  /** Keep waiting for the current model; no new offer for it on this request. */
  declineOffer(): void;
}
