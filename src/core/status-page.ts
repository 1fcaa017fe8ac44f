import type { StatusIncident } from './types.js';

/**
 * Anthropic's status page (an Atlassian Statuspage) read into what the kit shows. Hand-written guards instead of a
 * schema library: this file ships to browsers, and every field is optional in practice anyway.
 */

/** Statuspage's overall indicator; anything it may add later reads as 'unknown'. */
export type StatusIndicator = 'none' | 'minor' | 'major' | 'critical' | 'unknown';

/** An unresolved incident as listed on the page, with the names of the components it names (possibly none). */
export interface StatusPageIncident extends StatusIncident {
  components: string[];
}

export interface StatusSummary {
  indicator: StatusIndicator;
  /** Statuspage's own words, e.g. "All Systems Operational"; '' when absent. */
  description: string;
  /** The component whose name starts with "Claude API"; status is kept verbatim (operational, partial_outage, …). */
  api?: { name: string; status: string };
  incidents: StatusPageIncident[];
  /** Epoch ms of the page's last update. */
  updatedAt?: number;
  pageUrl?: string;
}

/** What `createStatusHandler` answers: the summary plus how fresh it is. */
export interface StatusReport extends StatusSummary {
  /** True when the upstream failed and this is the last good copy. */
  stale: boolean;
  /** Epoch ms when the upstream gave this copy. */
  fetchedAt: number;
}

export type StatusPageErrorKind = 'malformed' | 'challenge' | 'http' | 'timeout' | 'network';

export class StatusPageError extends Error {
  override readonly name = 'StatusPageError';
  readonly kind: StatusPageErrorKind;
  /** The HTTP status, when a response arrived. */
  readonly status?: number;

  constructor(kind: StatusPageErrorKind, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    if (options?.status !== undefined) this.status = options.status;
  }

  /** Anything thrown while fetching or reading the page, as a StatusPageError (aborts read as timeouts). */
  static from(error: unknown): StatusPageError {
    if (error instanceof StatusPageError) return error;
    const name = typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new StatusPageError('timeout', 'The status page did not answer in time', { cause: error });
    }
    return new StatusPageError('network', 'The status page could not be reached', { cause: error });
  }
}

const API_COMPONENT_PREFIX = 'Claude API';
const INDICATORS: readonly string[] = ['none', 'minor', 'major', 'critical'];
const ENDED_INCIDENT_STATUSES: readonly string[] = ['resolved', 'postmortem', 'completed'];
// A JSON object with none of these is some other API's answer (an error body, say), not a sparse summary.
const SUMMARY_KEYS: readonly string[] = ['page', 'status', 'components', 'incidents'];
const IMPACT_RANK: Record<string, number> = { critical: 4, major: 3, minor: 2, none: 1 };
// Cloudflare marks challenge responses with `cf-mitigated: challenge`; older pages only show these in the markup.
const CHALLENGE_MARKERS = /cf-chl|challenge-platform|just a moment/i;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function time(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

// The url ends up in an href: only http(s) may pass, whatever the upstream (or a proxy in between) sends.
function httpUrl(value: unknown): string | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  try {
    const { protocol } = new URL(text);
    return protocol === 'https:' || protocol === 'http:' ? text : undefined;
  } catch {
    return undefined;
  }
}

function newestBody(updates: unknown[]): string | undefined {
  let newest: { body: string; at: number } | undefined;
  for (const update of updates) {
    if (!isObject(update)) continue;
    const body = str(update.body)?.trim();
    if (!body) continue;
    const at = time(update.display_at) ?? time(update.created_at) ?? Number.NEGATIVE_INFINITY;
    // Statuspage lists newest first, so on equal (or missing) times the earlier entry wins.
    if (newest === undefined || at > newest.at) newest = { body, at };
  }
  return newest?.body;
}

function componentNames(value: unknown): string[] {
  return list(value).flatMap((entry) => {
    const name = typeof entry === 'string' ? entry : isObject(entry) ? str(entry.name) : undefined;
    return name === undefined ? [] : [name];
  });
}

// Incidents without a name are dropped rather than given invented copy; the API component still tells the story.
function toIncident(raw: unknown, pageUrl: string | undefined): StatusPageIncident[] {
  if (!isObject(raw)) return [];
  const name = str(raw.name)?.trim();
  if (!name) return [];
  const id = str(raw.id);
  const incident: StatusPageIncident = {
    name,
    status: str(raw.status) ?? 'unknown',
    impact: str(raw.impact) ?? 'unknown',
    components: componentNames(raw.components),
  };
  const url =
    httpUrl(raw.url) ?? httpUrl(raw.shortlink) ?? (pageUrl && id ? httpUrl(`${pageUrl}/incidents/${id}`) : undefined);
  const latestUpdate = str(raw.latestUpdate) ?? newestBody(list(raw.incident_updates));
  const startedAt = time(raw.startedAt) ?? time(raw.started_at) ?? time(raw.created_at);
  if (url !== undefined) incident.url = url;
  if (latestUpdate !== undefined) incident.latestUpdate = latestUpdate;
  if (startedAt !== undefined) incident.startedAt = startedAt;
  return [incident];
}

function toIndicator(value: unknown): StatusIndicator {
  return typeof value === 'string' && INDICATORS.includes(value) ? (value as StatusIndicator) : 'unknown';
}

/**
 * Reads a Statuspage v2 `summary.json`, or the kit's own normalised summary (what `createStatusHandler` serves), into
 * a StatusSummary. Missing fields are left out; unknown values are kept or read as 'unknown'.
 * @throws StatusPageError ('malformed') when the value is not a summary at all.
 */
export function parseStatusSummary(json: unknown): StatusSummary {
  const normalised = isObject(json) && typeof json.indicator === 'string';
  if (!isObject(json) || (!normalised && !SUMMARY_KEYS.some((key) => key in json))) {
    throw new StatusPageError('malformed', 'The status page answered with something other than a summary');
  }
  const page = isObject(json.page) ? json.page : {};
  const status = isObject(json.status) ? json.status : {};
  const pageUrl = httpUrl(normalised ? json.pageUrl : page.url);
  const summary: StatusSummary = {
    indicator: toIndicator(normalised ? json.indicator : status.indicator),
    description: str(normalised ? json.description : status.description) ?? '',
    incidents: list(json.incidents).flatMap((raw) => toIncident(raw, pageUrl)),
  };
  const api = normalised
    ? isObject(json.api) ? json.api : undefined
    : list(json.components).find((c): c is Json => isObject(c) && !!str(c.name)?.startsWith(API_COMPONENT_PREFIX));
  const apiName = str(api?.name);
  if (apiName !== undefined) summary.api = { name: apiName, status: str(api?.status) ?? 'unknown' };
  const updatedAt = normalised ? time(json.updatedAt) : time(page.updated_at);
  if (updatedAt !== undefined) summary.updatedAt = updatedAt;
  if (pageUrl !== undefined) summary.pageUrl = pageUrl;
  return summary;
}

/** Reads what `createStatusHandler` serves. @throws StatusPageError ('malformed') */
export function parseStatusReport(json: unknown): StatusReport {
  const summary = parseStatusSummary(json);
  const fetchedAt = isObject(json) ? time(json.fetchedAt) : undefined;
  if (fetchedAt === undefined) throw new StatusPageError('malformed', 'The status report has no fetchedAt');
  return { ...summary, stale: isObject(json) && json.stale === true, fetchedAt };
}

async function readStatusJson(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw StatusPageError.from(error);
  }
  const status = response.status;
  const html = /html/i.test(response.headers.get('content-type') ?? '') || text.trimStart().startsWith('<');
  if (response.headers.get('cf-mitigated') === 'challenge' || (html && CHALLENGE_MARKERS.test(text))) {
    throw new StatusPageError('challenge', 'The status page answered with a bot challenge', { status });
  }
  if (!response.ok) throw new StatusPageError('http', `The status page answered HTTP ${status}`, { status });
  // An HTML page with a 2xx status is an interstitial (captive portal, proxy login), never a summary.
  if (html) throw new StatusPageError('challenge', 'The status page answered with an HTML page', { status });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StatusPageError('malformed', 'The status page answered with invalid JSON', { status, cause: error });
  }
}

/** Reads a status page (or status handler) Response. @throws StatusPageError on HTML, non-JSON or non-2xx. */
export async function readStatusSummary(response: Response): Promise<StatusSummary> {
  return parseStatusSummary(await readStatusJson(response));
}

/** Reads a `createStatusHandler` Response. @throws StatusPageError */
export async function readStatusReport(response: Response): Promise<StatusReport> {
  return parseStatusReport(await readStatusJson(response));
}

export function isIncidentOngoing(incident: StatusIncident): boolean {
  return !ENDED_INCIDENT_STATUSES.includes(incident.status);
}

/** True when the Claude API component is listed and reports anything but "operational". */
export function isApiComponentDegraded(summary: StatusSummary): boolean {
  return summary.api !== undefined && summary.api.status !== 'operational';
}

/**
 * The ongoing incident that touches the Claude API, the most severe first: one that names the API component, or,
 * while the API component is degraded, one that names no component at all (its scope is unknown).
 */
export function affectsClaudeApi(summary: StatusSummary): StatusPageIncident | undefined {
  const apiDegraded = isApiComponentDegraded(summary);
  let found: StatusPageIncident | undefined;
  for (const incident of summary.incidents) {
    if (!isIncidentOngoing(incident)) continue;
    const components = incident.components ?? [];
    const touches = components.some((name) => name.startsWith(API_COMPONENT_PREFIX));
    if (!touches && !(apiDegraded && components.length === 0)) continue;
    if (found === undefined || (IMPACT_RANK[incident.impact] ?? 0) > (IMPACT_RANK[found.impact] ?? 0)) found = incident;
  }
  return found;
}

/** Whether the status page says the Claude API is not fully working: its component or an ongoing incident. */
export function isClaudeApiDegraded(summary: StatusSummary): boolean {
  return isApiComponentDegraded(summary) || affectsClaudeApi(summary) !== undefined;
}
