/**
 * The handler's side of the line: a request is admitted in its turn, calls Claude, and when Claude turns it away
 * (529) it is requeued at its place in line instead of going back to the browser, until its hold budget is spent.
 * Then, or when the line is full, it gets the store's refusal: when its turn is expected and a ticket to keep its
 * place. Whatever else Claude answers is the caller's to pass on. Streams use it too: Claude refuses before the first
 * byte, so nothing has been relayed when a stream waits again.
 *
 * A rate limit (429) is the app's own and is passed on as it is, with its retry-after.
 *
 * With a fallback chain the request may move to another model while it waits: the chain is its own cursor
 * (chain-cursor.ts), which the hold asks which model to wait for and until when.
 */
import { isRefusal } from '../store/types.js';
import type { ClaudeStore, Permit, Refusal, UpstreamResult } from '../store/types.js';
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

/** Where a request stands in line: the ticket it was given (by the browser or a refusal), or its last permit's place. */
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
  const admit = (until: number) => store.admit(signal, { ...place, deadlineAt: until, model: chain.pick(), priority });

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
      if (step === 'leave') return chain.leave(admission);
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
    chain.accept(attempt.result, sentAt);
    const held: Held<T> = { ...attempt, permit: admission, model: chain.pick() };

    // Requeue: only Claude's overload waits in line. A store without a line (or a client gone) cannot hold the
    // request: Claude's answer is passed on as it is. A rate limit (429) is the app's own: the client hears it as it
    // is, with its retry-after (the line has learned from it all the same, when the permit is released).
    const overloaded = attempt.result?.pressure === true && attempt.result.status === 529;
    if (!options.requeue || !overloaded || admission.order === undefined || signal.aborted) return held;
    await admission.release(attempt.result);
    place = { order: admission.order };
    chain.decline();
  }
}

