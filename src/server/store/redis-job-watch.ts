/**
 * How a request waits for its job's answer, and why it can trust it. A job's id and token are random per request,
 * so no job of another request (after a Redis restart, a flush, or in another fleet) can carry either; an answer
 * is accepted only with the token the request put in. BullMQ's completion event is the fast path; a check of
 * every waiting job's hash, in one round trip per tick, is the ground truth: it sees a job that vanished with Redis,
 * an event lost across a reconnect, and a Redis that stopped answering.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { within } from './redis-timeout.js';
import type { StoredAnswer } from './types.js';

/** What a job's worker hands back: the token it was given, with the answer or the news that it came too late. */
export type JobResult = { token: string; answer: StoredAnswer } | { token: string; expired: true };

export type JobOutcome =
  | { kind: 'answer'; answer: StoredAnswer }
  /** Not started before the request's queueTimeoutMs, or failed in its worker. */
  | { kind: 'expired' | 'failed' }
  /** Redis no longer has the job (restarted, flushed) or it holds another request's job under this id. */
  | { kind: 'vanished' }
  /** Redis did not answer a check within the command timeout, or the connection is down. */
  | { kind: 'unreachable'; error?: unknown }
  /** `closing`: the store closed while the request waited (the app is shutting down). */
  | { kind: 'timeout' | 'aborted' | 'closing' };

interface Waiter {
  token: string;
  key: string;
  settle(outcome: JobOutcome): void;
}

export interface JobWatchOptions {
  /** The store's client of the moment, if usable. */
  client(): Redis | undefined;
  commandTimeoutMs: number;
  /** How often waiting jobs are checked in Redis. */
  checkMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

export interface JobWatch {
  /** Resolves once with what became of the job whose hash lives at `key`. */
  wait(jobId: string, key: string, token: string, signal: AbortSignal, timeoutMs: number): Promise<JobOutcome>;
  /** From BullMQ's completion and failure events: a hint, checked against the token. */
  completed(jobId: string, result: unknown): void;
  failed(jobId: string): void;
  /**
   * For a closing store: waits whose job has not started end now (`closing`: the request can go to another
   * instance); waits whose job is already at Claude go on until it is answered. Resolves when no wait is left.
   */
  drain(): Promise<void>;
  /** Ends every wait (with `closing`) and the check timer. */
  close(): void;
}

export function createJobWatch(options: JobWatchOptions): JobWatch {
  const waiters = new Map<string, Waiter>();
  let timer: unknown;
  let checking = false;
  let draining = false;
  const emptied: Array<() => void> = [];

  function outcomeOf(token: string, result: unknown): JobOutcome {
    const value = result as Partial<{ token: string; answer: StoredAnswer; expired: true }> | null;
    if (!value || value.token !== token) return { kind: 'vanished' };
    return value.answer ? { kind: 'answer', answer: value.answer } : { kind: 'expired' };
  }

  function schedule(): void {
    if (timer !== undefined || waiters.size === 0) return;
    timer = options.clock.setTimeout(() => {
      timer = undefined;
      void check().finally(schedule);
    }, options.checkMs);
  }

  async function check(): Promise<void> {
    if (checking) return;
    checking = true;
    const batch = [...waiters.entries()];
    try {
      const redis = options.client();
      if (!redis) throw new Error('Redis is not connected');
      const pipeline = redis.pipeline();
      for (const [, waiter] of batch) pipeline.hmget(waiter.key, 'timestamp', 'finishedOn', 'returnvalue', 'failedReason', 'processedOn');
      // Closing: which jobs a worker holds now (BullMQ's active list, beside the job's hash). A job started once and
      // sent back to wait (a worker's store closed under it, a pause) is not at Claude, whatever processedOn says.
      const activeKeys = draining ? [...new Set(batch.map(([, waiter]) => activeKeyOf(waiter.key)))] : [];
      for (const key of activeKeys) pipeline.lrange(key, 0, -1);
      const replies = (await within(options.commandTimeoutMs, options.clock, pipeline.exec())) ?? [];
      const active = new Set<string>();
      activeKeys.forEach((_, k) => {
        const [error, ids] = replies[batch.length + k] ?? [new Error('no reply')];
        // Unknown: every job that started once counts as active, as before.
        if (error) for (const [jobId] of batch) active.add(jobId);
        else for (const id of ids as string[]) active.add(id);
      });
      batch.forEach(([jobId, waiter], i) => {
        const [error, fields] = replies[i] ?? [new Error('no reply')];
        if (error) return waiter.settle({ kind: 'unreachable', error });
        const [timestamp, finishedOn, returnvalue, failedReason, processedOn] = fields as Array<string | null>;
        if (timestamp === null) return waiter.settle({ kind: 'vanished' });
        // Not started while the store closes: it goes elsewhere. Started: Claude has it, and its answer is awaited.
        if (finishedOn === null && draining && (processedOn === null || !active.has(jobId))) return waiter.settle({ kind: 'closing' });
        if (finishedOn === null) return;
        if (returnvalue !== null && returnvalue !== undefined && failedReason == null) {
          return waiter.settle(outcomeOf(waiter.token, parse(returnvalue)));
        }
        waiter.settle({ kind: 'failed' });
      });
    } catch (error) {
      for (const [, waiter] of batch) waiter.settle({ kind: 'unreachable', error });
    } finally {
      checking = false;
    }
  }

  return {
    wait(jobId, key, token, signal, timeoutMs) {
      return new Promise<JobOutcome>((resolve) => {
        const onAbort = () => waiter.settle({ kind: 'aborted' });
        const deadline = options.clock.setTimeout(() => waiter.settle({ kind: 'timeout' }), timeoutMs);
        const waiter: Waiter = {
          token,
          key,
          settle(outcome) {
            if (waiters.get(jobId) !== waiter) return;
            waiters.delete(jobId);
            if (waiters.size === 0) for (const done of emptied.splice(0)) done();
            options.clock.clearTimeout(deadline);
            signal.removeEventListener('abort', onAbort);
            resolve(outcome);
          },
        };
        waiters.set(jobId, waiter);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        schedule();
      });
    },
    completed(jobId, result) {
      const waiter = waiters.get(jobId);
      // A result without our token is not ours: leave it to the check, which will call the job vanished.
      if (waiter && outcomeOf(waiter.token, result).kind !== 'vanished') waiter.settle(outcomeOf(waiter.token, result));
    },
    failed(jobId) {
      waiters.get(jobId)?.settle({ kind: 'failed' });
    },
    async drain() {
      draining = true;
      if (waiters.size === 0) return;
      const empty = new Promise<void>((resolve) => emptied.push(resolve));
      await check();
      schedule();
      await empty;
    },
    close() {
      // Not a timeout: the request did not wait too long; another instance can serve it now.
      for (const waiter of [...waiters.values()]) waiter.settle({ kind: 'closing' });
      if (timer !== undefined) options.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** BullMQ's active list of the queue whose job hash is `jobKey` (`<prefix>:<queue>:<job id>`). */
const activeKeyOf = (jobKey: string) => `${jobKey.slice(0, jobKey.lastIndexOf(':'))}:active`;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
