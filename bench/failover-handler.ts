/**
 * The failover and priority cases of bench/failover.ts through the handler's line instead of the browser's gate:
 * clients with no chain and no gate of their own (an SDK, curl) call the app's backend, whose memory store keeps a
 * line per model with two lanes, and whose hold applies the handler's fallback chain (`createClaudeHandler({
 * fallback })`), in virtual time. A request the handler turns away (its hold spent, or the line full) comes back
 * after the handler's retry-after, as an SDK's retry would, until the person's patience runs out. Claude is
 * bench/claude.ts's model. What it leaves out: the network between client and backend, streams, Anthropic-wide load,
 * tickets (an SDK does not echo them), and more than one backend instance (the Redis store runs the same lines
 * fleet-wide; test/server/redis/admission-diff.test.ts checks that it decides as they do).
 */
import { ClaudeError } from '../src/core/failure.js';
import { createChainMemory } from '../src/server/admission/chain-memory.js';
import { holdForClaude, type HoldFallback } from '../src/server/admission/hold.js';
import { DEFAULT_HOLD_MS, DEFAULT_INITIAL_LIMIT, DEFAULT_MAX_QUEUE } from '../src/server/admission/defaults.js';
import { createMemoryStore } from '../src/server/store/memory.js';
import type { ClaudeStore } from '../src/server/store/types.js';
import { arrivals, model, percentile, type Model, type Sample } from './failover-common.js';
import { createVirtualClock, type VirtualClock, abortedError } from './virtual-clock.js';

/** The handler's retry-after when the store names none (the handler's `retryAfter` default, 2 s). */
const SHED_RETRY_AFTER_MS = 2_000;

export interface HandlerRow {
  label: string; p50: number; p95: number; success: number; onFallback: number; count: number;
  /** Background requests answered (the priority runs). */
  other: number;
  /** 529s Claude sent, all models. */
  refused: number;
}

function backend(clock: VirtualClock, ceiling?: number): ClaudeStore {
  const store = createMemoryStore();
  store.attach({
    maxConcurrency: ceiling ?? DEFAULT_INITIAL_LIMIT, concurrencyCeiling: ceiling, maxQueue: DEFAULT_MAX_QUEUE,
    queueTimeoutMs: DEFAULT_HOLD_MS, clock, logger: { warn: () => {} },
    run: () => Promise.reject(new Error('no job queue in the bench')),
  });
  return store;
}


function sleep(clock: VirtualClock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One request as the handler serves it, retried after each 529 the handler sends; resolves with the model that answered. */
async function ask(
  clock: VirtualClock, store: ClaudeStore, models: Record<string, Model>, asked: string, signal: AbortSignal,
  priority: 'interactive' | 'background', fallback?: Omit<HoldFallback, 'now'>,
): Promise<string> {
  for (;;) {
    const held = await holdForClaude(store, signal, async (_permit, name) => {
      const chosen = models[name ?? asked]!;
      try {
        await chosen.claude.send(signal, chosen.serviceMs);
        return { response: name ?? asked, outcome: { status: 200, pressure: false } };
      } catch (error) {
        const status = error instanceof ClaudeError ? (error.status ?? 499) : 500;
        return { response: undefined, outcome: { status, pressure: status === 529 || status === 429 } };
      }
    }, {
      deadlineAt: clock.now() + DEFAULT_HOLD_MS, requeue: true, model: asked, priority,
      fallback: fallback && { ...fallback, now: clock.now },
    });
    if ('refused' in held) {
      if (held.refused === 'aborted') throw abortedError();
      await sleep(clock, held.retryAfterMs ?? SHED_RETRY_AFTER_MS, signal);
      continue;
    }
    await held.permit.release(held.outcome);
    if (held.response === undefined) {
      // Claude's 529 passed on (the hold could not requeue it): the client retries too.
      if (held.outcome?.pressure) {
        await sleep(clock, SHED_RETRY_AFTER_MS, signal);
        continue;
      }
      throw abortedError();
    }
    return held.response;
  }
}

function row(label: string, samples: Sample[], models: Record<string, Model>, fallbackModel: string, other = 0): HandlerRow {
  const at = (p: number) => percentile(samples, p);
  const ok = samples.filter((s) => s.ok);
  return {
    label, p50: at(50), p95: at(95), success: ok.length / Math.max(1, samples.length),
    onFallback: ok.filter((s) => s.model === fallbackModel).length / Math.max(1, ok.length), count: samples.length, other,
    refused: Object.values(models).reduce((n, m) => n + m.claude.rejected, 0),
  };
}

/** Failover: `big` at 15 % of 20 slots (4 s answers), `small` free (1.5 s answers), 2 requests/s for 5 min, all for big. */
export async function handlerFailover(fallback: Omit<HoldFallback, 'now'> | undefined, seed = 1, runMs = 300_000): Promise<HandlerRow> {
  const clock = createVirtualClock(seed);
  const models = { big: model(clock, 20, 0.15, 4_000, runMs), small: model(clock, 1_000, 1, 1_500, runMs) };
  const store = backend(clock);
  // As the handler keeps it: one memory for the chain across all its requests.
  const chain = fallback && { ...fallback, memory: createChainMemory() };
  const samples = arrivals(clock, 2, runMs, (signal) => ask(clock, store, models, 'big', signal, 'interactive', chain));
  await clock.run();
  await store.close();
  return row(fallback ? `chain big → small, afterMs ${fallback.afterMs / 1000} s` : 'no chain', samples, models, 'small');
}

/**
 * Priorities: one model with 8 slots and 2 s answers; interactive requests at 1/s; with the flood, background ones at
 * 12/s (3 × capacity). `ceiling`: the handler's maxConcurrency (none: the line's limit adapts from 32).
 */
export async function handlerPriority(flood: boolean, ceiling?: number, seed = 2, runMs = 300_000): Promise<HandlerRow> {
  const clock = createVirtualClock(seed);
  const models = { one: model(clock, 8, 1, 2_000, runMs) };
  const store = backend(clock, ceiling);
  const people = arrivals(clock, 1, runMs, (signal) => ask(clock, store, models, 'one', signal, 'interactive'));
  const background = flood ? arrivals(clock, 12, runMs, (signal) => ask(clock, store, models, 'one', signal, 'background')) : [];
  await clock.run();
  await store.close();
  const label = `${flood ? 'flood marked background' : 'interactive alone'}, ${ceiling === undefined ? 'adaptive limit' : `maxConcurrency ${ceiling}`}`;
  return row(label, people, models, '', background.filter((s) => s.ok).length);
}
