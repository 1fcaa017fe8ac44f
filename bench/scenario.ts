import type { CapacityTimeline } from './claude.js';
import { createRandom } from './virtual-clock.js';

export type ScenarioName = 'backends' | 'browser-tabs' | 'fleet' | 'exogenous';
/** The scenarios a plain `npm run bench` plays: all of them. */
export const SCENARIOS: readonly ScenarioName[] = ['backends', 'browser-tabs', 'fleet', 'exogenous'];
/** Every scenario `--scenario` accepts. */
export const ALL_SCENARIOS: readonly ScenarioName[] = SCENARIOS;

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface Scenario {
  name: ScenarioName;
  seed: number;
  timeline: CapacityTimeline;
  /** Backends (each with its own gate) or browser tabs (one gate each). */
  apps: number;
  /** Requests per second, all apps together. */
  ratePerSec: number;
  /** Backends: users arrive for this long. Tabs open until `apps` of them have. */
  arrivalsMs: number;
  /** A request not answered within this long has failed; it is cancelled then. */
  patienceMs: number;
  /** Service time is log-normal: this median, this sigma, capped at `serviceMaxMs`. */
  serviceMedianMs: number;
  serviceSigma: number;
  serviceMaxMs: number;
  rttMs: number;
  /** The retry-after variant: every 529 carries this. */
  retryAfterMs?: number;
  /** Tabs: share of tabs that send a second request, after a think time with this mean. */
  secondRequestShare: number;
  thinkMeanMs: number;
  bucketMs: number;
  /**
   * Exogenous overload: Claude refuses this share of calls whatever the app's own load (Anthropic-wide load; one app
   * is a small share of it). `baseRate` always, `incidentRate` during the timeline's drop window, back down over its ramp.
   */
  exogenous?: { baseRate: number; incidentRate: number };
}

/** The chance that Claude refuses a call at `ms` for reasons outside the app (exogenous scenario only). */
export function refusalAt(s: Scenario, ms: number): number {
  if (!s.exogenous) return 0;
  const { baseRate, incidentRate } = s.exogenous;
  const { dropStartMs, dropMs, rampMs } = s.timeline;
  const end = dropStartMs + dropMs;
  if (ms < dropStartMs || ms >= end + rampMs) return baseRate;
  if (ms < end) return incidentRate;
  return incidentRate + ((baseRate - incidentRate) * (ms - end)) / rampMs;
}

export type ScenarioOverrides = Partial<Pick<Scenario, 'seed' | 'apps' | 'ratePerSec' | 'retryAfterMs'>> & {
  capacity?: number;
  dropDepth?: number;
  dropMinutes?: number;
  /** How long users keep arriving (backends). */
  arrivalMinutes?: number;
  /** exogenous: the share of calls Claude refuses during the incident. Defaults to 0.35. */
  incidentRate?: number;
};

/**
 * The defaults, chosen so that the drop is hard but physically survivable: normal demand is under half of
 * Claude's capacity, during the drop it is about three times what is left, and a perfect FIFO scheduler still
 * answers everyone within the 10-minute patience (so 100 % success is a fair target, not an impossible one).
 */
export function createScenario(name: ScenarioName, overrides: ScenarioOverrides = {}): Scenario {
  const tabs = name === 'browser-tabs';
  // fleet: the backends' load spread over a few instances of one backend, as behind a load balancer.
  const fleet = name === 'fleet';
  // exogenous: Claude has room for the app all along (no drop in slots), but refuses calls during an incident.
  const exogenous = name === 'exogenous';
  return {
    name,
    seed: overrides.seed ?? 1,
    timeline: {
      slots: overrides.capacity ?? 100,
      dropDepth: overrides.dropDepth ?? (exogenous ? 0 : 0.85),
      dropStartMs: 2 * MINUTE,
      dropMs: (overrides.dropMinutes ?? 3) * MINUTE,
      rampMs: 1 * MINUTE,
    },
    apps: overrides.apps ?? (tabs ? 1000 : fleet ? 8 : 30),
    ratePerSec: overrides.ratePerSec ?? (tabs ? 5 : 6),
    arrivalsMs: (overrides.arrivalMinutes ?? 10) * MINUTE,
    patienceMs: 10 * MINUTE,
    serviceMedianMs: 6 * SECOND,
    serviceSigma: 0.6,
    serviceMaxMs: 2 * MINUTE,
    rttMs: 100,
    retryAfterMs: overrides.retryAfterMs,
    secondRequestShare: tabs ? 0.5 : 0,
    thinkMeanMs: 15 * SECOND,
    bucketMs: 5 * SECOND,
    exogenous: exogenous ? { baseRate: 0.02, incidentRate: overrides.incidentRate ?? 0.35 } : undefined,
  };
}

export interface Session {
  app: number;
  startMs: number;
  /** Sent one after the other; `thinkMs` is the pause after the previous one settled. */
  requests: Array<{ serviceMs: number; thinkMs: number }>;
}

/** The same users for every strategy: arrivals and service times come from the scenario's seed alone. */
export function createWorkload(s: Scenario): Session[] {
  const random = createRandom(s.seed);
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const service = () => Math.min(s.serviceMaxMs, Math.round(s.serviceMedianMs * Math.exp(s.serviceSigma * normal())));
  const sessions: Session[] = [];
  if (s.name !== 'browser-tabs') {
    for (let t = exponential(1000 / s.ratePerSec); t < s.arrivalsMs; t += exponential(1000 / s.ratePerSec)) {
      sessions.push({ app: Math.floor(random() * s.apps), startMs: t, requests: [{ serviceMs: service(), thinkMs: 0 }] });
    }
    return sessions;
  }
  const tabsPerSec = s.ratePerSec / (1 + s.secondRequestShare);
  let t = 0;
  for (let app = 0; app < s.apps; app++) {
    t += exponential(1000 / tabsPerSec);
    const requests = [{ serviceMs: service(), thinkMs: 0 }];
    if (random() < s.secondRequestShare) requests.push({ serviceMs: service(), thinkMs: exponential(s.thinkMeanMs) });
    sessions.push({ app, startMs: t, requests });
  }
  return sessions;
}
