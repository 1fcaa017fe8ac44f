/**
 * Priority lanes for the browser gate, the code of the `claude-overload-kit/lanes` entry (src/features/lanes.ts):
 * `gate: { lanes: priorityLanes() }`. Work sent with
 * `priority: 'background'` (summaries, a backlog, prefetching) then waits behind the people, never takes the last free
 * slot, is the first held back when its model is overloaded, and yields Claude's room to them (background-yield.ts).
 * An app that sends no background work need not import it, and ships none of it.
 */
import { createBackgroundYield } from './background-yield.js';
import type { BackgroundLane, GateLanes, GateWaiter, LaneHost } from './gate-types.js';
import { createFifo } from './fifo.js';
import { isPressure } from './rules.js';

/** Priority lanes for a gate (`createClaudeClient({ gate: { lanes: priorityLanes() } })`, or the provider's `gate`). */
export function priorityLanes(): GateLanes {
  return { forModel: createBackgroundLane };
}

function createBackgroundLane(host: LaneHost, ceiling: number): BackgroundLane {
  const line = createFifo<GateWaiter>();
  const yielding = createBackgroundYield(ceiling);
  let inFlight = 0;
  let reopenAt: number | undefined;
  return {
    line,
    get reopenAt() {
      return reopenAt;
    },
    get peopleWaitUntil() {
      return yielding.peopleWaitUntil;
    },
    cap: yielding.cap,
    // Background never takes the app's last free slot (when there are two), and keeps to its own limit.
    roomBeyond: (appInFlight, appCeiling) => (appCeiling === 1 || appInFlight < appCeiling - 1) && inFlight < yielding.backgroundLimit,
    sent() {
      inFlight += 1;
    },
    ended() {
      inFlight -= 1;
    },
    answered(level, background, now) {
      yielding.answered(level, background, now);
      reopenAt = undefined;
    },
    // Held back first: while background work of this model is on the wire, an overload is blamed on it. The
    // background line is held (it drains as its attempts end) and the people go on, their window left open.
    blame(level, onWire, background, retryAt, now) {
      if (!background && inFlight === 0) return false;
      yielding.blamed(level, onWire, inFlight + (background ? 1 : 0), retryAt, now);
      return true;
    },
    hold(until) {
      reopenAt = until;
    },
    windowMoved(closed, modelReopenAt) {
      const at = closed ? Math.max(modelReopenAt ?? 0, reopenAt ?? 0) : reopenAt;
      line.forEach((waiter) => waiter.onHold?.(at));
    },
    // Background work filled Claude's room and took the blame: a person's request waits only for the next free slot,
    // which the gate keeps for it (background is held), not for a backoff meant for a busy Claude. Only while the
    // gate holds people under that room: a 529 it took for Anthropic-wide load gets the backoff, never a loop.
    yields: (failure, now) => host.model.state === 'open' && (yielding.peopleWaitUntil ?? 0) > now
      && isPressure(failure.kind) && failure.retryAfterMs === undefined,
    admit(now, soonest) {
      const { model } = host;
      // People held under Claude's seen room go at their own retry time at the latest.
      const peopleAt = yielding.peopleWaitUntil;
      if (model.interactive.size > 0 && peopleAt !== undefined && now < peopleAt) soonest(peopleAt);
      if (line.size === 0 || model.interactive.size > 0) return false;
      if (reopenAt !== undefined && now < reopenAt) {
        soonest(reopenAt);
        return false;
      }
      if (model.state === 'probing') {
        // A background request may be the probe when nobody else waits: it risks no person's time.
        if (model.probeInFlight || !host.room(false, now)) return false;
        host.grant(line.shift()!, true);
        return true;
      }
      if (model.drain || !host.room(true, now)) return false;
      host.grant(line.shift()!, false);
      return true;
    },
  };
}
