// The words core shares between its modules. A leaf: it imports nothing, so no module that needs one of these types
// pulls in another module's code, and no import circle can run through here (test/api/imports.test.ts).

/** Every way a Claude call can fail, as the kit classifies it. */
export type FailureKind =
  | 'overloaded'
  | 'rate_limited'
  | 'spend_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'offline'
  | 'invalid_request'
  | 'authentication'
  | 'billing'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'request_too_large'
  /** A setup mistake on the app's own server (the kit's handler says `x-claude-kit-error: not_configured`). */
  | 'not_configured'
  | 'aborted'
  | 'unknown';

/** The summary the UI shows: how Claude is doing for this app right now. */
export type DemandLevel = 'normal' | 'busy' | 'rate_limited' | 'offline' | 'unavailable' | 'incident';

/** How long a busy episode has lasted, in the person's terms. */
export type EscalationStage = 'none' | 'slow' | 'unusual' | 'contact';

/** Where one request's retrying stands. */
export type RetryPhase = 'idle' | 'sending' | 'waiting' | 'paused' | 'failed' | 'succeeded';

/** An unresolved incident on Anthropic's status page, as the kit shows it. */
export interface StatusIncident {
  name: string;
  /** Statuspage's incident status: investigating, identified, monitoring, resolved, postmortem… */
  status: string;
  /** none, minor, major, critical. */
  impact: string;
  url?: string;
  /** The body of the newest update, plain text. */
  latestUpdate?: string;
  /** Epoch ms. */
  startedAt?: number;
}

/** One summary of every request of the app, for the banner, the toaster and the app itself. */
export interface DemandSnapshot {
  level: DemandLevel;
  /** Epoch ms of the first failure of the current episode; undefined while normal. */
  since?: number;
  /** Epoch ms of the earliest scheduled attempt among the waiting requests (the name `RetryState` uses too). */
  nextAttemptAt?: number;
  /** Requests waiting for their next attempt (or for the gate, or for the network). */
  waiting: number;
  /** Requests whose attempt is on the wire now. */
  inFlight: number;
  /** True while an attempt of the current episode is on the wire (the countdown says "Retrying…"). */
  retrying: boolean;
  /** The highest attempt number among the requests of the episode. */
  attempt: number;
  /** The kind of the most recent failure in the episode. */
  lastFailureKind?: FailureKind;
  /** The newest request id Claude gave for a failure, for support. */
  lastRequestId?: string;
  /** While busy: the place in the kit handler's line its last 529 named (requests ahead, expected wait). */
  line?: LinePlace;
  /** How long the episode has lasted, in the person's terms: `'none'` unless the `escalation()` feature is on. */
  escalation: EscalationStage;
  /** An unresolved incident touching the Claude API, with the `statusWatch()` feature. */
  incident?: StatusIncident;
  /** While normal: the last busy episode ended with Claude answering again (not with a cancel or a dismissal). */
  recovered?: boolean;
  /**
   * Every request of the episode is background work (`priority: 'background'`): nobody at the screen waits, so the
   * banner and the toast offer no "Retry now" or "Cancel" (the app-wide ones leave background work alone).
   */
  backgroundOnly?: boolean;
  /**
   * With a fallback chain in `'offer'` mode and the `fallbackOffers()` feature: a waiting request could be answered by
   * `offer.model` now instead of waiting for `offer.from`. Show a button that calls `offer.accept()`.
   */
  offer?: DemandOffer;
}

/**
 * A fallback on offer in the demand summary: the retryer's offer, and the person's two answers to it (always there in
 * the kit's own summary; a snapshot made for a view, a story say, needs none).
 */
export interface DemandOffer extends FallbackOffer {
  /** Take it for every request waiting with it (`'episode'`, the default: also the ones that come while it lasts). */
  accept?(scope?: OfferScope): void;
  /** Keep waiting for the busy model; those requests are not offered it again. */
  decline?(): void;
}

/** The fallback a request may take now: answer with `model` instead of waiting for `from`. */
export interface FallbackOffer {
  /** The model the next attempt would go to. */
  model: string;
  /** The overloaded model the request is waiting for ('' for the handler's default model). */
  from: string;
}

/** What accepting an offer covers: this request only, or every request of the busy episode of that model. */
export type OfferScope = 'request' | 'episode';

/** Where a request stands in the handler's line, as the handler said on its last 529. */
export interface LinePlace {
  /** Requests ahead of this one. */
  ahead?: number;
  /** The expected wait for its turn, from the moment of that 529. */
  expectedWaitMs?: number;
}

/**
 * One attempt of a request: must honour `signal`; `attempt` counts from 1; `model` is the model this attempt goes to
 * (it changes along a fallback chain; undefined: the handler's default).
 */
export type AttemptFunction<T> = (signal: AbortSignal, attempt: number, model?: string) => Promise<T>;
