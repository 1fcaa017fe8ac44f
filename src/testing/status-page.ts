/**
 * A fake Anthropic status page (Statuspage v2 `summary.json`), so the playground, stories and tests can open and
 * resolve an incident on demand. The shape follows status.claude.com's.
 */
export interface SimulatedIncidentOptions {
  /** Defaults to "Elevated errors on Claude API". */
  name?: string;
  /** investigating, identified, monitoring. Defaults to 'investigating'. */
  status?: string;
  /** minor, major, critical. Defaults to 'major'. */
  impact?: 'minor' | 'major' | 'critical';
  /** The newest update's text. */
  update?: string;
}

export interface StatusPageSimulator {
  /** A Fetch handler answering GET with the summary JSON. */
  fetch(request?: Request | string | URL): Promise<Response>;
  openIncident(options?: SimulatedIncidentOptions): void;
  /** Moves the open incident on (e.g. to 'identified' or 'monitoring') with an update. */
  updateIncident(status: string, update?: string): void;
  resolveIncident(): void;
  /** The summary as served now. */
  summary(): Record<string, unknown>;
}

const PAGE = { id: 'simulated', name: 'Claude', url: 'https://status.claude.com', time_zone: 'Etc/UTC' };
const API = 'Claude API (api.anthropic.com)';
const COMPONENT_STATUS = { minor: 'degraded_performance', major: 'partial_outage', critical: 'major_outage' } as const;

export function createStatusPageSimulator(options: { now?: () => number } = {}): StatusPageSimulator {
  const now = options.now ?? Date.now;
  let counter = 0;
  let incident:
    | { id: string; name: string; status: string; impact: 'minor' | 'major' | 'critical'; startedAt: string; updates: Array<{ status: string; body: string; at: string }> }
    | undefined;

  const iso = () => new Date(now()).toISOString();

  function summary(): Record<string, unknown> {
    const apiStatus = incident ? COMPONENT_STATUS[incident.impact] : 'operational';
    const component = { id: 'api', name: API, status: apiStatus, position: 1, group: false, only_show_if_degraded: false };
    return {
      page: { ...PAGE, updated_at: iso() },
      components: [component],
      incidents: incident
        ? [
            {
              id: incident.id,
              name: incident.name,
              status: incident.status,
              impact: incident.impact,
              shortlink: `https://stspg.io/${incident.id}`,
              created_at: incident.startedAt,
              started_at: incident.startedAt,
              updated_at: iso(),
              incident_updates: [...incident.updates].reverse().map((u, i) => ({
                id: `${incident!.id}-u${i}`,
                status: u.status,
                body: u.body,
                created_at: u.at,
                display_at: u.at,
              })),
              components: [component],
            },
          ]
        : [],
      scheduled_maintenances: [],
      status: incident
        ? { indicator: incident.impact, description: incident.impact === 'minor' ? 'Minor Service Outage' : 'Partial System Outage' }
        : { indicator: 'none', description: 'All Systems Operational' },
    };
  }

  return {
    summary,
    async fetch() {
      return Response.json(summary(), { headers: { 'cache-control': 'no-store' } });
    },
    openIncident({ name = 'Elevated errors on Claude API', status = 'investigating', impact = 'major', update } = {}) {
      counter += 1;
      incident = {
        id: `sim${counter}`,
        name,
        status,
        impact,
        startedAt: iso(),
        updates: [{ status, body: update ?? 'We are currently investigating elevated overloaded errors.', at: iso() }],
      };
    },
    updateIncident(status, update) {
      if (!incident) return;
      incident.status = status;
      incident.updates.push({ status, body: update ?? `The incident is now ${status}.`, at: iso() });
    },
    resolveIncident() {
      incident = undefined;
    },
  };
}
