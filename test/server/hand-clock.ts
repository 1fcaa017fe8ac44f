/**
 * A hand-driven clock for the server's lines: timers fire only when the test advances time, in the order they are
 * due (the order set at equal times), and each one's promise callbacks run before the next fires.
 */
export function createHandClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  /** Lets the promise chains a timer started run on (a few turns: a grant, its release, the next grant). */
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(id: unknown) {
      timers.delete(id as number);
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        await settle();
      }
      now = end;
      await settle();
    },
    /** Timers not yet fired. */
    get pending() {
      return timers.size;
    },
  };
}

export type HandClock = ReturnType<typeof createHandClock>;
