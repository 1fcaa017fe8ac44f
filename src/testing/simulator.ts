/**
 * An Anthropic-compatible fake Messages API: a Fetch handler (and a `fetch` for the SDK's `fetch` option) that answers
 * like Claude does on a good day, a busy day, or a bad one, deterministically from a seed.
 */
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { createCapacity, createStats, type Capacity } from './capacity.js';
import type { SimulatorStats } from './capacity.js';
import type { ListenOptions, ListeningSimulator, SimulatorFetch } from './listen.js';
import { listenSimulator } from './listen.js';
import { assertSimulatorOptions } from './check-options.js';
import { SIMULATOR_DEFAULTS } from './defaults.js';
import { countTokens } from './count-tokens.js';
import { SimulatedNetworkError, errorResponse, isErrorOutcome, jsonError, modeOutcome } from './outcomes.js';
import type { SimulatorMode, SimulatorOutcome } from './outcomes.js';
import { messageIdFor, mulberry32, requestIdFor } from './prng.js';
import { parseMessagesRequest, presentedKey } from './parse.js';
import { cannedReply, messageBody } from './reply.js';
import type { SimulatedRequest } from './reply.js';
import { pacedStream, sseEvents } from './sse.js';

export type SimulatorClock = Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;

/** One model's room in the simulator. */
export interface ModelCapacity {
  /** Requests for this model served at once; one more gets 529 at once. Defaults to the simulator's `capacity`. */
  capacity?: number;
  /** How long producing an answer of this model holds its slot. Defaults to the simulator's `serviceTimeMs`. */
  serviceTimeMs?: number;
}

export interface OverloadSimulatorOptions {
  /** Outcomes of the first requests, in order; when it runs out, the mode and the capacity model decide. Defaults to []. */
  script?: readonly SimulatorOutcome[];
  /**
   * Claude's load. Defaults to 'normal'. An option the mode never reads (`busyRate` outside 'busy', `busyAfterMs`,
   * `busyMs` and `busyEveryMs` outside 'episodes', `retryAfterSeconds` outside 'rate-limited' without a scripted '429') is refused
   * with a TypeError: set it with `configure()` ahead of a later switch of mode.
   */
  mode?: SimulatorMode;
  /** The share of requests answered 529 in 'busy' mode, from 0 to 1. Defaults to 0.5. */
  busyRate?: number;
  /**
   * In 'episodes' mode, when the first busy spell starts, counted from the first request (not from creation), so a
   * demo's first question is answered and one of its next few meets the spell. Defaults to 3000 ms.
   */
  busyAfterMs?: number;
  /** In 'episodes' mode, how long a busy spell lasts: every request meets a 529. Defaults to 10 000 ms. */
  busyMs?: number;
  /**
   * In 'episodes' mode, how often a busy spell starts again, counted from the start of the last one; longer than
   * `busyMs`, Infinity for a single spell. Defaults to 60 000 ms.
   */
  busyEveryMs?: number;
  /** Requests served at once; a request arriving when all are taken gets 529 at once. Defaults to Infinity. */
  capacity?: number;
  /** How long producing an answer holds its slot; a stream spreads its events over it. Defaults to 0. */
  serviceTimeMs?: number;
  /** Delay before any answer (errors included) starts. Defaults to 0. */
  latencyMs?: number;
  /**
   * Capacity and service time per model, for "one model overloaded while another has room": a model listed here has
   * slots of its own (`capacity`, defaulting to the shared `capacity`) and its own `serviceTimeMs`; other models
   * share the simulator-wide slots. Defaults to none.
   */
  models?: Readonly<Record<string, ModelCapacity>>;
  /** Same seed, same request ids and same 'busy' draws. Defaults to 1. */
  seed?: number;
  /** `retry-after` of a 429 ('rate-limited' mode, or a scripted '429'), in seconds. Defaults to 17 (as in the fixture). */
  retryAfterSeconds?: number;
  /**
   * When set, requests must carry this key in `x-api-key` (or `Authorization: Bearer`), else 401. Defaults to none:
   * any key, or no key at all, is accepted, so a handler in front of the simulator needs no key either.
   */
  apiKey?: string;
  /** Defaults to the real clock; pass fake timers' clock in tests. */
  clock?: SimulatorClock;
}

/** Settings that can change while the simulator runs (the playground's load control). */
export type SimulatorSettings = Pick<
  OverloadSimulatorOptions,
  'mode' | 'busyRate' | 'busyAfterMs' | 'busyMs' | 'busyEveryMs' | 'capacity' | 'serviceTimeMs' | 'latencyMs' | 'retryAfterSeconds' | 'models'
>;

export type { SimulatorFetch };

export interface OverloadSimulator {
  /** The Fetch handler; also fits the SDK's `fetch` option (`new Anthropic({ fetch: simulator.fetch })`). */
  fetch: SimulatorFetch;
  /** The same function as `fetch`, for frameworks that call it a handler. */
  handle: SimulatorFetch;
  readonly mode: SimulatorMode;
  setMode(mode: SimulatorMode): void;
  configure(settings: SimulatorSettings): void;
  /** Replaces the outcomes still to come. */
  setScript(script: readonly SimulatorOutcome[]): void;
  stats(): SimulatorStats;
  /** Back to the options: script, mode, settings, seed, request counter and stats (in-flight requests carry on). */
  reset(): void;
  /** Serves the simulator on 127.0.0.1 (a free port by default). */
  listen(options?: ListenOptions): Promise<ListeningSimulator>;
}

const abortError = () => new DOMException('The operation was aborted.', 'AbortError');

function sleep(ms: number, signal: AbortSignal, clock: SimulatorClock): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError());
  // No timer at all for zero delays, so zero-latency tests need no fake timers.
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortError());
    };
    // Infinity would fire at once in setTimeout; a hang only ends by abort.
    const timer = Number.isFinite(ms) ? clock.setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms) : undefined;
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createOverloadSimulator(options: OverloadSimulatorOptions = {}): OverloadSimulator {
  assertSimulatorOptions(options);
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? SIMULATOR_DEFAULTS.seed;
  const defaults: Required<Omit<SimulatorSettings, 'models'>> & Pick<SimulatorSettings, 'models'> = {
    mode: options.mode ?? SIMULATOR_DEFAULTS.mode,
    busyRate: options.busyRate ?? SIMULATOR_DEFAULTS.busyRate,
    busyAfterMs: options.busyAfterMs ?? SIMULATOR_DEFAULTS.busyAfterMs,
    busyMs: options.busyMs ?? SIMULATOR_DEFAULTS.busyMs,
    busyEveryMs: options.busyEveryMs ?? SIMULATOR_DEFAULTS.busyEveryMs,
    capacity: options.capacity ?? SIMULATOR_DEFAULTS.capacity,
    serviceTimeMs: options.serviceTimeMs ?? SIMULATOR_DEFAULTS.serviceTimeMs,
    latencyMs: options.latencyMs ?? SIMULATOR_DEFAULTS.latencyMs,
    retryAfterSeconds: options.retryAfterSeconds ?? SIMULATOR_DEFAULTS.retryAfterSeconds,
    models: options.models,
  };
  let settings = { ...defaults };
  let script = [...(options.script ?? [])];
  let random = mulberry32(seed);
  let counter = 0;
  /** When the first Messages request came (since the switch into 'episodes'): the spells count from it. */
  let firstRequestAt: number | undefined;
  const shared = createCapacity(() => settings.capacity);
  const perModel = new Map<string, Capacity>();
  const stats = createStats();

  /** The slots a model's requests take: its own when `models` lists it (read live, so `configure` applies at once). */
  function capacityOf(model: string): Capacity {
    if (!settings.models?.[model]) return shared;
    let own = perModel.get(model);
    if (!own) {
      own = createCapacity(() => settings.models?.[model]?.capacity ?? settings.capacity);
      perModel.set(model, own);
    }
    return own;
  }

  /** Whether an 'episodes' busy spell is on: `busyMs` of 529s from `busyAfterMs` after the first request, every `busyEveryMs`. */
  function inBusySpell(): boolean {
    const now = clock.now();
    firstRequestAt ??= now;
    const sinceFirstSpell = now - firstRequestAt - settings.busyAfterMs;
    if (sinceFirstSpell < 0) return false;
    const intoSpell = Number.isFinite(settings.busyEveryMs) ? sinceFirstSpell % settings.busyEveryMs : sinceFirstSpell;
    return intoSpell < settings.busyMs;
  }

  const serviceTimeOf = (model: string) => settings.models?.[model]?.serviceTimeMs ?? settings.serviceTimeMs;

  function decide(stream: boolean, capacity: Capacity): { outcome: SimulatorOutcome; slot: boolean } {
    const scripted = script.shift();
    let outcome = scripted ?? modeOutcome(settings.mode, { random, busyRate: settings.busyRate, inBusySpell });
    // A non-streaming request cannot break mid-stream; it gets the whole answer.
    if (!stream && (outcome === 'stream-error-midway' || outcome === 'stream-cut')) outcome = 'ok';
    if (isErrorOutcome(outcome) || outcome === 'network-error') return { outcome, slot: false };
    if (scripted !== undefined) {
      capacity.take();
      return { outcome, slot: true };
    }
    return capacity.tryTake() ? { outcome, slot: true } : { outcome: '529', slot: false };
  }

  async function answer(request: Request, number: number, finish: (aborted: boolean) => void): Promise<Response> {
    const requestId = requestIdFor(seed, number);
    const reject = (status: number, type: string, message: string) => {
      stats.answered(status);
      finish(false);
      return jsonError(status, type, message, requestId);
    };
    if (options.apiKey !== undefined) {
      const key = presentedKey(request);
      if (key === null) return reject(401, 'authentication_error', 'x-api-key header is required');
      if (key !== options.apiKey) return reject(401, 'authentication_error', 'invalid x-api-key');
    }
    let text: string;
    try {
      text = await request.text();
    } catch (error) {
      finish(true);
      throw error;
    }
    const parsed = parseMessagesRequest(text);
    if (!parsed.ok) return reject(400, 'invalid_request_error', parsed.message);

    const capacity = capacityOf(parsed.request.model);
    const { outcome, slot } = decide(parsed.request.stream, capacity);
    const release = (aborted: boolean) => {
      if (slot) capacity.free();
      finish(aborted);
    };
    try {
      await sleep(settings.latencyMs, request.signal, clock);
      if (outcome === 'timeout') await sleep(Infinity, request.signal, clock);
    } catch (error) {
      release(true);
      throw error;
    }
    if (outcome === 'network-error') {
      stats.dropped();
      release(false);
      throw new SimulatedNetworkError();
    }
    if (isErrorOutcome(outcome)) {
      const response = errorResponse(outcome, { requestId, now: clock.now(), retryAfterSeconds: settings.retryAfterSeconds });
      stats.answered(response.status);
      release(false);
      return response;
    }
    const reply = cannedReply(parsed.request);
    const messageId = messageIdFor(seed, number);
    const headers = { 'request-id': requestId };
    if (parsed.request.stream) {
      const ending = outcome === 'stream-error-midway' ? 'error-midway' : outcome === 'stream-cut' ? 'cut' : 'complete';
      const events = sseEvents(messageId, parsed.request, reply, ending);
      const body = pacedStream(events, {
        durationMs: serviceTimeOf(parsed.request.model),
        clock,
        signal: request.signal,
        onEnd: (completed) => release(!completed),
      });
      stats.answered(200);
      return new Response(body, { status: 200, headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
    }
    try {
      await sleep(serviceTimeOf(parsed.request.model), request.signal, clock);
    } catch (error) {
      release(true);
      throw error;
    }
    stats.answered(200);
    release(false);
    return new Response(JSON.stringify(messageBody(messageId, parsed.request, reply)), {
      status: 200,
      headers: { ...headers, 'content-type': 'application/json' },
    });
  }

  /** count_tokens is answered whatever the mode: it takes no slot, plays no script, and is not in the stats. */
  async function tokenCount(request: Request, number: number): Promise<Response> {
    const requestId = requestIdFor(seed, number);
    if (options.apiKey !== undefined && presentedKey(request) !== options.apiKey) {
      return jsonError(401, 'authentication_error', 'invalid x-api-key', requestId);
    }
    const counted = countTokens(await request.text());
    if (!counted.ok) return jsonError(400, 'invalid_request_error', counted.message, requestId);
    await sleep(settings.latencyMs, request.signal, clock);
    return Response.json({ input_tokens: counted.inputTokens }, { headers: { 'request-id': requestId } });
  }

  const fetch: SimulatorFetch = async (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const number = counter;
    counter += 1;
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname.endsWith('/v1/messages/count_tokens')) return tokenCount(request, number);
    if (request.method !== 'POST' || !pathname.endsWith('/v1/messages')) {
      return jsonError(404, 'not_found_error', `Not found: ${request.method} ${pathname}`, requestIdFor(seed, number));
    }
    firstRequestAt ??= clock.now();
    stats.arrived();
    let finished = false;
    const finish = (aborted: boolean) => {
      if (finished) return;
      finished = true;
      if (aborted) stats.aborted();
      stats.left();
    };
    return answer(request, number, finish);
  };

  const simulator: OverloadSimulator = {
    fetch,
    handle: fetch,
    get mode() {
      return settings.mode;
    },
    setMode(mode) {
      simulator.configure({ mode });
    },
    configure(changes) {
      const defined = Object.entries(changes).filter(([, value]) => value !== undefined);
      // Switched into 'episodes' while running (the playground's load control): the spells count from the next request.
      if (changes.mode === 'episodes' && settings.mode !== 'episodes') firstRequestAt = undefined;
      settings = { ...settings, ...(Object.fromEntries(defined) as SimulatorSettings) };
    },
    setScript(next) {
      script = [...next];
    },
    stats: () => stats.snapshot(),
    reset() {
      settings = { ...defaults };
      script = [...(options.script ?? [])];
      random = mulberry32(seed);
      counter = 0;
      firstRequestAt = undefined;
      stats.reset();
    },
    listen: (listenOptions) => listenSimulator(simulator, listenOptions),
  };
  return simulator;
}
