import { lowSlots, type CapacityTimeline } from './claude.js';
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
  /** Time until a 529 arrives, from the call leaving (the world's `refusalMs`). */
  refusalMs: number;
  /**
   * Time between a line's call ending and its next call leaving (the world's `returnMs`): the handler's line sends
   * a request it held this much after its permit, a peer's retry leaves this much after its backoff.
   */
  returnMs: number;
  /** Share of Claude's refusals that arrive as a 200 whose stream breaks with overloaded_error (the world's `midStream`). */
  midStream: number;
  /** Such a refusal arrives this long after the call left: its first bytes' time (the world's `firstBytesMs`). */
  firstBytesMs: number;
  /** The world keys set by `--world` (for the report's title); absent in today's world. */
  world?: Partial<World>;
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
  /** How Claude and the network behave, key by key (`--world`); a key left out keeps today's value. */
  world?: Partial<World>;
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
  const scenario = todaysScenario(name, overrides);
  return overrides.world === undefined ? scenario : applyWorld(scenario, overrides.world);
}

function todaysScenario(name: ScenarioName, overrides: ScenarioOverrides): Scenario {
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
    refusalMs: 100,
    returnMs: 0,
    midStream: 0,
    firstBytesMs: 1000,
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

/**
 * A world: how Claude and the network behave, apart from the load (who sends what, when). Today's world is the one
 * every scenario had before worlds existed; `--world key=value,…` changes some keys of it.
 */
export interface World {
  /** Time until a 529 arrives, from the call leaving, in ms. Today: 100. */
  refusalMs: number;
  /** Time between a line's call ending and its next call leaving, in ms. Today: 0. */
  returnMs: number;
  /** Median service time (an answer's length), in s. Today: 6. */
  serviceMedianS: number;
  /** Sigma of the log-normal service time. Today: 0.6. */
  serviceSigma: number;
  /** Claude's slots left during the drop. Today: 15 of 100 (the exogenous scenario: no drop, all 100). */
  dropSlots: number;
  /** A request not answered within this long has failed, in s. Today: 600. */
  patienceS: number;
  /** Share of Claude's refusals that arrive as a 200 whose stream breaks with overloaded_error, in [0, 1]. Today: 0. */
  midStream: number;
  /** When such a refusal arrives, from the call leaving, in ms. Today: 1000 (unused while midStream is 0). */
  firstBytesMs: number;
}

export type WorldKey = keyof World;

/** Every key `--world` accepts, each with the values it accepts. */
const WORLD_RULES: Record<WorldKey, { test: (x: number) => boolean; wants: string }> = {
  refusalMs: { test: (x) => x >= 1, wants: 'a number of ms, at least 1' },
  returnMs: { test: (x) => x >= 0, wants: 'a number of ms, 0 or more' },
  serviceMedianS: { test: (x) => x > 0, wants: 'a number of seconds above 0' },
  serviceSigma: { test: (x) => x >= 0, wants: 'a number, 0 or more' },
  dropSlots: { test: (x) => Number.isInteger(x) && x >= 1, wants: 'a whole number of slots, at least 1' },
  patienceS: { test: (x) => x > 0, wants: 'a number of seconds above 0' },
  midStream: { test: (x) => x >= 0 && x <= 1, wants: 'a share from 0 to 1' },
  firstBytesMs: { test: (x) => x >= 1, wants: 'a number of ms, at least 1' },
};

export const WORLD_KEYS = Object.keys(WORLD_RULES) as WorldKey[];

/** A `--world` that cannot be read: says which part and what it wants. */
export class WorldError extends Error {
  override name = 'WorldError';
}

const isWorldKey = (key: string): key is WorldKey => Object.hasOwn(WORLD_RULES, key);

/** Reads `key=value,key=value` (e.g. `refusalMs=2000,midStream=0.25`). Throws a WorldError on anything else. */
export function parseWorld(text: string): Partial<World> {
  const world: Partial<World> = {};
  const parts = text.split(',').map((part) => part.trim());
  if (parts.every((part) => part === '')) throw new WorldError(`--world wants key=value pairs, got "${text}"; keys: ${WORLD_KEYS.join(', ')}`);
  for (const part of parts) {
    const at = part.indexOf('=');
    if (at < 0) throw new WorldError(`--world: "${part}" is not key=value; keys: ${WORLD_KEYS.join(', ')}`);
    const key = part.slice(0, at).trim();
    const raw = part.slice(at + 1).trim();
    if (!isWorldKey(key)) throw new WorldError(`--world: unknown key "${key}"; keys: ${WORLD_KEYS.join(', ')}`);
    if (key in world) throw new WorldError(`--world: "${key}" is given twice`);
    const value = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || !WORLD_RULES[key].test(value)) {
      throw new WorldError(`--world: ${key} wants ${WORLD_RULES[key].wants}, got "${raw}"`);
    }
    world[key] = value;
  }
  return world;
}

/** The scenario's world, key by key. */
export function worldOf(s: Scenario): World {
  return {
    refusalMs: s.refusalMs, returnMs: s.returnMs, serviceMedianS: s.serviceMedianMs / 1000, serviceSigma: s.serviceSigma,
    dropSlots: lowSlots(s.timeline), patienceS: s.patienceMs / 1000, midStream: s.midStream, firstBytesMs: s.firstBytesMs,
  };
}

/** `refusalMs=2000, midStream=0.25`: the keys set, in the order of WORLD_KEYS. */
export function formatWorld(world: Partial<World>): string {
  return WORLD_KEYS.filter((key) => world[key] !== undefined).map((key) => `${key}=${world[key]}`).join(', ');
}

/** The scenario in another world: the keys given replace today's values, the others stay. */
export function applyWorld(s: Scenario, world: Partial<World>): Scenario {
  for (const key of Object.keys(world)) {
    if (!isWorldKey(key)) throw new WorldError(`unknown world key "${key}"; keys: ${WORLD_KEYS.join(', ')}`);
    const value = world[key];
    if (value === undefined) continue;
    if (!Number.isFinite(value) || !WORLD_RULES[key].test(value)) {
      throw new WorldError(`world key ${key} wants ${WORLD_RULES[key].wants}, got ${value}`);
    }
  }
  const { dropSlots } = world;
  if (dropSlots !== undefined && dropSlots > s.timeline.slots) {
    throw new WorldError(`world key dropSlots wants at most Claude's ${s.timeline.slots} slots, got ${dropSlots}`);
  }
  return {
    ...s,
    refusalMs: world.refusalMs ?? s.refusalMs,
    returnMs: world.returnMs ?? s.returnMs,
    serviceMedianMs: world.serviceMedianS === undefined ? s.serviceMedianMs : world.serviceMedianS * 1000,
    serviceSigma: world.serviceSigma ?? s.serviceSigma,
    patienceMs: world.patienceS === undefined ? s.patienceMs : world.patienceS * 1000,
    midStream: world.midStream ?? s.midStream,
    firstBytesMs: world.firstBytesMs ?? s.firstBytesMs,
    timeline: dropSlots === undefined ? s.timeline : { ...s.timeline, dropDepth: 1 - dropSlots / s.timeline.slots },
    world: { ...s.world, ...world },
  };
}
