/**
 * The store behind the handler: where its gate, its concurrency slots, its queue and its cache live. In memory
 * (one process sees only its own load) or in Redis (every instance of the backend shares one view of Claude's load).
 */
import type { Clock } from '../../core/clock.js';

/** What Claude said to one upstream call, told to the store when its slot is given back. */
export interface Outcome {
  status: number;
  /** From `retry-after-ms` / `retry-after`, when Claude sent one. */
  retryAfterMs?: number;
  /**
   * Claude is out of room: a 529, or a 429 rate limit — but not the spend-limit 429, which no wait will cure and
   * which must not hold the fleet or be retried. Derived from the status alone when absent.
   */
  pressure?: boolean;
}

/**
 * A slot toward Claude. `release` is idempotent; pass what Claude answered so a shared gate can close or open. It
 * never rejects; awaiting it means the next request, on any instance, already sees what this one learnt.
 */
export interface Permit {
  release(result?: Outcome): void | Promise<void>;
  /** Which store admitted the request (`memory`, `redis`, `memory-fallback`); sent as `x-claude-kit-store`. */
  readonly via: string;
  /**
   * The request's place in the store's line, when it keeps one: after Claude refuses the call, pass it back to
   * `admit` to wait again at the same place instead of at the back.
   */
  readonly order?: number;
}

/** How a request joins the store's line. */
export interface AdmitOptions {
  /** The place from an earlier permit of this process (see `Permit.order`). */
  order?: number;
  /** A ticket from an earlier refusal (the browser echoes `x-claude-kit-ticket`); unknown ones join at the back. */
  ticket?: string;
  /** Epoch ms at which the request stops waiting and is refused (`timeout`). Defaults to `queueTimeoutMs` from now. */
  deadlineAt?: number;
  /**
   * The request's model: the memory store keeps a line per model, so one model's overload holds back only its own
   * requests (the Redis store too, fleet-wide). Defaults to one line for requests that name none.
   */
  model?: string;
  /** `background` yields to interactive requests in line and leaves two free slots to them. Defaults to `interactive`. */
  priority?: 'interactive' | 'background';
  /**
   * The user the request is for (the handler's `userKey`, '' for one it could not name): users take turns in line,
   * each holds at most `maxPerUser` places, and a ticket keeps a place for its own user only. Defaults to none: first
   * come, first served.
   */
  user?: string;
}

export interface Refusal {
  /**
   * `full`: no room to wait; `user-full`: the request's user already holds `maxPerUser` places; `timeout`: waited
   * `queueTimeoutMs`; `closed`: the shared gate stays shut longer than that; `closing`: the store was closed (the app
   * is shutting down) while the request waited; `aborted`: its client left.
   */
  refused: 'full' | 'user-full' | 'timeout' | 'closed' | 'closing' | 'aborted';
  /** When to come back, when the store knows better than the handler's default. */
  retryAfterMs?: number;
  via?: string;
  /** The expected wait for the request's turn, from now, when the store keeps a line. */
  expectedWaitMs?: number;
  /** Requests ahead of it in line, when the store keeps a line. */
  ahead?: number;
  /** Keeps the request's place when it comes back with it (`x-claude-kit-ticket`). */
  ticket?: string;
}

export type StoreAdmission = Permit | Refusal;

export const isRefusal = <T extends object>(admission: T | Refusal): admission is Refusal => 'refused' in admission;

/** Where the store reports what it cannot tell the browser (Redis going away and coming back). */
export interface StoreLogger {
  warn(message: string, error?: unknown): void;
  info?(message: string): void;
}

/** A non-streamed answer in a form that can be cached or carried through a job queue. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AnswerCache {
  get(key: string): Promise<StoredAnswer | undefined>;
  /** Only successful answers are offered; a store never keeps an error. */
  set(key: string, answer: StoredAnswer): Promise<void>;
}

/** What the handler gives its store when it is created. */
export interface StoreContext {
  /** The handler's own limits; they bound this process whatever the store shares. */
  maxConcurrency: number;
  /** Set when the app chose `maxConcurrency` itself: then it is a ceiling, not only a starting point. */
  concurrencyCeiling?: number;
  maxQueue: number;
  /** Places one user may hold in line (requests with a `user`). Defaults to a tenth of `maxQueue`. */
  maxPerUser?: number;
  queueTimeoutMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> & Partial<Pick<Clock, 'now'>>;
  logger: StoreLogger;
  /** One non-streamed upstream call, for a job queue's worker. Never throws: errors come back as answers. */
  run(params: Record<string, unknown>, signal: AbortSignal): Promise<StoredAnswer>;
}

export interface ClaudeStoreStats {
  /** Upstream calls in progress in this process. */
  active: number;
  /** Requests of this process waiting for a slot. */
  queued: number;
  /** The line's adaptive limit on calls in flight, when the store keeps one (with lines per model, their sum). */
  limit?: number;
  /** Per model, when the store keeps a line per model. */
  models?: Record<string, ModelState>;
}

/** One model's line in a store: calls in flight, requests waiting, its limit and its window. */
export interface ModelState {
  active: number;
  queued: number;
  limit: number;
  state: 'open' | 'closed' | 'probing';
}

export interface ClaudeStore {
  readonly name: string;
  /** Called once by `createClaudeHandler`; a store serves one handler. */
  attach(context: StoreContext): void;
  /** Waits for a slot toward Claude (and, when shared, for the fleet's gate), or says why not. */
  admit(signal: AbortSignal, options?: AdmitOptions): Promise<StoreAdmission>;
  /** Present when the cache was asked for (`cache: { ttlMs }`). */
  readonly cache?: AnswerCache;
  /**
   * Present when non-streamed requests go through a job queue: resolves with the job's answer, or a refusal (full
   * queue, waited too long, `user-full`). Streams always take `admit`. `user`: as AdmitOptions' (the handler's
   * `userKey`): users take turns in the queue and hold `maxPerUser` places in it.
   */
  readonly enqueue?: (params: Record<string, unknown>, signal: AbortSignal, options?: { user?: string }) => Promise<{ answer: StoredAnswer; via: string } | Refusal>;
  stats(): ClaudeStoreStats;
  /**
   * Stops timers and connections the store opened itself. Requests waiting for a turn hear `closing` (the handler
   * answers them a retryable 503); calls already sent to Claude finish and are answered.
   */
  close(): Promise<void>;
  /** True once `close()` was called: the handler then answers every new request 503 and forwards nothing. */
  isClosed?(): boolean;
}

/** Errors go to the console once per event unless the app gives a logger. */
export const consoleLogger: StoreLogger = {
  warn: (message, error) => console.warn(`[claude-overload-kit] ${message}`, error instanceof Error ? error.message : (error ?? '')),
  info: (message) => console.info(`[claude-overload-kit] ${message}`),
};
