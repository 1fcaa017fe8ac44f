/**
 * How one line's background lane gives way to people after Claude refuses a call while background work is on the
 * wire (the line's side of core/background-yield.ts). Such a 529 is blamed on background, not on the people: the
 * line's window stays open for interactive requests and its limit is not cut (a closed window would hold every person
 * back for a second or more because of work nobody is waiting for). Instead the calls still on the wire show where
 * Claude's room ends: people wait for a slot under that room (the next one freed; interactive goes first), background
 * keeps BACKGROUND_SPARE of its slots free for them and is held until Claude answers again, and the room grows back
 * by one slot per ROOM_GROWTH_ROUNDS rounds of answers. Pure state: the line tells it what happened and asks for caps.
 */
import { createSeenRoom } from '../../core/seen-room.js';
import { LINE_TUNING } from './defaults.js';

export { EVIDENCE_MS } from '../../core/seen-room.js';

/**
 * Slots of Claude's seen room background keeps free for people (one is not enough: at a person a second with 2 s
 * answers, two often overlap), and the rounds of answers per slot the seen room grows back by. Each step of growth
 * lets background fill one slot more than Claude showed, and a person who then finds Claude full meets a 529 and waits
 * for the next slot, so the line grows slower than the browser gate (4 rounds, where the gate's own ceiling bounds
 * the room). Measured on `npm run bench -- --scenario failover` through the handler's line (adaptive limit, seeds
 * 1-4): interactive p95 1.18-1.30 x its unloaded value at 4 rounds, 1.13-1.21 x at 8, 1.08-1.18 x at 16 (seeds 5-8:
 * 1.13-1.16 x), 1.00-1.06 x with no growth at all; background throughput alike. The cost: while a flood lasts,
 * background regains a slot of Claude's room per 16 rounds of answers; the room is forgotten when the flood ends.
 */
export const BACKGROUND_SPARE = LINE_TUNING.backgroundSpare;
export const ROOM_GROWTH_ROUNDS = LINE_TUNING.roomGrowthRounds;
export interface BackgroundRoom {
  /** Claude's room as the last blamed 529 showed it, grown since; undefined when nothing is known. */
  readonly seenRoom: number | undefined;
  /** Background waits until then (a blamed 529 holds it until the next answer, at most a closed window's length). */
  readonly heldUntil: number;
  /** Background is held now: before `heldUntil`, and not before the 529 that held it (a clock set back ends it). */
  held(now: number): boolean;
  /** The most calls on the wire before one more of this lane may go; Infinity for no cap. */
  cap(background: boolean): number;
  /** Claude took a call sent with `level` calls on the wire (itself included). `limit`: the line's limit now. */
  answered(level: number, limit: number, now: number): void;
  /** A 529 blamed on background: `level` the refused call's when sent, `onWire` the calls still on the wire. */
  blamed(level: number, onWire: number, holdMs: number, now: number): void;
  /** No background work is left: the room it showed is forgotten (people go under the line's limit again). */
  forget(): void;
}

export function createBackgroundRoom(): BackgroundRoom {
  const seen = createSeenRoom(ROOM_GROWTH_ROUNDS);
  let heldUntil = 0;
  let heldAt = 0;
  return {
    get seenRoom() {
      return seen.value;
    },
    get heldUntil() {
      return heldUntil;
    },
    held: (now) => now < heldUntil && now >= heldAt,
    cap(background) {
      if (seen.value === undefined) return Infinity;
      const room = Math.floor(seen.value);
      // Background leaves people two slots of the room, one of a room of 2, none of a room of 1 (as under the line's
      // limit): with no spare rule at small rooms, a room of 2 or less let no background call go even with nothing
      // on the wire, and only people's answers grow it back, so a background-only app waited for ever.
      return room - (background ? Math.min(BACKGROUND_SPARE, room - 1) : 0);
    },
    answered(level, limit, now) {
      heldUntil = 0;
      // Grown back to the line's own limit, it no longer binds.
      seen.answered(level, limit, now);
    },
    blamed(level, onWire, holdMs, now) {
      heldUntil = Math.max(heldUntil, now + holdMs);
      heldAt = now;
      seen.blamed(level, onWire, now);
    },
    forget() {
      seen.forget();
      heldUntil = 0;
    },
  };
}
