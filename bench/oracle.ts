import { ClaudeError, toClaudeError } from '../src/core/failure.js';
import { abortedError } from './virtual-clock.js';
import { capacityAt } from './claude.js';
import type { CallTrace, Strategy } from './strategies.js';

/** Names of bench-side references start with this: never a peer, never ours. */
export const ORACLE = 'oracle';

/** A refused call waits at least this long before the app's next call (no tight loop when the share is ≥ 1). */
const REFUSED_PAUSE_MS = 1000;
/** The weight of the latest answered call in the typical duration, as the shipped line's pacing uses. */
const TYPICAL_WEIGHT = 0.2;
/** A call that lasted this long was answered, not refused. */
const ANSWERED_MS = 1000;


interface Pending {
  serviceMs: number;
  signal: AbortSignal;
  trace?: CallTrace;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * What independent apps could do if each one KNEW its fair share of Claude at every instant: a bench-side oracle,
 * not something a real app can build (no app knows Claude's free slots or how many apps share them).
 *
 * Each app keeps one FIFO line in its backend (no browser round trips) and is allowed `factor × capacity(t) / apps`
 * calls in flight: a whole number of calls, or below one, one call a share of the time (after each call it waits the
 * typical call's duration × (1/share − 1), as the shipped line paces below one). A refused call keeps its place and
 * the app waits at least REFUSED_PAUSE_MS. Calls are still blind: an app cannot see when another app's slot frees,
 * which is what a shared line (`fleet`) has and independent apps lack. It answers how close the `backends` targets
 * are to reach without a channel between the apps, even with perfect knowledge of the share.
 */
export function fairShareOracle(factor: number): Strategy {
  return {
    name: `${ORACLE}: each app knows its fair share × ${factor}`,
    setup(clock, claude, run) {
      const { timeline, apps, serviceMedianMs } = run.scenario;
      const share = (now: number) => (factor * capacityAt(timeline, now)) / apps;

      function createLine(): (serviceMs: number, signal: AbortSignal, trace?: CallTrace) => Promise<void> {
        const queue: Pending[] = [];
        let inFlight = 0;
        let lastEndAt = -Infinity;
        let refusedAt = -Infinity;
        let typicalMs = serviceMedianMs;
        let timer: unknown;

        function wakeAt(at: number): void {
          clock.clearTimeout(timer);
          timer = clock.setTimeout(() => {
            timer = undefined;
            pump();
          }, Math.max(0, at - clock.now()));
        }

        function pump(): void {
          for (;;) {
            const head = queue[0];
            if (!head) return;
            const now = clock.now();
            const s = share(now);
            if (inFlight >= Math.max(1, Math.floor(s))) return;
            const pacedAt = s < 1 ? lastEndAt + typicalMs * (1 / s - 1) : -Infinity;
            const at = Math.max(pacedAt, refusedAt + REFUSED_PAUSE_MS);
            if (now < at) return wakeAt(at);
            queue.shift();
            inFlight += 1;
            const sentAt = now;
            head.trace?.sent();
            claude.send(head.signal, head.serviceMs).then(() => {
              inFlight -= 1;
              lastEndAt = clock.now();
              const took = lastEndAt - sentAt;
              if (took >= ANSWERED_MS) typicalMs += (took - typicalMs) * TYPICAL_WEIGHT;
              head.resolve();
              pump();
            }, (thrown: unknown) => {
              inFlight -= 1;
              lastEndAt = clock.now();
              const failure = toClaudeError(thrown);
              if (!head.signal.aborted && failure.retryable) {
                refusedAt = lastEndAt;
                queue.unshift(head);
              } else head.reject(failure);
              pump();
            });
          }
        }

        return (serviceMs, signal, trace) => new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(abortedError());
          const pending: Pending = { serviceMs, signal, trace, resolve, reject };
          queue.push(pending);
          // A person who gives up leaves the line at once (a call on the wire is aborted by the simulated Claude).
          signal.addEventListener('abort', () => {
            const at = queue.indexOf(pending);
            if (at >= 0) {
              queue.splice(at, 1);
              reject(abortedError());
            }
          }, { once: true });
          pump();
        });
      }

      const perApp = new Map<number, (serviceMs: number, signal: AbortSignal, trace?: CallTrace) => Promise<void>>();
      return (app, serviceMs, signal, trace) => {
        let line = perApp.get(app);
        if (!line) perApp.set(app, (line = createLine()));
        return line(serviceMs, signal, trace);
      };
    },
  };
}
