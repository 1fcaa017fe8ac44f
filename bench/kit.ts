import { ClaudeError } from '../src/core/failure.js';
import { createGate, type GateOptions } from '../src/core/gate.js';
import { createRetryPolicy, type RetryPolicyOptions } from '../src/core/policy.js';
import { createRetryer } from '../src/core/retryer.js';
import { createMemoryStore } from '../src/server/store/memory.js';
import { isRefusal, type ClaudeStore } from '../src/server/store/types.js';
import type { SimulatedClaude } from './claude.js';
import type { Strategy } from './strategies.js';
import type { VirtualClock } from './virtual-clock.js';

export interface KitOptions {
  name?: string;
  policy?: RetryPolicyOptions;
  /** The browser's gate, one per tab. */
  gate?: Omit<GateOptions, 'clock'>;
}

/** Which backend instance (store) serves a session of `app`: several instances may share one store. */
export type Layout = { stores: number; storeOf(app: number): number };

const handlerShedRetryAfterMs = 2_000;
const noop = () => {};

/**
 * One call from a browser to the app's backend: the shipped store admits it (or refuses it, which the handler turns
 * into a 529 with retry-after), then the backend calls Claude once and passes Claude's answer through.
 */
async function callBackend(store: ClaudeStore, claude: SimulatedClaude, serviceMs: number, signal: AbortSignal): Promise<void> {
  const admission = await store.admit(signal);
  if (isRefusal(admission)) {
    if (admission.refused === 'aborted') throw new ClaudeError({ kind: 'aborted', message: 'Aborted', retryable: false });
    throw new ClaudeError({
      kind: 'overloaded', status: 529, type: 'overloaded_error', message: 'Shed by the handler',
      retryAfterMs: admission.retryAfterMs ?? handlerShedRetryAfterMs,
    });
  }
  try {
    await claude.send(signal, serviceMs);
    await admission.release({ status: 200 });
  } catch (error) {
    const status = error instanceof ClaudeError ? (error.status ?? 499) : 500;
    await admission.release({ status, pressure: status === 529 || status === 429 });
    throw error;
  }
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
        const store = createMemoryStore();
        store.attach({
          maxConcurrency: 32, maxQueue: 64, queueTimeoutMs: 30_000, clock,
          logger: { warn: noop }, run: () => Promise.reject(new Error('no job queue in the bench')),
        });
        return store;
      });
      const policy = createRetryPolicy({ ...options.policy, random: clock.random });
      const tabs = new Map<number, ReturnType<typeof createGate>>();
      let session = 0;
      return (app, serviceMs, signal) => {
        // Browser tabs: one gate per tab (app); backends: one gate per user request.
        const key = run.scenario.name === 'browser-tabs' ? app : -(++session);
        let gate = tabs.get(key);
        if (!gate) tabs.set(key, (gate = createGate({ ...options.gate, clock })));
        const store = stores[storeOf(app)]!;
        const retryer = createRetryer({
          run: (attempt) => {
            run.browserRequests += 1;
            return callBackend(store, claude, serviceMs, attempt);
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
