/**
 * What the handler tells the kit's own browser transport on its 529s, beyond Anthropic's headers: the place in line
 * and the expected turn, and a ticket to keep the place. Only a request that asks (it sends `x-claude-kit-ticket`,
 * `new` the first time) gets them; an official SDK or any other client sees a plain Anthropic 529 with retry-after.
 */
import { AHEAD_HEADER, EXPECTED_WAIT_HEADER, MODEL_FALLBACK_HEADER, PRIORITY_HEADER, TICKET_HEADER } from '../../core/line-ticket.js';

import type { Refusal } from '../store/types.js';

// The names live in core, where the browser's transport reads them too.
export { AHEAD_HEADER, EXPECTED_WAIT_HEADER, MODEL_FALLBACK_HEADER, PRIORITY_HEADER, TICKET_HEADER };

/** Every response header above, for CORS `access-control-expose-headers`. */
export const LINE_HEADERS: readonly string[] = [TICKET_HEADER, AHEAD_HEADER, EXPECTED_WAIT_HEADER];

/** The longest ticket accepted from a request: anything longer is not one of ours. */
const MAX_TICKET_LENGTH = 64;

/** What the request says about the line: whether it wants hints, and the ticket it echoes, if any. */
export function lineRequestOf(request: Request): { hints: boolean; ticket?: string } {
  const raw = request.headers.get(TICKET_HEADER);
  if (raw === null) return { hints: false };
  const ticket = raw.trim();
  return ticket && ticket !== 'new' && ticket.length <= MAX_TICKET_LENGTH ? { hints: true, ticket } : { hints: true };
}

/** The request's lane in line: `x-claude-kit-priority: background` (any client may send it), else interactive. */
export function priorityOf(request: Request): 'interactive' | 'background' {
  return request.headers.get(PRIORITY_HEADER)?.trim().toLowerCase() === 'background' ? 'background' : 'interactive';
}

/** The hint headers for a refusal, for a request that asked for them; none otherwise. */
export function lineHintHeaders(refusal: Refusal, hints: boolean): Record<string, string> {
  if (!hints) return {};
  const out: Record<string, string> = {};
  if (refusal.ticket !== undefined) out[TICKET_HEADER] = refusal.ticket;
  if (refusal.ahead !== undefined) out[AHEAD_HEADER] = String(Math.max(0, Math.round(refusal.ahead)));
  if (refusal.expectedWaitMs !== undefined) out[EXPECTED_WAIT_HEADER] = String(Math.max(0, Math.round(refusal.expectedWaitMs)));
  return out;
}
