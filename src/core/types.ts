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
  | 'aborted'
  | 'unknown';

/** The summary the UI shows: how Claude is doing for this app right now. */
export type DemandLevel = 'normal' | 'busy' | 'rate_limited' | 'offline' | 'unavailable' | 'incident';

/** How long a busy episode has lasted, in the person's terms. */
export type EscalationStage = 'none' | 'slow' | 'unusual' | 'contact';

/** Where one request's retrying stands. */
export type RetryPhase = 'idle' | 'sending' | 'waiting' | 'paused' | 'failed' | 'succeeded';
