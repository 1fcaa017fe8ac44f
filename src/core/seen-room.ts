/**
 * What a 529 met while background work was on the wire shows of Claude's room for one model: the attempts still on
 * the wire when Claude refused one more. It grows back by one slot per `growthRounds` rounds of answers (answers may
 * show more room than it did), and is forgotten once it no longer binds. Answers also count as proof of room for a
 * while (EVIDENCE_MS): a 529 at a level Claude answered a moment ago is Anthropic-wide load, not ours, and teaches
 * nothing. Shared by the browser gate (background-yield.ts) and the handler's line (server/admission/background-room.ts),
 * which tune it each for their own bound. Pure state.
 */

/**
 * How long an answer proves room for the attempts that were on the wire with it. Short, because the level at sending
 * overstates what Claude held (refusals on their way back count in it): in the browser gate's flood bench, 10 s gave
 * seed 2 1.25 × instead of 1.17 ×; 1 s let random 529s (5–10 % of calls) hold background to a third of what it had.
 */
export const EVIDENCE_MS = 3_000;

export interface SeenRoom {
  /** Claude's room as the last blamed 529 showed it, grown since; undefined when nothing is known. */
  readonly value: number | undefined;
  /** An attempt sent with `level` on the wire (itself included) was answered; the room is forgotten once ≥ `bound`. */
  answered(level: number, bound: number, now: number): void;
  /** A 529 blamed on background: false when it was Anthropic-wide load (nothing learned), else the room is `onWire`. */
  blamed(level: number, onWire: number, now: number): boolean;
  forget(): void;
}

export function createSeenRoom(growthRounds: number): SeenRoom {
  let room: number | undefined;
  let answeredLevel = 0;
  let answeredAt = -Infinity;
  const proven = (now: number) => (now - answeredAt < EVIDENCE_MS ? answeredLevel : 0);
  return {
    get value() {
      return room;
    },
    answered(level, bound, now) {
      if (level >= proven(now)) {
        answeredLevel = level;
        answeredAt = now;
      }
      if (room !== undefined) room = room >= bound ? undefined : room + 1 / (growthRounds * room);
    },
    blamed(level, onWire, now) {
      if (level <= proven(now)) return false;
      room = Math.max(1, onWire);
      return true;
    },
    forget() {
      room = undefined;
    },
  };
}
