/**
 * How one model's background work gives way to people in the gate. Background has its own adaptive limit: halved to
 * half of what it had on the wire when an overload is blamed on it, and grown back slowly (one slot per `limit`
 * answers, TCP's congestion avoidance), so it settles below the model's room instead of filling it again within
 * seconds. And when the app lets out more than Claude has room for, the 529 blamed on background shows where Claude's
 * room ends (the attempts still on the wire): background then keeps BACKGROUND_SPARE of those slots free for people,
 * and a person waits for a slot under it, not for a backoff, until its own retry time at the latest. Pure state: the
 * gate tells it what happened and asks it for caps.
 */

/**
 * Slots of Claude's seen room background keeps free for people (one is not enough: at a person a second, two often
 * overlap), and the rounds of answers per slot the seen room grows back by. Measured on `npm run bench -- --scenario
 * failover` (gate above Claude's slots, seeds 1–3): interactive p95 1.09–1.16 × its unloaded value, against
 * 1.36–1.46 × with one slot kept and growth every round.
 */
const BACKGROUND_SPARE = 2;
const ROOM_GROWTH_ROUNDS = 4;
/**
 * An answer to an attempt sent at some level of attempts on the wire counts this long as proof that Claude has room
 * for that many: a 529 at that level or below is then Anthropic-wide load, not ours, and teaches nothing about room.
 * Short, because the level at sending overstates what Claude held (refusals on their way back count in it): at
 * 10 s, the flood's seed 2 got 1.25 × instead of 1.17 ×; at 1 s, random 529s (5–10 % of calls) held background to a
 * third of what it had.
 */
const EVIDENCE_MS = 3_000;

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
  let seenRoom: number | undefined;
  let peopleWaitUntil: number | undefined;
  let answeredLevel = 0;
  let answeredAt = -Infinity;
  const proven = (now: number) => (now - answeredAt < EVIDENCE_MS ? answeredLevel : 0);

  return {
    get backgroundLimit() {
      return Math.floor(limit);
    },
    get peopleWaitUntil() {
      return peopleWaitUntil;
    },
    cap(background, now) {
      if (seenRoom === undefined) return Infinity;
      if (background) return Math.floor(seenRoom) - (BACKGROUND_SPARE - 1);
      return now < (peopleWaitUntil ?? 0) ? Math.floor(seenRoom) : Infinity;
    },
    answered(level, background, now) {
      if (level >= proven(now)) {
        answeredLevel = level;
        answeredAt = now;
      }
      if (background) limit = Math.min(ceiling, limit + 1 / limit);
      if (seenRoom !== undefined) seenRoom = seenRoom + 1 >= ceiling ? undefined : seenRoom + 1 / (ROOM_GROWTH_ROUNDS * seenRoom);
    },
    blamed(level, onWire, backgroundOnWire, retryAt, now) {
      limit = Math.max(1, Math.floor(backgroundOnWire / 2));
      // Claude took as many of ours a moment ago: this 529 is Anthropic-wide load, and says nothing of our room.
      if (level > proven(now)) {
        seenRoom = Math.max(1, onWire);
        peopleWaitUntil = retryAt;
      }
    },
  };
}
