import { escalationMessages } from '../../src/core/escalation.js';
import { statusMessages } from '../../src/core/incident-watch.js';
import { defaultMessages, mergeMessages } from '../../src/core/messages.js';
import { offerMessages } from '../../src/core/offers.js';
import type { DemandSnapshot } from '../../src/core/types.js';

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const REQUEST_ID = 'req_011CUx7aBcDeFgHiJkLmNoPq';

/** A busy snapshot waiting for its next attempt in `seconds`, measured from NOW. */
export function demandOf(overrides: Partial<DemandSnapshot> = {}, seconds = 8): DemandSnapshot {
  return {
    level: 'busy',
    since: NOW - 5_000,
    nextAttemptAt: NOW + seconds * 1000,
    waiting: 1,
    inFlight: 0,
    retrying: false,
    attempt: 2,
    lastFailureKind: 'overloaded',
    lastRequestId: REQUEST_ID,
    escalation: 'none',
    ...overrides,
  };
}

export { NORMAL_DEMAND as NORMAL } from '../../src/core/demand.js';

/** What must never reach the screen: status codes and API error types. */
export const RAW_CODES = ['529', '429', '500', '503', 'overloaded_error', 'rate_limit_error', 'api_error'];

/** The English copy with every feature's words (escalation, status page, offers), as a provider with all three has. */
export const WORDS = mergeMessages(defaultMessages, { ...escalationMessages, ...statusMessages, ...offerMessages });
