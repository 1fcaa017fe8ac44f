import { useMemo, useSyncExternalStore } from 'react';
import { NORMAL_DEMAND } from '../core/demand.js';
import type { DemandSnapshot } from '../core/types.js';
import { useClaudeClient } from './context.js';

export interface ClaudeDemand extends DemandSnapshot {
  /** Send every waiting request now, but background work (`priority: 'background'`), which the gate paces. */
  retryNow(): void;
  /** Cancel every waiting request, but background work, which only its own `cancel()` stops. */
  cancel(): void;
  /** Put away an `unavailable` notice. */
  dismiss(): void;
}

/** How Claude is doing for the whole app: one summary of every request, for banners, toasts and alerting. */
export function useClaudeDemand(): ClaudeDemand {
  const { demand } = useClaudeClient();
  const snapshot = useSyncExternalStore(demand.subscribe, demand.getSnapshot, () => NORMAL_DEMAND);
  return useMemo(
    () => ({
      ...snapshot,
      retryNow: demand.retryNow,
      cancel: demand.cancel,
      dismiss: demand.dismiss,
    }),
    [snapshot, demand],
  );
}
