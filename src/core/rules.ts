/**
 * The kit's failure rules and tables, written once. The classifier, the retry policy, the gate, the server's
 * admission queue and the simulator all read them from here, so a new kind of failure is a change to this file
 * (plus its copy in messages), not a hunt through every layer.
 */
import type { FailureKind } from './types.js';

/** `error.details.error_code` of the 429 that means "this app's spend limit is reached": it fails until it resets. */
export const SPEND_LIMIT_CODE = 'enforced_spend_limit_reached';

/**
 * The header the kit's own handler sets on its answers about itself, e.g. `x-claude-kit-error: not_configured` for
 * a setup mistake on the app's server (HTTP 500, `x-should-retry: false`). Claude never sends it.
 */
export const KIT_ERROR_HEADER = 'x-claude-kit-error';

/** Anthropic's error types by the status Anthropic sends them with, and the kind each one is. */
export const ERROR_TYPES = [
  [400, 'invalid_request_error', 'invalid_request'],
  [401, 'authentication_error', 'authentication'],
  [402, 'billing_error', 'billing'],
  [403, 'permission_error', 'permission'],
  [404, 'not_found_error', 'not_found'],
  [409, 'conflict_error', 'conflict'],
  [413, 'request_too_large', 'request_too_large'],
  [429, 'rate_limit_error', 'rate_limited'],
  [500, 'api_error', 'server_error'],
  // Claude's side giving up is a server error; kind `timeout` is kept for the client's own timeouts ("Connection problem").
  [504, 'timeout_error', 'server_error'],
  [529, 'overloaded_error', 'overloaded'],
] as const satisfies ReadonlyArray<readonly [number, string, FailureKind]>;

/** Anthropic's `error.type` for a status: the table's, else `api_error` for 5xx and `invalid_request_error` below. */
export function errorTypeFor(status: number): string {
  for (const [s, type] of ERROR_TYPES) if (s === status) return type;
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

/** The kind an Anthropic `error.type` means, or undefined for a type the table does not know (or none). */
export function kindForType(type: string | undefined): FailureKind | undefined {
  for (const [, t, kind] of ERROR_TYPES) if (t === type) return kind;
  return undefined;
}

/** The kind a bare status means (no body to read): the table's, 408 timeout, other 5xx server_error. */
export function kindForStatus(status: number): FailureKind {
  if (status === 408) return 'timeout';
  for (const [s, , kind] of ERROR_TYPES) if (s === status) return kind;
  return status >= 500 ? 'server_error' : 'unknown';
}

/** Kinds retried by default: the ones that pass by themselves. */
const RETRYABLE: readonly FailureKind[] = ['overloaded', 'rate_limited', 'server_error', 'timeout', 'network', 'offline'];

/**
 * Kinds no header and no option can make retryable: a cancel is the person's wish; a spend limit fails until it
 * resets; a request Claude refused as malformed, unauthorised or forbidden fails the same way again; and a setup
 * mistake on the app's server is fixed by a deploy, not by waiting.
 */
const NEVER: readonly FailureKind[] = [
  'aborted', 'spend_limited', 'not_configured', 'invalid_request', 'authentication', 'billing', 'permission',
  'not_found', 'request_too_large',
];

export const isRetryableByDefault = (kind: FailureKind): boolean => RETRYABLE.includes(kind);

/**
 * Kinds the demand summary keeps showing (level `unavailable`) after their request stopped although it was not
 * retryable: the person should be told of them, unlike a cancel or an app error the app handles itself.
 */
const SHOWN_AFTER_STOPPING: readonly FailureKind[] = ['spend_limited', 'not_configured'];

/** Whether a failure that ended its request leaves the app `unavailable`: one the kit gave up on, or one above. */
export const leavesUnavailable = (kind: FailureKind, retryable: boolean): boolean =>
  kind !== 'aborted' && (retryable || SHOWN_AFTER_STOPPING.includes(kind));
export const isNeverRetried = (kind: FailureKind): boolean => NEVER.includes(kind);

/**
 * "Claude has too much to do": what closes a gate and shrinks its limit. An overload and a rate limit — not the
 * spend limit (its own kind), which no wait cures and which must not hold back everyone else.
 */
export const isPressure = (kind: FailureKind): boolean => kind === 'overloaded' || kind === 'rate_limited';

/**
 * A refusal from the kit handler's line that names the request's place (the handler held it, or its line is full):
 * the line paces it, and the browser adds no window or backoff of its own on top.
 */
export const isLinePaced = (failure: { line?: unknown; retryable: boolean; kind: FailureKind }): boolean =>
  failure.line !== undefined && failure.retryable && failure.kind === 'overloaded';

/** The same rule for a raw answer (a server store that has not classified it): 529, or a 429 that is no spend limit. */
export function isPressureAnswer(status: number, body = ''): boolean {
  return status === 529 || (status === 429 && !body.includes(SPEND_LIMIT_CODE));
}

/**
 * The longest `retry-after` a gate holds everyone for: the default wait budget of overloaded and rate_limited. A
 * longer one ends the request that met it (its policy gives up at once, `retryAfterMs` kept so the app can say when
 * to come back) and holds the others only for the gate's usual window: each in turn meets the same answer, one probe
 * at a time, and gives up too. Without this cap a proxy's "retry-after: 86400" would freeze every request for a day.
 */
export const LONGEST_GATE_HOLD_MS = 600_000; // 10 min, a literal so that bundles which never read it drop it

/** The part of a `retry-after` (ms) a gate honours: all of it up to {@link LONGEST_GATE_HOLD_MS}, else none. */
export const gateHoldFor = (retryAfterMs: number | undefined): number =>
  retryAfterMs !== undefined && retryAfterMs <= LONGEST_GATE_HOLD_MS ? retryAfterMs : 0;
