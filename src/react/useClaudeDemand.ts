import { useMemo, useSyncExternalStore } from 'react';
import type { DemandSnapshot } from '../core/types.js';
import { useClaudeClient } from './context.js';

export interface ClaudeDemand extends DemandSnapshot {
  /** Send every waiting request now. */
  retryNow(): void;
  /** Cancel every waiting request. */
  cancel(): void;
  /** Put away an `unavailable` notice. */
  dismiss(): void;
}

const SERVER_SNAPSHOT: DemandSnapshot = Object.freeze({ level: 'normal', waiting: 0, inFlight: 0, retrying: false, attempt: 0, escalation: 'none' });

/** How Claude is doing for the whole app: one summary of every request, for banners, toasts and alerting. */
export function useClaudeDemand(): ClaudeDemand {
  const { demand } = useClaudeClient();
  const snapshot = useSyncExternalStore(demand.subscribe, demand.getSnapshot, () => SERVER_SNAPSHOT);
  return useMemo(
    () => ({ ...snapshot, retryNow: demand.retryNow, cancel: demand.cancel, dismiss: demand.dismiss }),
    [snapshot, demand],
  );
}
