import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { createIncidentWatch, incidentOf, type IncidentWatchOptions } from '../core/incident-watch.js';
import { readStatusReport, type StatusReport } from '../core/status-page.js';
import type { StatusIncident } from '../core/types.js';
import { useClaudeClient } from './context.js';
import { useClaudeDemand } from './useClaudeDemand.js';

export interface AnthropicStatusOptions {
  /** The app's status route (`createStatusHandler` from `claude-overload-kit/server`). Defaults to `/api/status`. */
  endpoint?: string;
  /** How often to look while all is well. Defaults to 60 s. */
  intervalMs?: number;
  /** How often to look while the demand level is not normal. Defaults to 15 s. */
  busyIntervalMs?: number;
  /** How long a cleared incident stays on screen as "Resolved". Defaults to 60 s. */
  resolvedNoticeMs?: number;
  /** Called when an incident touching the Claude API appears, changes status, or clears (then with status `resolved`). */
  onIncident?: (incident: StatusIncident) => void;
  /** Defaults to true. */
  enabled?: boolean;
  fetch?: typeof fetch;
}

/**
 * Watches Anthropic's status page through the app's status route: every 60 s, every 15 s while requests are in
 * trouble, not while the tab is hidden (React Query's default). An incident touching the Claude API puts the demand
 * summary at level `incident`, so the banner names it and links it; when it clears, it shows as resolved for a minute.
 */
/** React Query's result for the status report, and the incident the kit shows from it. */
export type AnthropicStatusResult = UseQueryResult<StatusReport> & { incident?: StatusIncident };

export function useAnthropicStatus(options: AnthropicStatusOptions = {}): AnthropicStatusResult {
  const { endpoint = '/api/status', intervalMs = 60_000, busyIntervalMs = 15_000, resolvedNoticeMs = 60_000, enabled = true } = options;
  const client = useClaudeClient();
  const { level } = useClaudeDemand();
  const query = useQuery<StatusReport>({
    queryKey: ['claude-overload-kit', 'status', endpoint],
    queryFn: async ({ signal }) => readStatusReport(await (options.fetch ?? globalThis.fetch)(endpoint, { signal })),
    refetchInterval: level === 'normal' ? intervalMs : busyIntervalMs,
    refetchIntervalInBackground: false,
    retry: false,
    enabled,
  });

  // The rule (show, then "Resolved" for a minute, tell onIncident once per change) lives in core; this feeds it.
  const [watchOptions] = useState<IncidentWatchOptions>({});
  watchOptions.onIncident = options.onIncident;
  watchOptions.resolvedNoticeMs = resolvedNoticeMs;
  const [watch] = useState(() => createIncidentWatch(client.demand, watchOptions));
  useEffect(() => {
    if (query.isSuccess) watch.report(query.data);
  }, [query.data, query.isSuccess, watch]);
  useEffect(() => () => watch.dispose(), [watch]);

  const incident = query.data ? incidentOf(query.data) : undefined;
  return Object.assign(query, { incident });
}
