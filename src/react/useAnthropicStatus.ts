import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { affectsClaudeApi, isApiComponentDegraded, readStatusReport, type StatusReport } from '../core/status-page.js';
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

/** The incident the kit shows: one touching the API, or, when only the API component is degraded, that fact. */
function incidentOf(report: StatusReport): StatusIncident | undefined {
  const incident = affectsClaudeApi(report);
  if (incident) {
    const { components: _components, ...shown } = incident;
    return shown;
  }
  if (report.api && isApiComponentDegraded(report)) {
    return { name: report.api.name, status: report.api.status, impact: 'minor', url: report.pageUrl };
  }
  return undefined;
}

/**
 * Watches Anthropic's status page through the app's status route: every 60 s, every 15 s while requests are in
 * trouble, not while the tab is hidden (React Query's default). An incident touching the Claude API puts the demand
 * summary at level `incident`, so the banner names it and links it; when it clears, it shows as resolved for a minute.
 */
export function useAnthropicStatus(options: AnthropicStatusOptions = {}): UseQueryResult<StatusReport> & { incident?: StatusIncident } {
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

  const incident = query.data ? incidentOf(query.data) : undefined;
  const identity = incident ? `${incident.name}|${incident.status}` : '';
  const shown = useRef<StatusIncident | undefined>(undefined);
  const onIncident = useRef(options.onIncident);
  onIncident.current = options.onIncident;

  useEffect(() => {
    if (!query.isSuccess) return undefined;
    const previous = shown.current;
    if (incident) {
      shown.current = incident;
      client.demand.setIncident(incident);
      onIncident.current?.(incident);
      return undefined;
    }
    if (!previous) return undefined;
    const resolved = { ...previous, status: 'resolved' };
    shown.current = undefined;
    client.demand.setIncident(resolved);
    onIncident.current?.(resolved);
    const timer = setTimeout(() => client.demand.setIncident(undefined), resolvedNoticeMs);
    return () => clearTimeout(timer);
    // `identity` stands for `incident`: refire only when the incident or its status changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [identity, query.isSuccess, client, resolvedNoticeMs]);

  useEffect(() => () => client.demand.setIncident(undefined), [client]);

  return Object.assign(query, { incident });
}
