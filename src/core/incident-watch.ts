import { systemClock, type Clock } from './clock.js';
import type { DemandStore } from './demand.js';
import { affectsClaudeApi, isApiComponentDegraded, type StatusReport } from './status-page.js';
import type { StatusIncident } from './types.js';

export interface IncidentWatchOptions {
  /** How long a cleared incident stays on screen as "Resolved". Defaults to 60 s. */
  resolvedNoticeMs?: number;
  /** Called when an incident touching the Claude API appears, changes status, or clears (then with status `resolved`). */
  onIncident?: (incident: StatusIncident) => void;
  clock?: Clock;
}

export interface IncidentWatch {
  /** Feeds one fresh status report (from `createStatusHandler`, polled however the app likes). */
  report(report: StatusReport): void;
  /** Stops the "Resolved" timer and takes the incident off the demand summary. The watch stays usable. */
  dispose(): void;
}

/** The incident the kit shows: one touching the API, or, when only the API component is degraded, that fact. */
export function incidentOf(report: StatusReport): StatusIncident | undefined {
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
 * Turns status reports into the demand summary's `incident` (level `incident`): shown while it lasts, then as
 * resolved for a minute. `onIncident` hears each new incident or status once, not each poll. Options are read at
 * call time, so an adapter may update them in place.
 */
export function createIncidentWatch(demand: DemandStore, options: IncidentWatchOptions = {}): IncidentWatch {
  let shown: StatusIncident | undefined;
  let timer: unknown;
  const clock = () => options.clock ?? systemClock;
  const clear = () => {
    if (timer !== undefined) clock().clearTimeout(timer);
    timer = undefined;
  };
  const identity = (incident: StatusIncident | undefined) => (incident ? `${incident.name}|${incident.status}` : '');

  return {
    report(report) {
      const incident = incidentOf(report);
      if (incident) {
        if (identity(incident) === identity(shown)) return;
        clear();
        shown = incident;
        demand.setIncident(incident);
        options.onIncident?.(incident);
        return;
      }
      if (!shown) return;
      const resolved = { ...shown, status: 'resolved' };
      shown = undefined;
      demand.setIncident(resolved);
      options.onIncident?.(resolved);
      clear();
      timer = clock().setTimeout(() => {
        timer = undefined;
        demand.setIncident(undefined);
      }, options.resolvedNoticeMs ?? 60_000);
    },
    dispose() {
      clear();
      shown = undefined;
      demand.setIncident(undefined);
    },
  };
}
