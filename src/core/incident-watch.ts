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
  /**
   * Stops the "Resolved" timer and takes the incident off the demand summary, unless another watch of that summary
   * still shows one. The watch stays usable.
   */
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

/** The watches feeding each demand summary, each with what it has put on it (see `dispose`). */
const watchesOf = new WeakMap<DemandStore, Set<() => StatusIncident | undefined>>();

/**
 * Turns status reports into the demand summary's `incident` (level `incident`): shown while it lasts, then as
 * resolved for a minute. `onIncident` hears each new incident or status once, not each poll. Options are read at
 * call time, so an adapter may update them in place.
 */
export function createIncidentWatch(demand: DemandStore, options: IncidentWatchOptions = {}): IncidentWatch {
  let shown: StatusIncident | undefined;
  // What this watch last put on the summary: the incident, or its "Resolved" notice while that lasts.
  let onSummary: StatusIncident | undefined;
  let timer: unknown;
  const mine = () => onSummary;
  let watches = watchesOf.get(demand);
  if (!watches) watchesOf.set(demand, (watches = new Set()));
  const siblings = watches;
  const show = (incident: StatusIncident | undefined) => {
    onSummary = incident;
    siblings.add(mine); // again after a dispose: StrictMode's rehearsal unmount disposes a watch that lives on
    demand.setIncident(incident);
  };
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
        show(incident);
        options.onIncident?.(incident);
        return;
      }
      if (!shown) return;
      const resolved = { ...shown, status: 'resolved' };
      shown = undefined;
      show(resolved);
      options.onIncident?.(resolved);
      clear();
      timer = clock().setTimeout(() => {
        timer = undefined;
        show(undefined);
      }, options.resolvedNoticeMs ?? 60_000);
    },
    dispose() {
      clear();
      shown = onSummary = undefined;
      // Another watch of the same summary (a second useAnthropicStatus) still reads the page, and would not say its
      // incident again until it changes: clearing the summary here would hide a live incident from everyone.
      siblings.delete(mine);
      let left: StatusIncident | undefined;
      for (const other of siblings) left ??= other();
      demand.setIncident(left);
    },
  };
}
