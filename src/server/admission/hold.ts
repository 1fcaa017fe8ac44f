/**
 * The handler's side of the line: a request waits for its turn, calls Claude, and when Claude turns it away (529, or
 * a rate-limit 429) it goes back to its place in line instead of back to the browser, until its hold budget is
 * spent. Then, or when the line is full, it gets the store's refusal: when its turn is expected and a ticket to keep
 * its place. Whatever else Claude answers is the caller's to pass on. Streams use it too: Claude refuses before the
 * first byte, so nothing has been relayed when a stream waits again.
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
}

export async function holdForClaude<T>(
  store: ClaudeStore,
  signal: AbortSignal,
  call: (permit: Permit) => Promise<Attempt<T>>,
  options: HoldOptions,
): Promise<Held<T> | Refusal> {
  const { deadlineAt, model, priority } = options;
  let ticket = options.ticket;
  let order: number | undefined;
  for (;;) {
    const admission = await store.admit(signal, { ticket, order, deadlineAt, model, priority });
    if (isRefusal(admission)) return admission;
    const attempt = await call(admission);
    // A store without a line (or a client gone) cannot hold the request: Claude's refusal is passed on as it is.
    if (!options.requeue || !attempt.result?.pressure || admission.order === undefined || signal.aborted) {
      return { ...attempt, permit: admission };
    }
    await admission.release(attempt.result);
    order = admission.order;
    ticket = undefined;
  }
}
