import { ClaudeError } from '../src/core/failure.js';
import { createGate, type GateOptions } from '../src/core/gate.js';
import { createRetryPolicy, type RetryPolicyOptions } from '../src/core/policy.js';
import { createRetryer } from '../src/core/retryer.js';
import { createMemoryStore, type MemoryStoreOptions } from '../src/server/store/memory.js';
import { holdForClaude } from '../src/server/admission/hold.js';
import { DEFAULT_HOLD_MS, DEFAULT_INITIAL_LIMIT, DEFAULT_LINE_UPDATE_MS, DEFAULT_MAX_QUEUE, lineUpdateAfterMs } from '../src/server/admission/defaults.js';
import type { ClaudeStore, Outcome } from '../src/server/store/types.js';
import type { SimulatedClaude } from './claude.js';
import type { CallTrace, Strategy } from './strategies.js';
import { abortedError, pause, type VirtualClock } from './virtual-clock.js';

export interface KitOptions {
  name?: string;
  policy?: RetryPolicyOptions;
  /** The browser's gate, one per tab. */
  gate?: Omit<GateOptions, 'clock'>;
  /** The handler's line (the memory store's `line` option). */
  line?: MemoryStoreOptions['line'];
  /** The handler's hold budget. Defaults to the handler's. */
  holdMs?: number;
  /** How soon the handler answers the kit's own transport with its place in line. Defaults to the handler's. */
  lineUpdateMs?: number;
}

/** Which backend instance (store) serves a session of `app`: several instances may share one store. */
export type Layout = { stores: number; storeOf(app: number): number };

const handlerShedRetryAfterMs = 2_000;
const noop = () => {};


/** What the browser's transport keeps between attempts of one request: the ticket the handler gave it. */
export interface Place {
  ticket?: string;
}

/** How a caller of the handler meets a stream that broke after its 200 (a mid-stream overload). */
export interface CallOptions {
  /** Told of each call the request sends to Claude (the recovery-lag figure). */
  trace?: CallTrace;
  /**
   * `wait` (the kit's transport: it sends the request again at once, and the bench lets it wait at its place like a
   * 529); `fail`: the caller has already been answered 200 and reads the break as an error (the AI SDK's streamText).
   */
  streamBreaks?: 'wait' | 'fail';
}

/**
 * One call from a browser to the app's backend, as the handler makes it: the request waits in the store's line and
 * calls Claude; Claude's refusals send it back to its place until its hold budget is spent; then it is answered 529
 * with retry-after and a ticket, which the browser's next attempt echoes.
 */
export async function callBackend(store: ClaudeStore, claude: SimulatedClaude, serviceMs: number, signal: AbortSignal,
  clock: VirtualClock, place: Place, holdMs: number, returnMs: number, how: CallOptions = {}): Promise<void> {
  const askedAt = clock.now();
  let calls = 0;
  const held = await holdForClaude(store, signal, async () => {
    // The world's returnMs: a call the line sends after holding the request (a turn handed over when another call
    // ended or a window reopened, or the request's own return after Claude refused it) leaves that much later, its
    // permit held meanwhile. A request let through on arrival leaves at once, as a peer's first call does.
    const handedOver = calls > 0 || clock.now() > askedAt;
    calls += 1;
    try {
      if (returnMs > 0 && handedOver) await pause(clock, returnMs, signal);
      how.trace?.sent();
      await claude.send(signal, serviceMs);
      return { response: undefined as unknown, outcome: { status: 200, pressure: false } satisfies Outcome };
    } catch (error) {
      // A 200 whose stream broke with overloaded_error: the handler reports it to the line as the refusal it is
      // (src/server/store/answers.ts, outcomeOfStream), so it waits again like a 529.
      if (error instanceof ClaudeError && error.midStream && error.kind === 'overloaded') {
        // Its caller has its 200 already: the line learns the refusal when the permit is released, below.
        if (how.streamBreaks === 'fail') return { response: error, outcome: { status: 200, pressure: false } };
        return { response: error, outcome: { status: 529, pressure: true } };
      }
      const status = error instanceof ClaudeError ? (error.status ?? 499) : 500;
      return { response: error, outcome: { status, pressure: status === 529 || status === 429 } };
    }
  }, { deadlineAt: clock.now() + holdMs, requeue: holdMs > 0, ticket: place.ticket });
  if ('refused' in held) {
    if (held.refused === 'aborted') throw abortedError();
    place.ticket = held.ticket;
    throw new ClaudeError({
      kind: 'overloaded', status: 529, type: 'overloaded_error', message: 'Waiting in line',
      // As the handler answers the kit's transport: a wait cut short to tell the person comes straight back.
      retryAfterMs: held.refused === 'timeout' ? 1000 : held.retryAfterMs ?? handlerShedRetryAfterMs,
      // The hint headers the transport reads into the failure.
      line: { ahead: held.ahead, expectedWaitMs: held.expectedWaitMs },
    });
  }
  const broke = held.response instanceof ClaudeError && held.response.midStream === true;
  await held.permit.release(broke ? { status: 529, pressure: true } : held.outcome);
  if (held.response !== undefined) throw held.response;
}

/**
 * The kit as shipped, end to end: each browser tab (or each user of a backend) runs the real retryer, policy and gate;
 * its attempts go to the app's backend, where the real handler store admits them toward Claude, in virtual time.
 */
export function kitThroughHandler(layout: (apps: number) => Layout, options: KitOptions = {}): Strategy {
  return {
    name: options.name ?? 'claude-overload-kit',
    viaBackend: true,
    setup(clock: VirtualClock, claude, run) {
      const { stores: count, storeOf } = layout(run.scenario.apps);
      const stores = Array.from({ length: count }, () => {
        const store = createMemoryStore({ line: options.line });
        store.attach({
          maxConcurrency: DEFAULT_INITIAL_LIMIT, maxQueue: DEFAULT_MAX_QUEUE, queueTimeoutMs: DEFAULT_HOLD_MS, clock,
          logger: { warn: noop }, run: () => Promise.reject(new Error('no job queue in the bench')),
        });
        return store;
      });
      const policy = createRetryPolicy({ ...options.policy, random: clock.random });
      const tabs = new Map<number, ReturnType<typeof createGate>>();
      let session = 0;
      return (app, serviceMs, signal, trace) => {
        // Browser tabs: one gate per tab (app); backends: one gate per user request.
        const key = run.scenario.name === 'browser-tabs' ? app : -(++session);
        let gate = tabs.get(key);
        if (!gate) tabs.set(key, (gate = createGate({ ...options.gate, clock })));
        const store = stores[storeOf(app)]!;
        const place: Place = {};
        const retryer = createRetryer({
          run: (attempt) => {
            run.browserRequests += 1;
            // The kit's transport asks for the line's hints, so the handler answers it within a second on its first
            // arrival and within lineUpdateMs on its returns with a ticket, as the handler does.
            const updateMs = lineUpdateAfterMs(options.lineUpdateMs ?? DEFAULT_LINE_UPDATE_MS, place.ticket !== undefined);
            const holdMs = Math.min(options.holdMs ?? DEFAULT_HOLD_MS, updateMs);
            return callBackend(store, claude, serviceMs, attempt, clock, place, holdMs, run.scenario.returnMs, { trace });
          },
          policy, clock, gate, signal,
        });
        return retryer.promise;
      };
    },
  };
}

/** Each app is its own backend (backends, exogenous), all of them one backend (tabs), or a fleet sharing one store. */
export const oneStorePerApp = (apps: number): Layout => ({ stores: apps, storeOf: (app) => app });
export const oneStore = (): Layout => ({ stores: 1, storeOf: () => 0 });
/** A fleet sharing one store (what the Redis store's port of the same line does). */
export const sharedStore = oneStore;
/** A fleet where each instance keeps its own memory store. */
export const storePerInstance = oneStorePerApp;
