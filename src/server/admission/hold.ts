/**
 * The handler's side of the line: a request waits for its turn, calls Claude, and when Claude turns it away (529, or
 * a rate-limit 429) it goes back to its place in line instead of back to the browser, until its hold budget is
 * spent. Then, or when the line is full, it gets the store's refusal: when its turn is expected and a ticket to keep
 * its place. Whatever else Claude answers is the caller's to pass on. Streams use it too: Claude refuses before the
 * first byte, so nothing has been relayed when a stream waits again.
 *
 * With a fallback chain, a request whose model has kept refusing it (overload, rate limit) for `afterMs` moves to the
 * next model of the chain, at its place of first arrival; nothing else (a 400, a spend limit, a cancel) moves it.
 */
import { isRefusal } from '../store/types.js';
import type { ClaudeStore, Permit, Refusal, UpstreamResult } from '../store/types.js';

export interface HoldOptions {
  /** Epoch ms until which the request may wait in line, after Claude's refusals too, before the browser hears. */
  deadlineAt: number;
  /** Send the request back to its place after Claude refuses it. False passes Claude's refusal through at once. */
  requeue: boolean;
  /** The ticket the browser echoed (`x-claude-kit-ticket`), to take its old place. */
  ticket?: string;
  /** The request's model: its line in a store that keeps one per model. */
  model?: string;
  /** The request's lane (`x-claude-kit-priority`). Defaults to `interactive`. */
  priority?: 'interactive' | 'background';
  /** The models a request for a model in `models` may move to (those after it), and when. Defaults to none. */
  fallback?: HoldFallback;
}

export interface HoldFallback {
  /** The chain, in order. */
  models: readonly string[];
  /** How long the request's model must have refused it, from its first refusal, before it moves on. */
  afterMs: number;
  now: () => number;
}

/** One call to Claude through a permit: its response, and what the line should learn from it. */
export interface Attempt<T> {
  response: T;
  /** Absent when the call never reached Claude (a setup mistake): the line learns nothing from it. */
  result?: UpstreamResult;
}

/** Claude's answer with the permit still held: release it when the answer is over (a stream's last byte). */
export interface Held<T> extends Attempt<T> {
  permit: Permit;
  /** The model of the answer: the request's, or the fallback it moved to. */
  model?: string;
}

export async function holdForClaude<T>(
  store: ClaudeStore,
  signal: AbortSignal,
  call: (permit: Permit, model: string | undefined) => Promise<Attempt<T>>,
  options: HoldOptions,
): Promise<Held<T> | Refusal> {
  const { deadlineAt, priority, fallback } = options;
  let model = options.model;
  let ticket = options.ticket;
  let order: number | undefined;
  const at = fallback && model !== undefined ? fallback.models.indexOf(model) : -1;
  const chain = fallback && at >= 0 ? fallback.models.slice(at + 1) : [];
  // When Claude first refused the request on its current model: the chain's clock.
  let refusedSince: number | undefined;
  const moveOn = () => {
    model = chain.shift();
    refusedSince = undefined;
  };
  for (;;) {
    // Waiting in a closed window counts too: the wait ends when the request may move on.
    const switchAt = fallback && chain.length > 0 && refusedSince !== undefined ? refusedSince + fallback.afterMs : undefined;
    const waitUntil = switchAt === undefined ? deadlineAt : Math.min(deadlineAt, switchAt);
    const admission = await store.admit(signal, { ticket, order, deadlineAt: waitUntil, model, priority });
    if (isRefusal(admission)) {
      const now = fallback?.now();
      // Due to switch: its wait for this model ran out, or the store says at once that the model stays shut past the
      // switch (`closed`: the Redis store does, rather than wait out a window it knows outlasts the wait).
      const due = switchAt !== undefined && now !== undefined && now < deadlineAt
        && ((admission.refused === 'timeout' && now >= switchAt) || admission.refused === 'closed');
      if (!due) return admission;
      moveOn();
      continue;
    }
    const attempt = await call(admission, model);
    // A store without a line (or a client gone) cannot hold the request: Claude's refusal is passed on as it is.
    if (!options.requeue || !attempt.result?.pressure || admission.order === undefined || signal.aborted) {
      return { ...attempt, permit: admission, model };
    }
    await admission.release(attempt.result);
    order = admission.order;
    ticket = undefined;
    if (fallback) {
      refusedSince ??= fallback.now();
      if (chain.length > 0 && fallback.now() - refusedSince >= fallback.afterMs) moveOn();
    }
  }
}
