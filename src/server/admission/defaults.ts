/** The handler's defaults for its line toward Claude, in one place so the handler and the benchmark agree. */

/** How long a request waits in line, Claude's refusals included, before the browser gets a 529 with a ticket. */
export const DEFAULT_HOLD_MS = 25_000;
/**
 * The kit's own browser transport is answered sooner, with its place in line and a ticket to keep it, so the person
 * reads "You're in line — about 40 s" within seconds instead of watching a request hang for the whole hold.
 */
export const DEFAULT_LINE_UPDATE_MS = 8_000;
/**
 * A request's first arrival is answered sooner still: the person hears within about a second that Claude is busy and
 * where they stand, whatever the hold; the request comes straight back with its ticket and keeps its place.
 */
export const FIRST_LINE_UPDATE_MS = 1_000;

/**
 * How long the handler holds a request of the kit's own transport before it tells it its place: a second on its
 * first arrival (no ticket yet), `lineUpdateMs` on its returns. The bench models the handler with the same rule.
 */
export function lineUpdateAfterMs(lineUpdateMs: number, returning: boolean): number {
  return returning ? lineUpdateMs : Math.min(lineUpdateMs, FIRST_LINE_UPDATE_MS);
}
/** The shortest closed window after a wave of refusals; it doubles while probes are refused, up to the longest. */
export const DEFAULT_MIN_CLOSED_MS = 1_000;
/**
 * The longest closed window: while Claude keeps refusing, one probe goes at least this often, so a request waiting in
 * line is sent again within about this long of Claude's return (a window of 15 s kept requests waiting up to 15 s
 * after Claude answered again). A probe costs one call; recovery is worth it.
 */
export const DEFAULT_MAX_CLOSED_MS = 2_000;
/** The line's starting limit on calls in flight; it adapts from there, without a ceiling. */
export const DEFAULT_INITIAL_LIMIT = 32;
/** Requests waiting in line in one process; one more is answered 529 at once, with a ticket. */
export const DEFAULT_MAX_QUEUE = 1000;
/** The window over which a line measures the rate Claude takes its calls, to turn a place into an expected wait. */
export const RATE_WINDOW_MS = 10_000;
/**
 * The longest expected wait a line names. Its rate of calls decays over RATE_WINDOW_MS, so minutes into an outage it
 * is nearly zero and a place in line would read as days or centuries (or Infinity); past an hour the recent rate
 * says nothing of a turn, and the kit's browser transport shows "about an hour".
 */
export const MAX_EXPECTED_WAIT_MS = 3_600_000;
/**
 * The longest delay setTimeout can wait: past 2^31 − 1 ms (about 24.8 days) every runtime fires the timer at once, so
 * a wait that long would end every request at once. Durations the handler sets timers for are held to it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
