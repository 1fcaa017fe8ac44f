import { useState, type ReactNode } from 'react';
import { escalationMessages } from '../src/core/escalation.js';
import { statusMessages } from '../src/core/incident-watch.js';
import { defaultMessages, mergeMessages } from '../src/core/messages.js';
import { offerMessages } from '../src/core/offers.js';
import type { DemandSnapshot } from '../src/core/types.js';

export const REQUEST_ID = 'req_011CUx7aBcDeFgHiJkLmNoPq';

/**
 * The English copy with every feature's words (escalation, the status page, offers): what `useClaudeMessages()` gives
 * under `<ClaudeProvider features={[escalation(), statusWatch(), fallbackOffers()]}>`.
 */
export const STORY_MESSAGES = mergeMessages(defaultMessages, { ...escalationMessages, ...statusMessages, ...offerMessages });

/** A busy snapshot; `nextAttemptAt` is filled in relative to mount time by `useDemandAt`. */
export function busyDemand(overrides: Partial<DemandSnapshot> = {}): DemandSnapshot {
  return {
    level: 'busy',
    since: 1,
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

export { NORMAL_DEMAND as NORMAL } from '../src/core/demand.js';

/** Pins `nextAttemptAt` to `retryInSeconds` after the story mounts, so every visit starts the same countdown. */
export function useDemandAt(demand: DemandSnapshot, retryInSeconds: number | undefined): DemandSnapshot {
  const [mountedAt] = useState(() => Date.now());
  return retryInSeconds === undefined ? demand : { ...demand, nextAttemptAt: mountedAt + retryInSeconds * 1000 };
}

/** A bit of app around the component, so stories and screenshots show it in context. */
export function AppFrame({ children }: { children?: ReactNode }) {
  return (
    <div className="sb-app">
      {children}
      <div className="sb-card">
        <h2>Draft a reply</h2>
        <p>Summarise the customer's last three messages and suggest a friendly answer.</p>
      </div>
    </div>
  );
}
