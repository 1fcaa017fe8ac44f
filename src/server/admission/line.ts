/**
 * One line toward Claude: requests wait in the order they first arrived and go when the adaptive limit has room.
 * After a wave of refusals the window closes for a while (doubling while Claude keeps refusing), then one probe goes
 * alone; once Claude takes it, the line flows again. A request that Claude turned away, or that comes back with its
 * ticket, takes its old place. A request that waited its budget, or finds the line full, gets a refusal that says
 * when its turn is expected and carries a ticket to keep its place. Time comes from an injected clock.
 *
 * Two lanes: interactive requests go before background ones, and a background request leaves two slots free for
 * people (one when the limit is 2, none at 1; at a person a second, two often overlap), so a background flood delays
 * an interactive request by one service time at most.
 * After an overload, background requests are held back first: they never probe while an interactive one waits, and
 * a refusal met while background work is on the wire is blamed on it (background-room.ts): the window stays open for
 * people, who wait for the next slot under the room Claude showed, while background keeps two of its slots free.
 * Several lines (one per model) can share a `room`: an app-wide bound on calls in flight, and one order of arrival.
 *
 * Users, when the app names them (`LineAdmitOptions.user`, the handler's `userKey`): within a lane they take turns
 * (fair-turns.ts), each holds at most `maxPerUser` places, tickets keep a place for their own user only, and a
 * refusal's place in line is the request's own turn, not the total waiting. Without users the line is first come,
 * first served, as before.
 */
import type { Clock } from '../../core/clock.js';
import type { Outcome } from '../store/types.js';
import { BACKGROUND_SPARE, createBackgroundRoom } from './background-room.js';
import { createLineControl, type LineState } from './control.js';
import { createAcceptGrace } from './accept-grace.js';
import {
  LINE_TUNING, lineRetryAfterMs, MAX_EXPECTED_WAIT_MS, RATE_WINDOW_MS,
} from './defaults.js';
import type { AdaptiveLimitOptions } from './limit.js';
import { createFairTurns } from './fair-turns.js';
import { createOrderHeap, type Ordered, type Place } from './order-heap.js';
import { createTickets, type TicketPlace } from './tickets.js';

export interface AdmissionLineOptions {
  /** The adaptive limit on calls in flight (starting value, floor, optional ceiling, cut factor). */
  limit?: AdaptiveLimitOptions;
  /**
   * Requests waiting in line, a hard bound on memory; one more is refused at once with a ticket (a request coming
   * back to its place included: its new ticket keeps the same place). Defaults to 1000.
   */
  maxQueue?: number;
  /**
   * Places one user may hold in line (requests joined with a `user`), every model's line together; one more of that
   * user's is refused at once (`user-full`) while other users still get places. Defaults to a tenth of `maxQueue`.
   */
  maxPerUser?: number;
  /** The shortest closed window after a wave of refusals; it doubles while probes are refused. Defaults to 1000 ms. */
  minClosedMs?: number;
  /** The ceiling of that doubling (a longer retry-after from Claude still wins): one probe at least this often while Claude refuses. Defaults to 2000 ms. */
  maxClosedMs?: number;
  /** A call Claude has not refused after this long was accepted (a 529 comes back at once). Defaults to 1500 ms. */
  acceptAfterMs?: number;
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** Makes the tickets handed to refused requests. Defaults to `crypto.randomUUID()`: tickets must be unguessable. */
  newTicket?: () => string;
  /** What this line shares with the lines of other models (see createModelLines). Defaults to nothing shared. */
  room?: SharedRoom;
}

/**
 * The app-wide side of several lines. The line asks it before each call goes, and tells it when a slot is given back
 * (then the room lets every line take its turn, oldest waiter first) instead of pumping only itself.
 */
export interface SharedRoom {
  /** The next place in line, shared so places compare across lines. */
  nextOrder(): number;
  /** Requests waiting in every line: `maxQueue` bounds them together. */
  queued(): number;
  /** Requests of `user` waiting in every line: `maxPerUser` bounds them together. */
  queuedBy(user: string): number;
  /** May one more call go now app-wide? A background call must leave two slots free (one when the ceiling is 2). */
  mayGo(background: boolean): boolean;
  /** A call of one of the lines left. */
  took(): void;
  /** A call's slot is free again: the room gives every line its turn. */
  gave(): void;
}

export interface LinePermit {
  /** The request's place in line (its first arrival); pass it back to `admit` to wait again at the same place. */
  readonly order: number;
  /**
   * Idempotent. Pass what Claude answered: a refusal cuts the limit or is judged not ours; a success may grow it.
   * Without a result (the call never reached Claude) the line learns nothing.
   */
  release(result?: Outcome): void;
}

export interface LineRefusal {
  /**
   * `full`: no room in line; `user-full`: its user already holds `maxPerUser` places (no new ticket: it has no place,
   * and a ticket it came with stays valid); `timeout`: waited until `deadlineAt`; `closing`: the line was disposed;
   * `aborted`: the client left.
   */
  refused: 'full' | 'user-full' | 'timeout' | 'closing' | 'aborted';
  /** When to come back: lineRetryAfterMs (defaults.ts), well before the expected turn, not before the window reopens. */
  retryAfterMs: number;
  /** Expected wait for this request's turn from now, from the recent rate of calls Claude took. */
  expectedWaitMs: number;
  /** Requests that go before it: with users, its own turn among theirs, not everyone waiting. */
  ahead: number;
  /** Keeps its place when it comes back with it (absent for `aborted`). */
  ticket?: string;
}

export interface LineAdmitOptions {
  signal?: AbortSignal;
  /** The place kept from an earlier permit in this process (a refused call waiting again). */
  order?: number;
  /** The ticket from an earlier refusal; unknown or expired tickets join at the back. */
  ticket?: string;
  /** Epoch ms after which the request leaves the line with a `timeout` refusal. Defaults to never. */
  deadlineAt?: number;
  /** `background` yields to interactive requests and leaves them two free slots. Defaults to `interactive`. */
  priority?: 'interactive' | 'background';
  /**
   * The user the request is for (the handler's `userKey`; '' for a request it could not name): users take turns,
   * each holds at most `maxPerUser` places, and its ticket keeps a place for this user only. Defaults to none: a
   * line whose requests name no user serves them first come, first served.
   */
  user?: string;
}

export type { LineState } from './control.js';

export interface LineStats {
  active: number;
  queued: number;
  /** Calls allowed in flight (a whole number ≥ 1). */
  limit: number;
  /** The adaptive limit itself: below 1, the share of the time one call is in flight (the line paces). */
  share: number;
  state: LineState;
}

export interface AdmissionLine {
  admit(options?: LineAdmitOptions): Promise<LinePermit | LineRefusal>;
  stats(): LineStats;
  /** Lets waiters go while there is room (a shared room calls it when a slot of another line is freed). */
  pump(): void;
  /** The first waiter's place, interactive ones first (`[lane, order]`, lane 0 interactive), or undefined. */
  head(): readonly [number, number] | undefined;
  /** Requests of `user` waiting in this line. */
  queuedBy(user: string): number;
  /** Refuses every waiter (`closing`) and stops the line's timers. */
  dispose(): void;
}

interface Waiter extends Ordered {
  readonly background: boolean;
  readonly user?: string;
  resolve: (outcome: LinePermit | LineRefusal) => void;
}


const { minRetryAfterMs: MIN_RETRY_AFTER_MS, maxRetryAfterMs: MAX_RETRY_AFTER_MS } = LINE_TUNING;

export function createAdmissionLine(options: AdmissionLineOptions): AdmissionLine {
  const { clock } = options;
  const control = createLineControl(options);
  const maxQueue = options.maxQueue ?? LINE_TUNING.maxQueue;
  const minClosedMs = options.minClosedMs ?? LINE_TUNING.minClosedMs;
  const maxClosedMs = Math.max(minClosedMs, options.maxClosedMs ?? LINE_TUNING.maxClosedMs);
  const acceptAfterMs = options.acceptAfterMs ?? LINE_TUNING.acceptAfterMs;
  // Learned from the refusals the line sees: no cliff where 529s come later than acceptAfterMs.
  const grace = createAcceptGrace(acceptAfterMs);
  const maxPerUser = options.maxPerUser ?? Math.max(1, Math.ceil(maxQueue * LINE_TUNING.maxPerUserShare));
  // As many tickets per place as a user holds places at most: one user's refusals push out its own tickets.
  const tickets = createTickets(maxQueue * LINE_TUNING.ticketsPerPlace, options.newTicket, maxPerUser * LINE_TUNING.ticketsPerPlace);
  const { room } = options;
  const interactive = createOrderHeap<Waiter>();
  const background = createOrderHeap<Waiter>();
  const laneOf = (waiter: Waiter) => (waiter.background ? background : interactive);
  const queued = () => interactive.size + background.size;
  const aheadOf = (place: Place, isBackground: boolean) =>
    isBackground ? interactive.size + background.ahead(place) : interactive.ahead(place);
  // Users' turns per lane and their places waiting: only for requests that name a user.
  const turns = { interactive: createFairTurns(), background: createFairTurns() };
  const turnsOf = (isBackground: boolean) => (isBackground ? turns.background : turns.interactive);
  const waitingBy = new Map<string, number>();
  const queuedBy = (user: string) => waitingBy.get(user) ?? 0;
  const countWaiting = (user: string | undefined, step: 1 | -1) => {
    if (user === undefined) return;
    const n = queuedBy(user) + step;
    if (n > 0) waitingBy.set(user, n);
    else waitingBy.delete(user);
  };
  let ownOrder = 0;
  const nextOrder = () => (room ? room.nextOrder() : ownOrder++);
  let windowTimer: unknown;
  // Background's side of an overload blamed on it, and its calls on the wire.
  const backgroundRoom = createBackgroundRoom();
  let backgroundInFlight = 0;
  let heldTimer: unknown;
  // Calls on the wire still waiting to count as accepted: a disposed line stops their timers, and a call that ends
  // after it starts none (a store closed while calls finish must not keep the process alive).
  const graceTimers = new Set<unknown>();
  let disposed = false;
  // Since when someone has been waiting in line (undefined: nobody is).
  let backlogSince: number | undefined;
  // Calls Claude took per ms, decayed over RATE_WINDOW_MS: turns a place in line into an expected wait.
  let rate = 0;
  let rateAt = clock.now();

  function tookOne(now: number): void {
    // Decay over the time since, never negative: a clock set back would otherwise multiply the rate by e^(step/10 s).
    rate = rate * Math.exp(-Math.max(0, now - rateAt) / RATE_WINDOW_MS) + 1 / RATE_WINDOW_MS;
    rateAt = now;
  }

  function expectedWaitMs(ahead: number): number {
    const now = clock.now();
    // The rate decays while the line is open and Claude takes nothing (a slow line), not while Claude refuses it (its
    // window closed since): an outage after traffic would otherwise name a wait growing tenfold every 23 s, "about
    // 5 min" half a minute in, answered 2 s after Claude's return. Stalled, the first in line is the next probe (its
    // turn is the window's end, as in an outage before any traffic) and the others follow at the pace the line moved.
    const stalled = control.stalledSince > rateAt;
    const current = rate * Math.exp(-Math.max(0, (stalled ? Math.min(now, control.stalledSince) : now) - rateAt) / RATE_WINDOW_MS);
    const closed = control.state === 'closed' ? Math.max(0, control.reopenAt - now) : 0;
    const flowing = current > 0 ? (stalled ? ahead : ahead + 1) / current : maxClosedMs;
    // Bounded: a rate decayed through an outage would otherwise name a wait of centuries, or Infinity (see defaults).
    return Math.round(Math.min(MAX_EXPECTED_WAIT_MS, closed + flowing));
  }

  /** A refusal with a ticket for `place` (none for `user-full`: it has no place; `kept`, the one it came with, stays). */
  function refusal(refused: 'full' | 'user-full' | 'timeout', place: TicketPlace, ahead: number, kept?: string): LineRefusal {
    const expected = expectedWaitMs(ahead);
    // The one rule of both stores (defaults.ts): early, but not before the closed window ends.
    const closedMs = control.state === 'closed' ? Math.max(0, control.reopenAt - clock.now()) : 0;
    const retryAfterMs = lineRetryAfterMs(expected, closedMs);
    const ticket = refused === 'user-full' ? kept : tickets.issue(place, clock.now() + retryAfterMs + MAX_RETRY_AFTER_MS * 2, clock.now());
    return { refused, retryAfterMs, expectedWaitMs: expected, ahead, ...(ticket !== undefined && { ticket }) };
  }

  /** Wakes the line when the closed window ends, so the probe goes without waiting for another event. */
  function wakeAtReopen(): void {
    if (windowTimer !== undefined || disposed) return;
    windowTimer = clock.setTimeout(() => {
      windowTimer = undefined;
      pump();
    }, Math.max(0, control.wakeAt - clock.now()));
  }

  /** Wakes the line when background's hold ends, in case no answer comes first to end it. */
  function wakeAtBackgroundReturn(): void {
    clock.clearTimeout(heldTimer);
    if (disposed) return;
    heldTimer = clock.setTimeout(() => {
      heldTimer = undefined;
      pump();
    }, Math.max(0, backgroundRoom.heldUntil - clock.now()));
  }

  function grant(waiter: Waiter, probe: boolean): void {
    // A probe in an outage is judged by how fast the refusals came (accept-grace.ts).
    const graceMs = grace.ms(probe && control.outage);
    const call = control.send(probe, clock.now());
    if (waiter.background) backgroundInFlight += 1;
    let accepted = false;
    let released = false;
    const accept = () => {
      graceTimers.delete(graceTimer);
      if (accepted) return;
      accepted = true;
      const now = clock.now();
      tookOne(now);
      control.accepted(call, queued() > 0, now, backlogSince === undefined ? 0 : now - backlogSince);
      backgroundRoom.answered(call.level, control.limit, now);
      pump();
    };
    const sentAt = clock.now();
    const graceTimer = clock.setTimeout(accept, graceMs);
    graceTimers.add(graceTimer);
    waiter.resolve({
      order: waiter.order,
      release(result) {
        if (released) return;
        released = true;
        clock.clearTimeout(graceTimer);
        graceTimers.delete(graceTimer);
        control.finish(call, clock.now());
        if (waiter.background) backgroundInFlight -= 1;
        // The flood is over: what it showed of Claude's room is forgotten with it.
        if (waiter.background && backgroundInFlight === 0 && background.size === 0) backgroundRoom.forget();
        // No result: the call never reached Claude, or its answer is unknown; it teaches nothing (as on Redis).
        const status = result?.status ?? 0;
        const pressure = result?.pressure ?? (status === 529 || status === 429);
        if (pressure) grace.refused(clock.now() - sentAt);
        // Background work on the wire filled Claude's room: the people's window stays open (see background-room.ts).
        const blameBackground = pressure && (waiter.background || backgroundInFlight > 0) && control.state === 'open';
        if (blameBackground) {
          backgroundRoom.blamed(call.level, control.inFlight, Math.max(result?.retryAfterMs ?? 0, minClosedMs), clock.now());
          wakeAtBackgroundReturn();
        } else if (pressure) {
          const before = control.reopenAt;
          control.refused(call, clock.now(), result?.retryAfterMs, backlogSince === undefined ? 0 : clock.now() - backlogSince);
          // A new window: the old wake-up time is wrong now.
          if (control.reopenAt !== before) {
            clock.clearTimeout(windowTimer);
            windowTimer = undefined;
          }
        } else if (status >= 200 && status < 300) {
          accept();
        }
        // A shared slot is free too: every line gets its turn, the oldest waiter first, not only this one.
        if (room) room.gave();
        else pump();
      },
    });
  }

  /**
   * Who goes next, if anyone may: interactive first; background only with a slot to spare (or as the probe, when no
   * interactive request waits).
   */
  function next(turn: 'go' | 'probe'): Waiter | undefined {
    // Under the room Claude showed when it refused a call with background work on the wire (see background-room.ts).
    // People only while background work is on the wire: without it, the room it showed says nothing of theirs.
    const under = (isBackground: boolean) =>
      (!isBackground && backgroundInFlight === 0) || control.inFlight < backgroundRoom.cap(isBackground);
    if (interactive.size > 0) return (room && !room.mayGo(false)) || !under(false) ? undefined : interactive.shift();
    if (background.size === 0) return undefined;
    const spare = control.limit - control.inFlight > Math.min(BACKGROUND_SPARE, control.limit - 1);
    if (turn === 'go' && (!spare || !under(true) || backgroundRoom.held(clock.now()))) return undefined;
    return room && !room.mayGo(true) ? undefined : background.shift();
  }

  function pump(): void {
    if (queued() === 0) backlogSince = undefined;
    for (;;) {
      const turn = control.turn(clock.now());
      if (turn === 'wait') {
        // Nothing in flight will pump again when it ends: wake when the window or the pause does.
        if ((control.state === 'closed' || control.inFlight === 0) && queued() > 0) wakeAtReopen();
        return;
      }
      const waiter = next(turn);
      if (!waiter) return;
      waiter.gone = true;
      if (waiter.user !== undefined) {
        countWaiting(waiter.user, -1);
        turnsOf(waiter.background).served(waiter.tag);
      }
      if (queued() === 0) backlogSince = undefined;
      room?.took();
      grant(waiter, turn === 'probe');
    }
  }

  function admit(admitOptions: LineAdmitOptions = {}): Promise<LinePermit | LineRefusal> {
    const { signal, deadlineAt } = admitOptions;
    const refusedAborted: LineRefusal = { refused: 'aborted', retryAfterMs: 0, expectedWaitMs: 0, ahead: 0 };
    if (signal?.aborted) return Promise.resolve(refusedAborted);
    const now = clock.now();
    const { user } = admitOptions;
    const isBackground = admitOptions.priority === 'background';
    // A user holding its share of places gets no other (a request Claude turned away still has its own).
    if (user !== undefined && admitOptions.order === undefined && (room ? room.queuedBy(user) : queuedBy(user)) >= maxPerUser) {
      const wouldBe = { tag: turnsOf(isBackground).peek(user), order: Number.MAX_SAFE_INTEGER };
      return Promise.resolve(refusal('user-full', wouldBe, aheadOf(wouldBe, isBackground), admitOptions.ticket));
    }
    const kept = admitOptions.order === undefined ? tickets.take(admitOptions.ticket, user, now) : undefined;
    const order = admitOptions.order ?? kept?.order ?? nextOrder();
    // A request Claude turned away takes its user's next turn, not its old one: its first turn was spent (Claude's
    // refusals of a flood's calls, sent before anyone else came, must not put the flood first again). Among its
    // user's own requests of that turn it keeps its first arrival.
    const tag = user === undefined ? 0 : (kept?.tag ?? turnsOf(isBackground).next(user));
    return new Promise((resolve) => {
      // Most requests are let go at once (by the pump below): what only a wait needs (its deadline timer, its abort
      // listener and their closures) is made after that, for the requests that do wait. Issue 29: the line's way in
      // is on every request's path to its first byte.
      const waiter: Waiter = { tag, order, background: isBackground, user, gone: false, resolve };
      laneOf(waiter).push(waiter);
      countWaiting(user, 1);
      backlogSince ??= now;
      pump();
      if (waiter.gone) return;
      const place: TicketPlace = { tag, order, user };
      // It has to wait: not in a full line, and not when its budget is already spent (Claude refused it at the last
      // moment); then it gets a ticket instead of one more wait.
      if ((room ? room.queued() : queued()) > maxQueue) {
        laneOf(waiter).remove(waiter);
        countWaiting(user, -1);
        if (queued() === 0) backlogSince = undefined;
        resolve(refusal('full', place, aheadOf(place, isBackground)));
        return;
      }
      let timer: unknown;
      const leave = (why: 'timeout' | 'aborted') => {
        if (waiter.gone) return;
        laneOf(waiter).remove(waiter);
        countWaiting(user, -1);
        if (queued() === 0) backlogSince = undefined;
        waiter.resolve(why === 'aborted' ? refusedAborted : refusal('timeout', place, aheadOf(place, isBackground)));
      };
      const onAbort = () => leave('aborted');
      // From here on the waiter's way out (its turn, its deadline, its client leaving, a disposed line) ends both.
      waiter.resolve = (outcome) => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      if (deadlineAt !== undefined && deadlineAt <= now) {
        leave('timeout');
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadlineAt !== undefined) timer = clock.setTimeout(() => leave('timeout'), deadlineAt - now);
    });
  }

  return {
    admit,
    stats: () => ({
      active: control.inFlight, queued: queued(), limit: control.limit, share: control.share,
      // The control moves a window that has ended to probing at its next turn; a line nobody uses takes none, and
      // would read closed (and never idle, see lines.ts) for ever.
      state: control.state === 'closed' && clock.now() >= control.reopenAt ? 'probing' : control.state,
    }),
    pump,
    queuedBy,
    head() {
      const first = interactive.peek() ?? background.peek();
      return first ? [first.background ? 1 : 0, first.order] : undefined;
    },
    dispose() {
      disposed = true;
      for (const timer of graceTimers) clock.clearTimeout(timer);
      graceTimers.clear();
      clock.clearTimeout(windowTimer);
      windowTimer = undefined;
      clock.clearTimeout(heldTimer);
      heldTimer = undefined;
      // Not `aborted`: their clients are still there, and another instance can serve them (a shutdown, a deploy).
      // A client that left has already left the line (its abort listener runs at once).
      for (const lane of [interactive, background]) {
        for (let w = lane.shift(); w; w = lane.shift()) {
          w.gone = true;
          countWaiting(w.user, -1);
          w.resolve({ refused: 'closing', retryAfterMs: MIN_RETRY_AFTER_MS, expectedWaitMs: 0, ahead: 0 });
        }
      }
    },
  };
}
