/**
 * Turns between users within one lane of a line: start-time fair queueing, one unit per request. Each request of a
 * user gets a tag, one round after that user's last (`last + 1`) but never before the round being served
 * (`current + 1`); the lane serves the lowest tag first, and among equal tags the earliest arrival. So every user with
 * someone waiting gets one turn per round, in arrival order within the user: one user's thousand requests hold a
 * newcomer back by one turn, not a thousand. The Redis line's Lua keeps the same numbers (redis-line-script.ts).
 *
 * A user whose last tag is at or below the round being served is the same as a user never seen: such entries are
 * dropped now and then, so memory follows the users with requests ahead of the round, not every user ever seen.
 */
export interface FairTurns {
  /** The tag of a new request of `user`, taken: the user's next request comes a round later. */
  next(user: string): number;
  /** The tag a new request of `user` would get now, without taking it. */
  peek(user: string): number;
  /** A request with this tag was let go: its round is being served. */
  served(tag: number): void;
}

/** Users remembered before the first sweep of those the round has caught up with. */
const SWEEP_AT = 1024;

export function createFairTurns(): FairTurns {
  let current = 0;
  const last = new Map<string, number>();
  let sweepAt = SWEEP_AT;
  const peek = (user: string) => Math.max(current, last.get(user) ?? 0) + 1;
  return {
    peek,
    next(user) {
      const tag = peek(user);
      last.set(user, tag);
      return tag;
    },
    served(tag) {
      if (tag <= current) return;
      current = tag;
      if (last.size < sweepAt) return;
      for (const [user, tagOf] of last) if (tagOf <= current) last.delete(user);
      sweepAt = Math.max(SWEEP_AT, 2 * last.size);
    },
  };
}
