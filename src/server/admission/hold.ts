/**
 * The handler's side of the line: a request waits for its turn, calls Claude, and when Claude turns it away (529, or
 * a rate-limit 429) it goes back to its place in line instead of back to the browser, until its hold budget is
 * spent. Then, or when the line is full, it gets the store's refusal: when its turn is expected and a ticket to keep
 * its place. Whatever else Claude answers is the caller's to pass on. Streams use it too: Claude refuses before the
 * first byte, so nothing has been relayed when a stream waits again.
 *
 * With a fallback chain, a request moves to the next model of the chain once it has waited `afterMs` for its model while
 * that model was overloaded: waiting counts from the request's first arrival (carried across HTTP retries by the
 * kit's ticket), whether it waited in line, in a closed window or after Claude's own refusals. Most requests held in an
 * overload never meet a 529 themselves (the line keeps them from Claude), so their own refusals alone would start the
 * clock too late, or never. Overloaded means Claude turned away a call for that model (anyone's) during the wait or in
 * the `afterMs` before it: a wait under the app's own `maxConcurrency` alone moves nothing. A request leaves sooner,
 * by as much as its model's recent answers took longer than the next model's (at most half of `afterMs`): started on
 * its model later than that, its answer would come after the one the fallback gives at `afterMs`. A call Claude has
 * taken is not counted: the request stays with the model that is answering it. Nothing else (a 400, a spend limit, a
 * cancel) moves a request; it keeps its place of first arrival.
 */
import { isRefusal } from '../store/types.js';
import type { ClaudeStore, Permit, Refusal, UpstreamResult } from '../store/types.js';
import type { ChainMemory } from './chain-memory.js';

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
  /** How long a request waits for an overloaded model before it moves on (see above). */
  afterMs: number;
  now: () => number;
  /**
   * What the chain learns from every request (when each model last refused a call, how long its answers take, the
   * first arrival of a ticketed request). Without it the chain knows only this request's own refusals.
   */
  memory?: ChainMemory;
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

/** Half of `afterMs` at most: a model that answers slowly is still waited for, not given up at its first wait. */
const MAX_LEAD_SHARE = 0.5;

export async function holdForClaude<T>(
  store: ClaudeStore,
  signal: AbortSignal,
  call: (permit: Permit, model: string | undefined) => Promise<Attempt<T>>,
  options: HoldOptions,
): Promise<Held<T> | Refusal> {
  const { deadlineAt, priority, fallback } = options;
  const memory = fallback?.memory;
  let model = options.model;
  let ticket = options.ticket;
  let order: number | undefined;
  const at = fallback && model !== undefined ? fallback.models.indexOf(model) : -1;
  const chain = fallback && at >= 0 ? fallback.models.slice(at + 1) : [];
  // The request's first arrival: a ticket from an earlier HTTP request of it carries the time it has waited already.
  const arrivedAt = fallback ? (memory?.arrivalOf(ticket, fallback.now()) ?? fallback.now()) : 0;
  // Since when the request waits for its current model, and whether that model turned it away itself.
  let waitingSince = arrivedAt;
  let turnedAway = false;
  // Its switch came while its model was not overloaded (it only waited for the app's own maxConcurrency).
  let calm = false;
  // Whether it has looked at its place in its current model's line (once per model).
  let looked = false;
  const moveOn = () => {
    model = chain.shift();
    waitingSince = fallback!.now();
    turnedAway = false;
    looked = false;
    calm = false;
  };
  const switchAt = (): number | undefined => {
    if (!fallback || chain.length === 0 || model === undefined) return undefined;
    const slower = (memory?.typicalAnswerMs(model) ?? 0) - (memory?.typicalAnswerMs(chain[0]!) ?? Infinity);
    const lead = Math.min(fallback.afterMs * MAX_LEAD_SHARE, Math.max(0, slower));
    return waitingSince + fallback.afterMs - lead;
  };
  const overloaded = (refused: Refusal['refused']) => {
    if (turnedAway || refused === 'closed') return true;
    const last = model === undefined ? undefined : memory?.refusedAt(model);
    return last !== undefined && last >= waitingSince - fallback!.afterMs;
  };
  for (;;) {
    // Waiting in a closed window counts too: the wait ends when the request may move on. One whose model was not
    // overloaded when its switch came waits on at its place (its own refusals still move it).
    const moveAt = calm ? undefined : switchAt();
    const waitUntil = moveAt === undefined ? deadlineAt : Math.min(deadlineAt, moveAt);
    let admission: Permit | Refusal | undefined;
    if (moveAt !== undefined && !looked && overloaded('timeout')) {
      // Its model is overloaded: first a look at where it would stand (a wait of nothing), and no wait at all when its
      // turn is not expected before it would move anyway: in an outage, only as many requests as the model takes in
      // time wait for it, and the rest get the fallback's answer at once instead of after afterMs.
      looked = true;
      const now = fallback!.now();
      const look = await store.admit(signal, { ticket, order, deadlineAt: now, model, priority });
      if (!isRefusal(look)) admission = look;
      else if (look.refused === 'timeout' || look.refused === 'closed') {
        const turnIn = look.expectedWaitMs ?? (look.refused === 'closed' ? look.retryAfterMs : undefined);
        // Only in an outage (its model overloaded for afterMs already), not a blip: a model that has just refused a
        // call has no recent rate of answers to tell a wait by.
        const since = model === undefined ? undefined : memory?.overloadedSince(model, now);
        const outage = since !== undefined && now - since >= fallback!.afterMs;
        if (outage && turnIn !== undefined && now + turnIn > moveAt && now < deadlineAt) {
          moveOn();
          continue;
        }
        // Back to the place it just took (its new ticket keeps it).
        if (look.ticket !== undefined) {
          ticket = look.ticket;
          order = undefined;
        }
      } else admission = look;
    }
    admission ??= await store.admit(signal, { ticket, order, deadlineAt: waitUntil, model, priority });
    if (isRefusal(admission)) {
      const now = fallback?.now();
      // Due to switch: its wait for an overloaded model ran out, or the store says at once that the model stays shut
      // past the switch (`closed`: the Redis store does, rather than wait out a window it knows outlasts the wait).
      const due = moveAt !== undefined && now !== undefined && now < deadlineAt
        && ((admission.refused === 'timeout' && now >= moveAt) || admission.refused === 'closed')
        && overloaded(admission.refused);
      if (!due && moveAt !== undefined && admission.refused === 'timeout' && now! >= moveAt && now! < deadlineAt) {
        calm = true;
        if (admission.ticket !== undefined) {
          ticket = admission.ticket;
          order = undefined;
        }
        continue;
      }
      if (!due) {
        // Its return with the ticket goes on counting from its first arrival.
        if (memory && admission.ticket !== undefined && now !== undefined) memory.keepArrival(admission.ticket, arrivedAt, now);
        return admission;
      }
      moveOn();
      continue;
    }
    const sentAt = fallback?.now();
    let attempt: Attempt<T>;
    try {
      attempt = await call(admission, model);
    } catch (error) {
      // The slot is given back whatever happened, or it stays taken for the life of the process (the line learns
      // nothing from a call without an answer).
      await admission.release();
      throw error;
    }
    if (memory && model !== undefined && sentAt !== undefined && attempt.result) {
      const { status, pressure } = attempt.result;
      if (pressure) memory.refused(model, fallback!.now());
      else if (status >= 200 && status < 300) memory.answered(model, fallback!.now() - sentAt);
    }
    // A store without a line (or a client gone) cannot hold the request: Claude's refusal is passed on as it is.
    // Only Claude's overload waits in line: a rate limit (429) is the app's own, and the client hears it as it is,
    // with its retry-after (the line has learned from it all the same, when the permit is released).
    const overloadedNow = attempt.result?.pressure === true && attempt.result.status === 529;
    if (!options.requeue || !overloadedNow || admission.order === undefined || signal.aborted) {
      return { ...attempt, permit: admission, model };
    }
    await admission.release(attempt.result);
    order = admission.order;
    ticket = undefined;
    turnedAway = true;
    // Its model refused it past the switch: the next model, at once.
    const after = switchAt();
    if (fallback && after !== undefined && fallback.now() >= after) moveOn();
  }
}
