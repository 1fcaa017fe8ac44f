/**
 * Tickets: a refused request's place in line, kept for its return. A ticket is an unguessable string mapped to the
 * place in this process, so a client cannot jump the line by inventing one; an unknown or expired ticket simply
 * joins at the back. Each ticket is used once. At most `maxTickets` are kept, the oldest dropped first.
 *
 * A ticket given to a user (the handler's `userKey`) keeps a place for that user only: presented with another user's
 * key it gives no place, and stays its owner's. One user holds at most `maxPerUser` tickets, its own oldest dropped
 * first; when every ticket is taken, the user holding the most gives up its oldest, so one user's flood of refusals
 * cannot push out anyone else's ticket.
 */
import type { Place } from './order-heap.js';

/** The place a ticket keeps, and the user it was given to (undefined: a line that does not tell users apart). */
export interface TicketPlace extends Place {
  readonly user?: string;
}

export interface Tickets {
  issue(place: TicketPlace, expiresAt: number, now: number): string;
  /**
   * The place the ticket keeps, once; undefined for no ticket, an unknown one, an expired one, or one given to
   * another user (that one stays its owner's).
   */
  take(ticket: string | undefined, user: string | undefined, now: number): TicketPlace | undefined;
}

const defaultTicket = () => globalThis.crypto.randomUUID();

interface Kept extends TicketPlace {
  readonly expiresAt: number;
}

export function createTickets(maxTickets: number, newTicket: () => string = defaultTicket, maxPerUser = maxTickets): Tickets {
  const kept = new Map<string, Kept>();
  // Each user's tickets, oldest first (users only: a line that does not tell users apart has none).
  const byUser = new Map<string, Set<string>>();

  function drop(ticket: string): void {
    const entry = kept.get(ticket);
    kept.delete(ticket);
    if (entry?.user === undefined) return;
    const own = byUser.get(entry.user);
    own?.delete(ticket);
    if (own?.size === 0) byUser.delete(entry.user);
  }

  /** The oldest ticket of the user holding the most. */
  function heaviestOldest(): string | undefined {
    let most: Set<string> | undefined;
    for (const own of byUser.values()) if (!most || own.size > most.size) most = own;
    return most?.values().next().value;
  }

  return {
    issue(place, expiresAt, now) {
      // Insertion order is roughly expiry order: drop expired ones from the front, then the oldest past the bound
      // (with users, the oldest of the user holding the most).
      for (const [key, entry] of kept) {
        if (entry.expiresAt > now && kept.size < maxTickets) break;
        drop(entry.expiresAt <= now || entry.user === undefined ? key : (heaviestOldest() ?? key));
      }
      const { user } = place;
      const own = user === undefined ? undefined : byUser.get(user);
      if (own && own.size >= maxPerUser) drop(own.values().next().value!);
      const ticket = newTicket();
      kept.set(ticket, { tag: place.tag, order: place.order, user, expiresAt });
      if (user !== undefined) {
        if (own && own.size > 0) own.add(ticket);
        else byUser.set(user, new Set([ticket]));
      }
      return ticket;
    },
    take(ticket, user, now) {
      if (ticket === undefined) return undefined;
      const entry = kept.get(ticket);
      if (!entry || entry.user !== user) return undefined;
      drop(ticket);
      return entry.expiresAt > now ? entry : undefined;
    },
  };
}
