/**
 * The handler's side of the line: a request is admitted in its turn, calls Claude, and when Claude turns it away
 * (529) it is requeued at its place in line instead of going back to the browser, until its hold budget is spent.
 * Then, or when the line is full, it gets the store's refusal: when its turn is expected and a ticket to keep its
 * place. Whatever else Claude answers is the caller's to pass on. Streams use it too: Claude refuses before the first
 * byte, so nothing has been relayed when a stream waits again.
 *
 * A rate limit (429) is the app's own and is passed on as it is, with its retry-after; with `holdRateLimits`, one whose
 * retry-after fits in what is left of the hold waits that long at its place and is tried again, and is still passed
 * on as the 429 it is when it does not fit, or when the line cannot take it back in time: never made a 529.
 *
 * With a fallback chain the request may move to another model while it waits: the chain is its own cursor
 * (chain-cursor.ts), which the hold asks which model to wait for and until when.
 */
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { isRefusal } from '../store/types.js';
import type { ClaudeStore, Permit, Refusal, Outcome } from '../store/types.js';
import { createChainCursor, stayOn } from './chain-cursor.js';
import type { ChainCursor, HoldFallback } from './chain-cursor.js';

export type { HoldFallback } from './chain-cursor.js';

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
  /**
   * Hold Claude's rate limits too (with `requeue`): a 429 whose `retry-after` ends by `deadlineAt` waits that long
   * at its place, then is tried again. Defaults to false: a 429 is passed on at once.
   */
  holdRateLimits?: boolean;
  /** The timers a held rate limit waits on. Defaults to the real clock. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'> & Partial<Pick<Clock, 'now'>>;
}

/** One call to Claude through a permit: its response, and what the line should learn from it. */
export interface Attempt<T> {
  response: T;
  /** Absent when the call never reached Claude (a setup mistake): the line learns nothing from it. */
  outcome?: Outcome;
}

/** Claude's answer with the permit still held: release it when the answer is over (a stream's last byte). */
export interface Held<T> extends Attempt<T> {
  permit: Permit;
  /** The model of the answer: the request's, or the fallback it moved to. */
  model?: string;
}

/** Where a request stands: the ticket it was given (by the browser or a refusal), or its last permit's place. */
type Place = { ticket?: string; order?: number };

export async function holdForClaude<T>(
  store: ClaudeStore,
  signal: AbortSignal,
  call: (permit: Permit, model: string | undefined) => Promise<Attempt<T>>,
  options: HoldOptions,
): Promise<Held<T> | Refusal> {
  const { deadlineAt, priority } = options;
  const chain: ChainCursor = options.fallback
    ? createChainCursor(options.fallback, options.model, options.ticket)
    : stayOn(options.model);
  let place: Place = { ticket: options.ticket };
  // A rate limit held at its place: passed on as it is when the line cannot take the request back in time.
  let rateLimited: Held<T> | undefined;
  // Written out, not spread: an object spread of `place` (two shapes) cost about 3 µs per admission in process.
  const admit = (until: number) =>
    store.admit(signal, { ticket: place.ticket, order: place.order, deadlineAt: until, model: chain.pick(), priority });

  for (;;) {
    // Admit: wait for its turn, until its deadline or until the chain moves it on.
    const moveAt = chain.moveAt();
    let admission: Permit | Refusal | undefined;
    const lookedAt = chain.looksFirst(moveAt);
    if (lookedAt !== undefined) {
      // Its model is overloaded: first a look at where it would stand (a wait of nothing); the chain may move it on
      // at once when its turn would come after the move anyway.
      const look = await admit(lookedAt);
      if (!isRefusal(look) || (look.refused !== 'timeout' && look.refused !== 'closed')) admission = look;
      else if (chain.watch(look, moveAt, deadlineAt, lookedAt) === 'move') continue;
      // Back to the place it just took (its new ticket keeps it).
      else if (look.ticket !== undefined) place = { ticket: look.ticket };
    }
    admission ??= await admit(Math.min(deadlineAt, moveAt ?? Infinity));
    if (isRefusal(admission)) {
      const step = chain.watch(admission, moveAt, deadlineAt);
      if (step === 'leave') return rateLimited && admission.refused !== 'aborted' ? rateLimited : chain.leave(admission);
      if (step === 'wait' && admission.ticket !== undefined) place = { ticket: admission.ticket };
      continue;
    }

    // Call: the slot is given back whatever happens, or it stays taken for the life of the process (the line learns
    // nothing from a call without an answer).
    const sentAt = chain.now();
    let attempt: Attempt<T>;
    try {
      attempt = await call(admission, chain.pick());
    } catch (error) {
      await admission.release();
      throw error;
    }
    chain.accept(attempt.outcome, sentAt);
    const held: Held<T> = { response: attempt.response, outcome: attempt.outcome, permit: admission, model: chain.pick() };

    // Requeue: only Claude's overload waits in line (and a rate limit that fits, when the app asks). A store without a
    // line (or a client gone) cannot hold the request: Claude's answer is passed on as it is.
    const holds = options.requeue && admission.order !== undefined && !signal.aborted;
    const pauseMs = holds ? requeueAfterMs(attempt.outcome, options) : undefined;
    if (pauseMs === undefined) return held;
    // The line learns from the refusal when the permit is released.
    await admission.release(attempt.outcome);
    place = { order: admission.order };
    const model = chain.pick();
    chain.decline();
    rateLimited = pauseMs > 0 ? held : undefined;
    // A rate limit is waited out at its place, unless the chain has just moved the request to another model.
    if (pauseMs > 0 && chain.pick() === model) await pause(options.clock, pauseMs, signal);
  }
}

/**
 * How long after Claude's refusal the request tries again from its place: at once after a 529; after its
 * retry-after for a rate limit the app holds that ends by the deadline; undefined to pass the answer on.
 */
function requeueAfterMs(outcome: Outcome | undefined, options: HoldOptions): number | undefined {
  if (outcome?.pressure !== true) return undefined;
  if (outcome.status === 529) return 0;
  if (outcome.status !== 429 || !options.holdRateLimits || outcome.retryAfterMs === undefined) return undefined;
  const now = options.clock?.now?.() ?? Date.now();
  return now + outcome.retryAfterMs <= options.deadlineAt ? Math.max(1, outcome.retryAfterMs) : undefined;
}

/** Waits `ms` on the clock's timers; a client that leaves ends the wait at once (and its timer). */
function pause(clock: HoldOptions['clock'], ms: number, signal: AbortSignal): Promise<void> {
  const timers = clock ?? systemClock;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      timers.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = timers.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
