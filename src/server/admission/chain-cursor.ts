/**
 * One request's way along the handler's fallback chain, as a cursor the hold consults: which model it waits for and
 * calls (`pick`), when and whether it moves on (`moveAt`, `watch`), and what the chain learns from Claude's answers
 * (`accept`, `decline`). The server's twin of the browser's chain (src/core/fallback.ts); the hold itself only admits,
 * calls and requeues. Here it is Claude that accepts or declines a call: the server has no person to offer a model to.
 *
 * A request moves to the next model of the chain once it has waited `afterMs` for its model while that model was
 * overloaded: waiting counts from the request's first arrival (carried across HTTP retries by the kit's ticket),
 * whether it waited in line, in a closed window or after Claude's own refusals. Most requests held in an overload
 * never meet a 529 themselves (the line keeps them from Claude), so their own refusals alone would start the clock too
 * late, or never. Overloaded means Claude turned away a call for that model (anyone's) during the wait or in the
 * `afterMs` before it: a wait under the app's own `maxConcurrency` alone moves nothing. A request leaves sooner, by as
 * much as its model's recent answers took longer than the next model's (at most half of `afterMs`): started on its
 * model later than that, its answer would come after the one the fallback gives at `afterMs`. A call Claude has taken
 * is not counted: the request stays with the model that is answering it. Nothing else (a 400, a spend limit, a cancel)
 * moves a request; it keeps its place of first arrival.
 */
import type { Refusal, Outcome } from '../store/types.js';
import type { ChainMemory } from './chain-memory.js';

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

/** What the hold does after the store turned a look or a wait away: move to the next model, wait on, or leave. */
export type ChainStep = 'move' | 'wait' | 'leave';

export interface ChainCursor {
  /** The model the request waits for and calls now: its own, or the fallback it moved to. */
  pick(): string | undefined;
  /** When the wait for the picked model ends in a move; undefined when no move is due (the hold's deadline ends it). */
  moveAt(): number | undefined;
  /**
   * Whether to look at its place before waiting (once per model, and only while that model is overloaded): the time
   * of the look, a wait of nothing; undefined for no look.
   */
  looksFirst(moveAt: number | undefined): number | undefined;
  /** The store turned the request away: from the look made at `lookedAt`, or from a wait until `moveAt`. */
  watch(refusal: Refusal, moveAt: number | undefined, deadlineAt: number, lookedAt?: number): ChainStep;
  /** Claude answered a call for the picked model, sent at `sentAt`: the chain learns from it (refusals included). */
  accept(outcome: Outcome | undefined, sentAt: number | undefined): void;
  /** Claude turned the request itself away; it waits again, on the next model when its switch is past. */
  decline(): void;
  /** The request leaves with `refusal`; its ticket keeps the first arrival for its return. */
  leave(refusal: Refusal): Refusal;
  /** The chain's clock; undefined without a chain. */
  now(): number | undefined;
}

/** Half of `afterMs` at most: a model that answers slowly is still waited for, not given up at its first wait. */
const MAX_LEAD_SHARE = 0.5;

/** No chain: the request stays with its model and only its deadline ends its wait. */
export function stayOn(model: string | undefined): ChainCursor {
  return {
    pick: () => model,
    moveAt: () => undefined,
    looksFirst: () => undefined,
    watch: () => 'leave',
    accept: () => {},
    decline: () => {},
    leave: (refusal) => refusal,
    now: () => undefined,
  };
}

export function createChainCursor(fallback: HoldFallback, model: string | undefined, ticket: string | undefined): ChainCursor {
  const { afterMs, now, memory } = fallback;
  const at = model !== undefined ? fallback.models.indexOf(model) : -1;
  // A model outside the chain has nowhere to move, but its answers and arrivals are still learnt.
  const rest = at >= 0 ? fallback.models.slice(at + 1) : [];
  // The request's first arrival: a ticket from an earlier HTTP request of it carries the time it has waited already.
  const arrivedAt = memory?.arrivalOf(ticket, now()) ?? now();
  // Since when the request waits for its current model, and whether that model turned it away itself.
  let waitingSince = arrivedAt;
  let turnedAway = false;
  // Its switch came while its model was not overloaded (it only waited for the app's own maxConcurrency).
  let calm = false;
  // Whether it has looked at its place in its current model's line (once per model).
  let looked = false;

  const moveOn = (): ChainStep => {
    model = rest.shift();
    waitingSince = now();
    turnedAway = false;
    looked = false;
    calm = false;
    return 'move';
  };
  const switchAt = (): number | undefined => {
    if (rest.length === 0 || model === undefined) return undefined;
    const slower = (memory?.typicalAnswerMs(model) ?? 0) - (memory?.typicalAnswerMs(rest[0]!) ?? Infinity);
    const lead = Math.min(afterMs * MAX_LEAD_SHARE, Math.max(0, slower));
    return waitingSince + afterMs - lead;
  };
  const overloaded = (refused: Refusal['refused']) => {
    if (turnedAway || refused === 'closed') return true;
    const last = model === undefined ? undefined : memory?.refusedAt(model);
    return last !== undefined && last >= waitingSince - afterMs;
  };

  return {
    pick: () => model,
    // One whose model was not overloaded when its switch came waits on at its place (its own refusals still move it).
    moveAt: () => (calm ? undefined : switchAt()),
    looksFirst(moveAt) {
      if (moveAt === undefined || looked || !overloaded('timeout')) return undefined;
      looked = true;
      return now();
    },
    watch(refusal, moveAt, deadlineAt, lookedAt) {
      if (lookedAt !== undefined && moveAt !== undefined) {
        // No wait at all when its turn is not expected before it would move anyway: in an outage, only as many
        // requests as the model takes in time wait for it, and the rest get the fallback's answer at once instead of
        // after afterMs. Only in an outage (its model overloaded for afterMs already), not a blip: a model that has
        // just refused a call has no recent rate of answers to tell a wait by.
        const turnIn = refusal.expectedWaitMs ?? (refusal.refused === 'closed' ? refusal.retryAfterMs : undefined);
        const since = model === undefined ? undefined : memory?.overloadedSince(model, lookedAt);
        const outage = since !== undefined && lookedAt - since >= afterMs;
        return outage && turnIn !== undefined && lookedAt + turnIn > moveAt && lookedAt < deadlineAt ? moveOn() : 'wait';
      }
      const t = now();
      if (moveAt === undefined || t >= deadlineAt) return 'leave';
      // Due to switch: its wait for an overloaded model ran out, or the store says at once that the model stays shut
      // past the switch (`closed`: the Redis store does, rather than wait out a window it knows outlasts the wait).
      const due = (refusal.refused === 'timeout' && t >= moveAt) || refusal.refused === 'closed';
      if (due && overloaded(refusal.refused)) return moveOn();
      if (refusal.refused !== 'timeout' || t < moveAt) return 'leave';
      calm = true;
      return 'wait';
    },
    accept(outcome, sentAt) {
      if (!memory || model === undefined || sentAt === undefined || !outcome) return;
      if (outcome.pressure) memory.refused(model, now());
      else if (outcome.status >= 200 && outcome.status < 300) memory.answered(model, now() - sentAt);
    },
    decline() {
      turnedAway = true;
      // Its model refused it past the switch: the next model, at once.
      const after = switchAt();
      if (after !== undefined && now() >= after) moveOn();
    },
    leave(refusal) {
      // Its return with the ticket goes on counting from its first arrival.
      if (memory && refusal.ticket !== undefined) memory.keepArrival(refusal.ticket, arrivedAt, now());
      return refusal;
    },
    now,
  };
}
