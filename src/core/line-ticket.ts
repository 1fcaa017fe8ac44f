/**
 * The kit's handler keeps one line toward Claude. When a request's turn is further off than the handler can hold it,
 * the handler answers 529 with a ticket and the request's place; a request that echoes the ticket on its next try
 * keeps its place. These are the header names (the handler imports them from here) and the browser's side of it.
 * Other clients never send the ticket header, so they see a plain Anthropic 529 with `retry-after`.
 */
import { readHeader } from './backoff.js';

/** Request: `new`, or the ticket from the previous 529. Response: the ticket to send on the next try. */
export const TICKET_HEADER = 'x-claude-kit-ticket';
/** Response: requests ahead of this one in line (an integer ≥ 0). */
export const AHEAD_HEADER = 'x-claude-kit-line-ahead';
/** Response: the expected wait for this request's turn from now, in ms (an integer ≥ 0). */
export const EXPECTED_WAIT_HEADER = 'x-claude-kit-expected-wait-ms';
/**
 * Request: `background` for work nobody is watching; the handler's line lets interactive requests go first. Any
 * other value, or none, is interactive.
 */
export const PRIORITY_HEADER = 'x-claude-kit-priority';
/** Response: the model that answered, when the handler's fallback chain moved the request to another one. */
export const MODEL_FALLBACK_HEADER = 'x-claude-kit-model-fallback';

import type { LinePlace } from './types.js';
export type { LinePlace };

/** One request's ticket, carried from attempt to attempt, and its lane in the handler's line. */
export interface LineTicket {
  value: string;
  /** Sent as `x-claude-kit-priority` when `background`. Defaults to interactive. */
  readonly priority?: 'interactive' | 'background';
  /**
   * When the line first named this request's turn, the turn it last named, how many in a row came and went, and the
   * turn shown instead once they did (see turnToShow).
   */
  since?: number;
  named?: number;
  missed?: number;
  shown?: number;
}

export const newLineTicket = (priority?: 'interactive' | 'background'): LineTicket =>
  (priority === undefined ? { value: 'new' } : { value: 'new', priority });

const count = (raw = ''): number | undefined => (/^\s*\d{1,12}\s*$/.test(raw) ? Number(raw) : undefined);

/** The place the handler's 529 names, if it names one. */
export function readLinePlace(headers: unknown): LinePlace | undefined {
  const ahead = count(readHeader(headers, AHEAD_HEADER));
  const expectedWaitMs = count(readHeader(headers, EXPECTED_WAIT_HEADER));
  if (ahead === undefined && expectedWaitMs === undefined) return undefined;
  return { ...(ahead !== undefined && { ahead }), ...(expectedWaitMs !== undefined && { expectedWaitMs }) };
}

/** Keeps the ticket a 529 handed out, for the request's next try. */
export function keepTicket(ticket: LineTicket, headers: Headers): void {
  const value = headers.get(TICKET_HEADER)?.trim();
  if (value && value.length <= 64) ticket.value = value;
}

/**
 * The wait to show for the turn the handler's line just named (`place`, from its 529), by what became of the turns it
 * named before for this request. Turns that came and went twice in a row (an outage: the line's next probe is all it
 * can name) are followed by one shown no sooner than the request has already waited in line, and a turn so shown
 * stands until it has passed: "about 1 s" again every second is a promise broken every second, and a countdown that
 * jumps back up mid-way is no better. A line that moves names turns that hold, or miss once near the end: those are
 * shown as named. Only what the person is shown changes; the request goes back to its place as the handler says.
 */
export function turnToShow(ticket: LineTicket, place: LinePlace | undefined, now: number): LinePlace | undefined {
  const wait = place?.expectedWaitMs;
  if (wait === undefined) return place;
  ticket.since ??= now;
  ticket.missed = ticket.named !== undefined && now >= ticket.named ? (ticket.missed ?? 0) + 1 : 0;
  ticket.named = now + wait;
  if (ticket.missed < 2) return place;
  ticket.shown = ticket.shown !== undefined && ticket.shown > now ? ticket.shown : now + Math.max(wait, now - ticket.since);
  return { ...place, expectedWaitMs: ticket.shown - now };
}
