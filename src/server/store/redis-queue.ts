/**
 * The fleet's job queue for non-streamed requests, on BullMQ: every instance adds jobs and runs a worker, so the
 * jobs are shared out across the fleet. A worker takes the same slot as a direct call (the fleet-wide lease, behind
 * the shared gate); when Claude answers 529 or 429 it pauses the whole queue through BullMQ's rate limiter and the
 * job goes back to wait, so the HTTP request just waits longer instead of seeing the 529. bullmq is loaded on first use.
 */
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { resultOfStored } from './answers.js';
import { isPressure } from './redis-fleet.js';
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
  url?: string;
  client?: Redis;
  prefix: string;
  context: StoreContext;
  admit(signal: AbortSignal): Promise<StoreAdmission>;
  usable(): boolean;
  degrade(error?: unknown): void;
}

interface JobData {
  params: Record<string, unknown>;
  /** A job not started by then has been answered 529 already: it must not reach Claude. */
  startBy: number;
}

type JobResult = StoredAnswer | { expired: true };

export interface RedisQueue {
  enqueue(params: Record<string, unknown>, signal: AbortSignal): Promise<{ answer: StoredAnswer; via: string } | Refusal>;
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function createRedisQueue(deps: QueueDeps): RedisQueue {
  const { context } = deps;
  const name = deps.name ?? 'claude-messages';
  const maxWaiting = deps.maxWaiting ?? 1000;
  const answerTimeoutMs = deps.answerTimeoutMs ?? context.queueTimeoutMs + 600_000;
  let parts: { queue: Queue; worker: Worker; events: QueueEvents; connections: Redis[] } | undefined;
  const starting = start().then((p) => (parts = p));
  starting.catch((error: unknown) => deps.degrade(error));

  async function start() {
    const [{ Queue, Worker, QueueEvents }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    // BullMQ's blocking reads need their own connections, which wait as long as they must (maxRetriesPerRequest: null).
    const open = () => {
      const redis = deps.client ? deps.client.duplicate({ maxRetriesPerRequest: null }) : new Redis(deps.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null, connectTimeout: 1_000 });
      redis.on('error', (error: unknown) => deps.degrade(error));
      return redis;
    };
    const connections = [open(), open(), open()] as [Redis, Redis, Redis];
    const prefix = `${deps.prefix}bull`;
    const queue = new Queue<JobData, JobResult>(name, { connection: connections[0], prefix });
    const events = new QueueEvents(name, { connection: connections[1], prefix });
    const worker: Worker<JobData, JobResult> = new Worker<JobData, JobResult>(name, (job) => process(job, worker), {
      connection: connections[2], prefix, concurrency: deps.concurrency ?? context.maxConcurrency,
      // Manual rate limiting wants a limiter set; this one never binds, the pauses come from process().
      limiter: { max: 1_000_000, duration: 1_000 },
    });
    const onError = (error: unknown) => deps.degrade(error);
    queue.on('error', onError);
    events.on('error', onError);
    worker.on('error', onError);
    return { queue, worker, events, connections };
  }

  async function process(job: Job<JobData, JobResult>, worker: Worker<JobData, JobResult>): Promise<JobResult> {
    if (Date.now() > job.data.startBy) return { expired: true };
    const controller = new AbortController();
    const admission = await deps.admit(controller.signal);
    if (isRefusal(admission)) {
      // The shared gate is closed (or the fleet is full): pause the queue for everyone, and try this job again after.
      await worker.rateLimit(admission.retryAfterMs ?? deps.pauseMs ?? 5_000);
      throw (await import('bullmq')).Worker.RateLimitError();
    }
    let answer: StoredAnswer;
    try {
      answer = await context.run(job.data.params, controller.signal);
    } catch (error) {
      admission.release();
      throw error;
    }
    const result = resultOfStored(answer);
    await admission.release(result);
    if (isPressure(result) && Date.now() <= job.data.startBy) {
      await worker.rateLimit(result.retryAfterMs ?? deps.pauseMs ?? 5_000);
      throw (await import('bullmq')).Worker.RateLimitError();
    }
    return answer;
  }

  /** Without a queue (Redis gone): the request is answered directly, as the memory store would. */
  async function direct(params: Record<string, unknown>, signal: AbortSignal) {
    const admission = await deps.admit(signal);
    if (isRefusal(admission)) return admission;
    const answer = await context.run(params, signal);
    await admission.release({ status: answer.status });
    return { answer, via: admission.via };
  }

  async function enqueue(params: Record<string, unknown>, signal: AbortSignal) {
    const running = parts;
    if (!running || !deps.usable()) return direct(params, signal);
    let job: Job<JobData, JobResult>;
    try {
      const counts = await running.queue.getJobCounts('waiting', 'prioritized', 'delayed');
      const waiting = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (waiting >= maxWaiting) return { refused: 'full', via: 'redis' } satisfies Refusal;
      const data: JobData = { params, startBy: Date.now() + context.queueTimeoutMs };
      // Finished jobs are dropped at once: their answer travels in the completion event.
      job = await running.queue.add('messages', data, { removeOnComplete: true, removeOnFail: true, attempts: 1 });
    } catch (error) {
      deps.degrade(error);
      return direct(params, signal);
    }
    const onAbort = () => void job.remove().catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = (await job.waitUntilFinished(running.events, answerTimeoutMs)) as JobResult;
      if ('expired' in result) return { refused: 'timeout', via: 'redis' } satisfies Refusal;
      return { answer: result, via: 'redis' };
    } catch {
      // Timed out or failed: take the job out if it has not started, so it never reaches Claude for nobody.
      await job.remove().catch(() => {});
      return { refused: signal.aborted ? 'aborted' : 'timeout', via: 'redis' } satisfies Refusal;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    enqueue,
    async ready(timeoutMs) {
      let timer: unknown;
      const late = new Promise<undefined>((resolve) => (timer = context.clock.setTimeout(() => resolve(undefined), Math.max(0, timeoutMs))));
      const running = await Promise.race([starting.catch(() => undefined), late]).finally(() => context.clock.clearTimeout(timer));
      if (!running) return false;
      await Promise.all([running.worker.waitUntilReady(), running.events.waitUntilReady(), running.queue.waitUntilReady()]);
      return true;
    },
    async close() {
      const running = await starting.catch(() => undefined);
      if (!running) return;
      await Promise.allSettled([running.worker.close(true), running.events.close(), running.queue.close()]);
      for (const c of running.connections) c.disconnect();
    },
  };
}
