/**
 * How one model's background work gives way to people in the gate. Background has its own adaptive limit: halved to
 * half of what it had on the wire when an overload is blamed on it, and grown back slowly (one slot per `limit`
 * answers, TCP's congestion avoidance), so it settles below the model's room instead of filling it again within
 * seconds. And when the app lets out more than Claude has room for, the 529 blamed on background shows where Claude's
 * room ends (the attempts still on the wire): background then keeps BACKGROUND_SPARE of those slots free for people,
 * and a person waits for a slot under it, not for a backoff, until its own retry time at the latest. Pure state: the
 * gate tells it what happened and asks it for caps.
 */

import { createSeenRoom } from './seen-room.js';

/**
 * Slots of Claude's seen room background keeps free for people (one is not enough: at a person a second, two often
 * overlap), and the rounds of answers per slot the seen room grows back by. Measured with the browser gate alone
 * (the failover bench's flood, gate 16 against Claude's 8 slots, seeds 1–3), interactive p95 against its unloaded
 * value: 1.08–1.11 × at 2 slots and 4 rounds; 1.14–1.25 × at 1 slot and 4 rounds; 1.25–1.33 × at 2 slots growing
 * every round; 1.34–1.40 × at 1 slot every round. Background's answers: 238–286, against 304–348 for the others.
 */
const BACKGROUND_SPARE = 2;
const ROOM_GROWTH_ROUNDS = 4;

export interface BackgroundYield {
  /** Background attempts allowed on the wire now (whole). */
  readonly backgroundLimit: number;
  /** While people wait under Claude's seen room: until when (the retry time of the one who met the 529). */
  readonly peopleWaitUntil: number | undefined;
  /** The most attempts of the model on the wire before one more of this kind may go; Infinity for no cap. */
  cap(background: boolean, now: number): number;
  /** An attempt sent with `level` attempts of the model on the wire (itself included) was answered. */
  answered(level: number, background: boolean, now: number): void;
  /**
   * A 529 met while background work was on the wire. `level`: the refused attempt's level when sent; `onWire`: the
   * model's attempts still on the wire; `background`: the refused one's own, then on the wire.
   */
  blamed(level: number, onWire: number, backgroundOnWire: number, retryAt: number | undefined, now: number): void;
}

export function createBackgroundYield(ceiling: number): BackgroundYield {
  let limit = ceiling;
  const seen = createSeenRoom(ROOM_GROWTH_ROUNDS);
  let peopleWaitUntil: number | undefined;

  return {
    get backgroundLimit() {
      return Math.floor(limit);
    },
    get peopleWaitUntil() {
      return peopleWaitUntil;
    },
    cap(background, now) {
      if (seen.value === undefined) return Infinity;
      if (background) return Math.floor(seen.value) - (BACKGROUND_SPARE - 1);
      return now < (peopleWaitUntil ?? 0) ? Math.floor(seen.value) : Infinity;
    },
    answered(level, background, now) {
      if (background) limit = Math.min(ceiling, limit + 1 / limit);
      // Forgotten one slot short of the ceiling: there the gate's own bound is as tight.
      seen.answered(level, ceiling - 1, now);
    },
    blamed(level, onWire, backgroundOnWire, retryAt, now) {
      limit = Math.max(1, Math.floor(backgroundOnWire / 2));
      if (seen.blamed(level, onWire, now)) peopleWaitUntil = retryAt;
    },
  };
}
