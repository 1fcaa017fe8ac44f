/**
 * Tickets: a refused request's place in line, kept for its return. A ticket is an unguessable string mapped to the
 * place in this process, so a client cannot jump the line by inventing one; an unknown or expired ticket simply
 * joins at the back. Each ticket is used once. At most `maxTickets` are kept, the oldest dropped first.
 */
export interface Tickets {
  issue(order: number, expiresAt: number, now: number): string;
  /** The place the ticket keeps, once; undefined for no ticket, an unknown one, or an expired one. */
  take(ticket: string | undefined, now: number): number | undefined;
}

const defaultTicket = () => globalThis.crypto.randomUUID();

export function createTickets(maxTickets: number, newTicket: () => string = defaultTicket): Tickets {
  const kept = new Map<string, { order: number; expiresAt: number }>();
  return {
    issue(order, expiresAt, now) {
      // Insertion order is roughly expiry order: drop expired ones from the front, then the oldest past the bound.
      for (const [key, entry] of kept) {
        if (entry.expiresAt > now && kept.size < maxTickets) break;
        kept.delete(key);
      }
      const ticket = newTicket();
      kept.set(ticket, { order, expiresAt });
      return ticket;
    },
    take(ticket, now) {
      if (ticket === undefined) return undefined;
      const entry = kept.get(ticket);
      if (!entry) return undefined;
      kept.delete(ticket);
      return entry.expiresAt > now ? entry.order : undefined;
    },
  };
}
