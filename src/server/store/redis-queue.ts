/**
 * The fleet's job queue for non-streamed requests, on BullMQ: every instance adds jobs and runs a worker, so the
 * jobs are shared out across the fleet. A worker takes the same slot as a direct call (the fleet-wide lease, behind
 * the shared gate); when Claude answers 529 or 429 it pauses the whole queue through BullMQ's rate limiter; after a
 * 529 the job goes back to wait, so the HTTP request just waits longer instead of seeing the 529, while a 429 is
 * answered as the 429 it is, with Claude's retry-after. bullmq is loaded on first use.
 *
 * Redis may restart, be flushed or hang under a waiting request. Each job's id and token are random per request
 * (see redis-job-watch.ts), so a request only ever receives its own answer; a job that vanished is sent again; a
 * Redis that does not answer within the command timeout is left behind, the job marked abandoned so no worker
 * runs it late, and the request answered directly.
 */
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { MAX_TIMER_MS } from '../admission/defaults.js';
import { outcomeOfStored } from './answers.js';
import { isPressure } from './redis-fleet.js';
import type { UserFull } from './redis-fleet.js';
import { createJobWatch } from './redis-job-watch.js';
import type { JobResult } from './redis-job-watch.js';
import { userTag as userTagOf } from './redis-admission.js';
import { within } from './redis-timeout.js';
import { isRefusal } from './types.js';
import type { Refusal, StoreAdmission, StoreContext, StoredAnswer } from './types.js';

export interface RedisQueueOptions {
  /** The BullMQ queue's name; instances sharing it share its jobs. Defaults to 'claude-messages'. */
  name?: string;
  /** Jobs this instance's worker runs at once (the fleet-wide limit still applies). Defaults to the handler's maxConcurrency. */
  concurrency?: number;
  /** Jobs waiting across the fleet; one more is answered 529 with retry-after. Defaults to 1000. */
  maxWaiting?: number;
  /** How long a request waits for its job to start and finish. Defaults to queueTimeoutMs + 10 minutes. */
  answerTimeoutMs?: number;
  /** The pause after a 529/429 that carries no retry-after. Defaults to 5 000 ms. */
  pauseMs?: number;
}

interface QueueDeps extends RedisQueueOptions {
  prefix: string;
  commandTimeoutMs: number;
  context: StoreContext;
  /**
   * The store's own client (short timeouts, no offline queue). BullMQ's Queue (adds, removals) and the answer checks
   * run on it; the worker's and the events' blocking connections are duplicates of it.
   */
  connection: Promise<Redis>;
  /** `user`: the job's user, as the script knows it (userTag): its call takes its turn in the fleet's line. */
  admit(signal: AbortSignal, user?: string): Promise<StoreAdmission>;
  /** This instance's memory store alone: for a request that already waited out the command timeout once. */
  admitLocally(signal: AbortSignal): Promise<StoreAdmission>;
  /** The client for new jobs, unless Redis is known to be failing. */
  usable(): Redis | undefined;
  /** The client, connected, whatever the store thinks of Redis: for jobs already queued. */
  connected(): Redis | undefined;
  degrade(error?: unknown): void;
  /**
   * A place for request `id` of `user` (the app's key) in the fleet's line: the places its user then holds, or when
   * to come back when it holds `maxPerUser` already (redis-fleet.ts hold). Throws when Redis fails.
   */
  hold(id: string, user: string): Promise<number | UserFull>;
  /** Gives the place back unless its job's call took it (best effort: else it lapses). */
  release(id: string): Promise<void>;
  /** The key of `user`'s places (redis-admission.ts placesKey), for a worker to take a job's place back. */
  placesKey(user: string): Promise<string>;
}

interface JobData {
  params: Record<string, unknown>;
  /** A job not started by then has been answered 529 already: it must not reach Claude. */
  startBy: number;
  /** Random per request: the worker hands it back with the answer, and the request accepts no answer without it. */
  token: string;
  /** The request's user (userTag) and its place (the key of the user's places, the place's id), when it names one. */
  user?: string;
  place?: [key: string, id: string];
}

export interface RedisQueue {
  enqueue(params: Record<string, unknown>, signal: AbortSignal, user?: string): Promise<{ answer: StoredAnswer; via: string } | Refusal>;
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** How often waiting jobs are checked in Redis (a vanished job is sent again within about this long). */
const CHECK_MS = 250;
/** A vanished job is sent again this many times before the request is answered 529 to retry. */
const MAX_RESENDS = 2;
/** Finished jobs stay this long (seconds) so a waiter whose event was lost still finds the answer; waiters remove theirs. */
const KEEP_FINISHED_S = 60;
/** The longest close() waits for BullMQ to wind down before cutting its connections. */
const CLOSE_MS = 2_000;
/** BullMQ's lowest priority (its highest number). */
const MAX_PRIORITY = 2_097_151;

export function createRedisQueue(deps: QueueDeps): RedisQueue {
  const { context } = deps;
  const name = deps.name ?? 'claude-messages';
  const maxWaiting = deps.maxWaiting ?? 1000;
  // Held to a timer's limit: past it setTimeout fires at once, and the queueTimeoutMs the handler allows goes up to it.
  const answerTimeoutMs = Math.min(MAX_TIMER_MS, deps.answerTimeoutMs ?? context.queueTimeoutMs + 600_000);
  const bounded = <T>(work: Promise<T>) => within(deps.commandTimeoutMs, context.clock, work);
  const mark = (jobId: string) => `${deps.prefix}abandoned:${jobId}`;
  const watch = createJobWatch({ client: deps.connected, commandTimeoutMs: deps.commandTimeoutMs, checkMs: CHECK_MS, clock: context.clock });
  let parts: { queue: Queue; worker: Worker; events: QueueEvents; connections: Redis[]; client: Redis } | undefined;
  // Jobs abandoned while the connection was down (jobId → its startBy).
  const owedJobs = new Map<string, number>();
  // Jobs this instance's worker has sent to Claude: a request of this instance whose job it is takes the answer here
  // when Redis fails under it, instead of calling Claude a second time.
  const runningHere = new Map<string, { token: string; call: Promise<StoredAnswer> }>();
  let closed = false;
  const starting = start().then((p) => (parts = p));
  starting.catch((error: unknown) => deps.degrade(error));

  async function start() {
    const [{ Queue, Worker, QueueEvents }, client] = await Promise.all([import('bullmq'), deps.connection]);
    // BullMQ's blocking reads need their own connections, which wait as long as they must (no command timeout).
    const open = () => {
      const redis = client.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined, enableOfflineQueue: true, autoResendUnfulfilledCommands: true });
      redis.on('error', (error: unknown) => deps.degrade(error));
      return redis;
    };
    const connections = [open(), open()] as [Redis, Redis];
    const prefix = `${deps.prefix}bull`;
    const queue = new Queue<JobData, JobResult>(name, { connection: client, prefix });
    const events = new QueueEvents(name, { connection: connections[0], prefix });
    const worker: Worker<JobData, JobResult> = new Worker<JobData, JobResult>(name, (job) => process(job, worker), {
      connection: connections[1], prefix, concurrency: deps.concurrency ?? context.maxConcurrency,
      // Manual rate limiting wants a limiter set; this one never binds, the pauses come from process().
      limiter: { max: 1_000_000, duration: 1_000 },
    });
    const onError = (error: unknown) => deps.degrade(error);
    queue.on('error', onError);
    events.on('error', onError);
    worker.on('error', onError);
    events.on('completed', ({ jobId, returnvalue }) => watch.completed(jobId, returnvalue));
    events.on('failed', ({ jobId }) => watch.failed(jobId));
    client.on('ready', payJobDebts);
    return { queue, worker, events, connections, client };
  }

  async function process(job: Job<JobData, JobResult>, worker: Worker<JobData, JobResult>): Promise<JobResult> {
    const { token, startBy, params } = job.data;
    if (Date.now() > startBy) return { token, expired: true };
    const controller = new AbortController();
    const admission = await deps.admit(controller.signal, job.data.user);
    if (isRefusal(admission)) {
      // The shared gate is closed (or the fleet is full): pause the queue for everyone, and try this job again after.
      await worker.rateLimit(admission.retryAfterMs ?? deps.pauseMs ?? 5_000);
      throw (await import('bullmq')).Worker.RateLimitError();
    }
    // Asked after the wait for a slot, right before Claude: the request may have left, or Redis lost the job (and
    // its request sent it again) while this worker held it.
    const verdict = await wanted(job);
    if (verdict !== 'yes') {
      admission.release();
      if (verdict === 'no') return { token, expired: true };
      // Redis did not say: neither run the job blind nor drop it; it goes back to wait, and its request decides.
      await Promise.resolve(worker.rateLimit(CHECK_MS)).catch(() => {});
      throw (await import('bullmq')).Worker.RateLimitError();
    }
    // It goes: its user's place is free for another of its requests (the line's rule: a place is a wait).
    const place = job.data.place;
    if (place) void bounded(Promise.resolve().then(() => deps.connected()?.zrem(place[0], place[1]))).catch(() => {});
    let answer: StoredAnswer;
    const call = context.run(params, controller.signal);
    if (job.id !== undefined) runningHere.set(job.id, { token, call });
    try {
      answer = await call;
    } catch (error) {
      admission.release();
      throw error;
    } finally {
      if (job.id !== undefined) runningHere.delete(job.id);
    }
    const result = outcomeOfStored(answer);
    await admission.release(result);
    if (isPressure(result) && Date.now() <= startBy) {
      // Both pause the fleet's queue: every job waits out Claude's retry-after. Only Claude's 529 sends this job back
      // to wait; a 429 is this request's answer, with its retry-after (the same rule as the line: errors keep their
      // meaning, and the SDKs' RateLimitError stays one).
      await worker.rateLimit(result.retryAfterMs ?? deps.pauseMs ?? 5_000);
      if (result.status === 529) throw (await import('bullmq')).Worker.RateLimitError();
    }
    return { token, answer };
  }

  /** A job runs only if Redis says, in time, that it still holds the job and its request did not go on without it. */
  async function wanted(job: Job<JobData, JobResult>): Promise<'yes' | 'no' | 'unknown'> {
    const redis = deps.connected();
    if (!redis || job.id === undefined || !parts) return 'unknown';
    const checks = [redis.exists(parts.queue.toKey(job.id)), redis.exists(mark(job.id))];
    return bounded(Promise.all(checks)).then(([held, left]) => (held === 1 && left === 0 ? 'yes' : 'no'), () => 'unknown');
  }

  /**
   * The request goes on without this job: mark it so no worker runs it late, and take it out of the queue. Without
   * a connection (a drop Redis may survive), the job is owed: marked when the connection is back, until its startBy.
   */
  function abandon(queue: Queue, jobId: string, startBy: number): void {
    const redis = deps.connected();
    if (!redis) {
      if (owedJobs.size < 10_000) owedJobs.set(jobId, startBy);
      return;
    }
    void bounded(redis.set(mark(jobId), '1', 'PX', Math.max(startBy - Date.now(), 0) + 60_000)).catch(() => {
      if (owedJobs.size < 10_000) owedJobs.set(jobId, startBy);
    });
    void bounded(queue.remove(jobId)).catch(() => {});
  }

  function payJobDebts(): void {
    const queue = parts?.queue;
    if (!queue) return;
    for (const [jobId, startBy] of owedJobs) {
      owedJobs.delete(jobId);
      if (startBy > Date.now()) abandon(queue, jobId, startBy);
    }
  }

  /**
   * Without a queue: the request is answered directly, behind the fleet's gate when Redis is merely not there for
   * the queue, in memory alone when Redis already failed this request once (no second wait on a silent Redis).
   */
  async function direct(params: Record<string, unknown>, signal: AbortSignal, redisFailed = false) {
    const admission = await (redisFailed ? deps.admitLocally(signal) : deps.admit(signal));
    if (isRefusal(admission)) return admission;
    const answer = await context.run(params, signal);
    await admission.release(outcomeOfStored(answer));
    return { answer, via: admission.via };
  }

  /**
   * Users take turns in the queue as in the line: a job's priority is the places its user holds with it, so every
   * user's first waiting job goes before anyone's second (BullMQ serves equal priorities first come, first served),
   * and a user holds `maxPerUser` places in the whole fleet, jobs and waiting calls together.
   */
  async function enqueueFor(params: Record<string, unknown>, signal: AbortSignal, user: string | undefined) {
    if (user === undefined || closed || !parts || !deps.usable()) return enqueue(params, signal);
    const id = globalThis.crypto.randomUUID();
    let held: number | UserFull;
    try {
      held = await deps.hold(id, user);
    } catch (error) {
      // Redis is failing: the request is answered without the queue (enqueue finds out), its user's share unknown.
      deps.degrade(error);
      return enqueue(params, signal);
    }
    if (typeof held !== 'number') return { refused: 'user-full', via: 'redis', ...held } satisfies Refusal;
    try {
      const place: JobData['place'] = [await deps.placesKey(user), id];
      return await enqueue(params, signal, 0, { user, priority: Math.min(held, MAX_PRIORITY), place });
    } finally {
      void deps.release(id);
    }
  }

  async function enqueue(
    params: Record<string, unknown>, signal: AbortSignal, resends = 0,
    turn: { user: string; priority: number; place: JobData['place'] } | undefined = undefined,
  ): Promise<{ answer: StoredAnswer; via: string } | Refusal> {
    if (closed) return { refused: signal.aborted ? 'aborted' : 'closing', via: 'redis' } satisfies Refusal;
    const running = parts;
    if (!running || !deps.usable()) return direct(params, signal);
    const jobId = globalThis.crypto.randomUUID();
    const data: JobData = {
      params, startBy: Date.now() + context.queueTimeoutMs, token: globalThis.crypto.randomUUID(),
      ...(turn && { user: await userTagOf(turn.user), place: turn.place }),
    };
    try {
      const counts = await bounded(running.queue.getJobCounts('waiting', 'prioritized', 'delayed'));
      const waiting = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (waiting >= maxWaiting) return { refused: 'full', via: 'redis' } satisfies Refusal;
      await bounded(running.queue.add('messages', data, {
        jobId, attempts: 1, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S },
        ...(turn && { priority: turn.priority }),
      }));
    } catch (error) {
      // The add may still land when Redis wakes up: it must not run for nobody.
      deps.degrade(error);
      abandon(running.queue, jobId, data.startBy);
      return direct(params, signal, true);
    }
    const outcome = await watch.wait(jobId, running.queue.toKey(jobId), data.token, signal, answerTimeoutMs);
    switch (outcome.kind) {
      case 'answer':
        void bounded(running.queue.remove(jobId)).catch(() => {});
        return { answer: outcome.answer, via: 'redis' };
      case 'vanished': {
        const here = runningHere.get(jobId);
        if (here?.token === data.token) return { answer: await here.call, via: 'redis' };
        if (resends < MAX_RESENDS) return enqueue(params, signal, resends + 1, turn);
        return { refused: 'timeout', retryAfterMs: 1_000, via: 'redis' } satisfies Refusal;
      }
      case 'unreachable': {
        deps.degrade(outcome.error);
        const here = runningHere.get(jobId);
        if (here?.token === data.token) return { answer: await here.call, via: 'redis' };
        abandon(running.queue, jobId, data.startBy);
        if (closed) return { refused: signal.aborted ? 'aborted' : 'closing', via: 'redis' } satisfies Refusal;
        return direct(params, signal, true);
      }
      case 'timeout':
      case 'aborted':
      case 'closing':
        // Take the job out if it has not started, so it never reaches Claude for nobody.
        abandon(running.queue, jobId, data.startBy);
        return { refused: outcome.kind, via: 'redis' } satisfies Refusal;
      default:
        return { refused: 'timeout', via: 'redis' } satisfies Refusal;
    }
  }

  return {
    enqueue: (params, signal, user) => enqueueFor(params, signal, user),
    async ready(timeoutMs) {
      const connected = starting.then(async (running) => {
        await Promise.all([running.worker.waitUntilReady(), running.events.waitUntilReady(), running.queue.waitUntilReady()]);
        return true;
      });
      return within(Math.max(0, timeoutMs), context.clock, connected).catch(() => false);
    },
    async close() {
      closed = true;
      const running = await starting.catch(() => undefined);
      if (!running) return watch.close();
      // No new job starts here; a request whose job has not started hears `closing` (another instance serves it), and
      // one whose job is already at Claude (here or on another instance) waits for its answer, as in the other modes.
      await Promise.resolve(running.worker.pause(true)).catch(() => {});
      await watch.drain();
      watch.close();
      // This worker's calls for other instances' requests finish too, and their answers are stored for them.
      await Promise.allSettled([...runningHere.values()].map(({ call }) => call));
      running.client.off('ready', payJobDebts);
      owedJobs.clear();
      // BullMQ's close waits for its connections, which may be reconnecting to a Redis that is gone: bounded, then cut.
      const closing = Promise.allSettled([running.worker.close(), running.events.close(), running.queue.close()]);
      await within(CLOSE_MS, context.clock, closing).catch(() => {});
      for (const c of running.connections) c.disconnect();
    },
  };
}
