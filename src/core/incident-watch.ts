import { systemClock, type Clock } from './clock.js';
import type { DemandStore } from './demand.js';
import type { ClaudeFeature } from './features.js';
import type { ClaudeMessages } from './messages.js';
import { affectsClaudeApi, isApiComponentDegraded, type StatusReport } from './status-page.js';
import type { StatusIncident } from './types.js';

/** The status page's words (English); override them through the provider's `messages`. */
export const statusMessages: Pick<ClaudeMessages, 'incidentHeadline' | 'incidentResolvedHeadline' | 'incident' | 'incidentStatus'> = {
  incidentHeadline: 'Claude is having a service disruption.',
  incidentResolvedHeadline: 'Anthropic reports the disruption is over.',
  incident: (name, status) => `Anthropic reports: ${name} — ${status}`,
  incidentStatus: {
    investigating: 'Investigating',
    identified: 'Cause identified',
    monitoring: 'Monitoring a fix',
    resolved: 'Resolved',
    postmortem: 'Resolved',
  },
};

/** Each demand summary's way to show an incident, there once `statusWatch()` is one of its client's features. */
const incidentSetters = new WeakMap<DemandStore, (incident: StatusIncident | undefined) => void>();

/**
 * The status page's incidents in the demand summary, as a feature: an incident touching the Claude API puts the
 * summary at level `incident` (the banner names it and links it), and its words come with it. Feed it with
 * `useAnthropicStatus()` (React) or `createIncidentWatch(client.demand)` and your own polling.
 */
export function statusWatch(): ClaudeFeature {
  return {
    name: 'status',
    messages: statusMessages,
    setup({ demand }) {
      let incident: StatusIncident | undefined;
      incidentSetters.set(demand, (next) => {
        incident = next;
        demand.invalidate();
      });
      demand.extend({
        refine(draft, { personal }) {
          if (!incident) return;
          draft.incident = incident;
          // A resolved incident is no news while the person's own requests still wait: "the disruption is over" beside
          // "Retrying in 4 s" says two things at once. Their wait is what they are told until it ends. Offline and
          // given up say more than the incident does.
          const outranked = draft.level === 'offline' || draft.level === 'unavailable';
          if (!outranked && !(incident.status === 'resolved' && personal)) draft.level = 'incident';
        },
      });
    },
  };
}

function incidentSetterOf(demand: DemandStore): (incident: StatusIncident | undefined) => void {
  const set = incidentSetters.get(demand);
  if (set) return set;
  throw new TypeError("The status watch needs statusWatch() (claude-overload-kit/status) in the client's or provider's features.");
}

/**
 * Sets (or clears) the incident on a demand summary whose client has the `statusWatch()` feature: for an app that
 * reads the status page its own way. @throws TypeError without the feature.
 */
export function setIncident(demand: DemandStore, incident: StatusIncident | undefined): void {
  incidentSetterOf(demand)(incident);
}

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
  const setOnSummary = incidentSetterOf(demand);
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
    setOnSummary(incident);
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
      setOnSummary(left);
    },
  };
}
