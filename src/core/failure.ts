import type { FailureKind } from './types.js';
import { parseRetryAfter, readHeader } from './backoff.js';
import { isNeverRetried, isRetryableByDefault, KIT_ERROR_HEADER, kindForStatus, kindForType, SPEND_LIMIT_CODE } from './rules.js';
import { readLinePlace } from './line-ticket.js';
import type { LinePlace } from './line-ticket.js';
import { isRecord as isRec } from './util.js';

export { parseRetryAfter, readHeader };

/** A developer's message when the input has none: the kind in words, e.g. "rate limited (HTTP 429)". */
const plainMessage = (kind: FailureKind): string => kind.replace(/_/g, ' ');

/** `retryable` defaults to the kind's usual answer (overloaded, rate_limited, server_error, timeout, network and
 * offline are retried); `midStream` to false. */
export type ClaudeErrorInit = Pick<ClaudeError, 'kind' | 'message'> & { cause?: unknown }
  & Partial<Pick<ClaudeError, 'status' | 'type' | 'requestId' | 'retryAfterMs' | 'retryable' | 'midStream' | 'errorCode' | 'line'>>;

/** Everything that can go wrong with a Claude call, in one shape. `message` is for developers, not for the UI. */
export class ClaudeError extends Error {
  override name = 'ClaudeError';
  // Declared, not initialised: the constructor assigns them, and a field list would ship as code in every bundle.
  declare kind: FailureKind;
  declare status?: number;
  /** Anthropic's `error.type`, e.g. `overloaded_error`. */
  declare type?: string;
  declare requestId?: string;
  /** What the server asked us to wait, from `retry-after-ms` / `retry-after`. */
  declare retryAfterMs?: number;
  declare retryable: boolean;
  /** The error arrived as an SSE `event: error` after HTTP 200, i.e. part of the answer may already be shown. */
  declare midStream: boolean;
  /** Anthropic's `error.details.error_code`, e.g. `enforced_spend_limit_reached`. */
  declare errorCode?: string;
  /** The request's place in the kit handler's line, when its 529 came from the handler's line with one. */
  declare line?: LinePlace;

  constructor({ message, cause, ...facts }: ClaudeErrorInit) {
    super(message, cause === undefined ? undefined : { cause });
    // The facts as given (a copied error's `name` included, which is ours anyway); the two defaults after.
    Object.assign(this, facts);
    this.retryable = facts.retryable ?? isRetryableByDefault(facts.kind);
    this.midStream = facts.midStream ?? false;
  }
}

type Rec = Record<string, unknown>;
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

const FIELDS = ['status', 'error', 'name', 'message', 'code', 'cause', 'type', 'details', 'apiMessage', 'requestID',
  'request_id', 'error_code', 'errorCode', 'headers'] as const;

/** True for a ClaudeError, also one made by another copy of the kit (bundlers can duplicate modules). */
export function isClaudeError(x: unknown): x is ClaudeError {
  try {
    return x instanceof ClaudeError || (isRec(x) && x.name === 'ClaudeError' && typeof x.kind === 'string'
      && typeof x.retryable === 'boolean');
  } catch {
    return false;
  }
}

/** Copies the fields we read, one guarded read each, so a throwing getter or Proxy trap costs one fact, not all. */
function snapshot(x: unknown): Rec {
  const out: Rec = {};
  if (isRec(x)) for (const key of FIELDS) try { out[key] = x[key]; } catch { /* that fact stays unknown */ }
  return out;
}

/** Drops markup and squeezes whitespace so a proxy's page or a stray tag never reaches `message`. */
function cleanText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
  return clean === '' ? undefined : clean;
}

type Facts = Partial<Pick<ClaudeError, 'kind' | 'status' | 'type' | 'message' | 'requestId' | 'errorCode' | 'midStream'>>
  & { headers?: unknown };

/** Reads an Anthropic error body `{type:"error", error:{type,message,details}, request_id}` or its inner error. */
function fromBody(raw: unknown): Facts {
  const body = snapshot(raw);
  const inner = isRec(body.error) ? snapshot(body.error) : str(body.type) !== undefined && body.type !== 'error' ? body : {};
  const details = snapshot(inner.details);
  return {
    type: str(inner.type),
    message: str(inner.message) ?? str(body.error),
    requestId: str(body.request_id),
    errorCode: str(details.error_code),
  };
}

const NETWORK_MESSAGE = /failed to fetch|fetch failed|networkerror|network error|load failed|network request failed|terminated/i;
const NETWORK_CODE = /^(ECONN|ENOTFOUND|EAI_AGAIN|EPIPE|ENET|EHOST|UND_ERR)/;

/** Names and codes of fetch, DOM and SDK errors that say what happened without a status; the name decides first. */
function kindFromName(name = '', message = '', code = ''): FailureKind | undefined {
  return /^(APIUser)?AbortError$/.test(name) ? 'aborted'
    : /^(APIConnection)?TimeoutError$/.test(name) ? 'timeout'
    : /^(APIConnection|Network)Error$/.test(name) ? 'network'
    : /TIMED?OUT/.test(code) ? 'timeout'
    : NETWORK_CODE.test(code) || (name === 'TypeError' && NETWORK_MESSAGE.test(message)) ? 'network'
    : undefined;
}

function fromObject(raw: Rec): Facts {
  const x = snapshot(raw);
  const given = x.status as number;
  const status = Number.isInteger(given) && given >= 100 && given <= 599 ? given : undefined; // isInteger: a number too
  const body = fromBody(isRec(x.error) ? x.error : x);
  const cause = snapshot(x.cause);
  const name = str(x.name);
  const ownMessage = str(x.message);
  const code = str(x.code) ?? str(cause.code);
  const sdkLike = status !== undefined || x.requestID !== undefined || x.headers !== undefined;
  return {
    ...body,
    kind: kindFromName(name, ownMessage, code) ?? kindFromName(str(cause.name), str(cause.message)),
    status,
    type: body.type ?? str(x.type),
    // The SDK's own message is "529 {json…}"; its body's message, or our plain one, reads better.
    message: body.message ?? str(x.apiMessage) ?? (sdkLike ? undefined : ownMessage),
    requestId: body.requestId ?? str(x.requestID) ?? str(x.request_id),
    errorCode: body.errorCode ?? str(x.errorCode),
    headers: x.headers,
    // The SDK throws an APIError without a status when a stream carries `event: error`.
    midStream: status === undefined && x.headers !== undefined && body.type !== undefined,
  };
}

function factsOf(input: unknown): Facts {
  if (typeof input === 'string') {
    try {
      if (input.trim().startsWith('{')) return factsOf(JSON.parse(input));
    } catch { /* not JSON: a plain message */ }
    return { message: input };
  }
  return isRec(input) ? fromObject(input) : {};
}

function kindOf(facts: Facts, status: number | undefined): FailureKind {
  if (facts.errorCode === SPEND_LIMIT_CODE) return 'spend_limited';
  return facts.kind ?? kindForType(facts.type) ?? (status === undefined ? 'unknown' : kindForStatus(status));
}

export interface ClaudeErrorContext {
  /** The payload arrived as an SSE `event: error` after HTTP 200. */
  midStream?: boolean;
  /** The HTTP status, when the input (e.g. a parsed body) does not carry it. */
  status?: number;
  /** Response headers: `request-id`, `x-should-retry`, `retry-after-ms`, `retry-after`. */
  headers?: Headers;
  /** Clock for HTTP-date `retry-after`. Defaults to Date.now. */
  now?: () => number;
}

function build(input: unknown, context: ClaudeErrorContext): ClaudeError {
  const facts = factsOf(input);
  const status = facts.status ?? context.status;
  const headers = context.headers ?? facts.headers;
  // The kit's own handler names its setup mistakes: the app's server, not Claude, is at fault.
  const kind = readHeader(headers, KIT_ERROR_HEADER)?.trim() === 'not_configured' ? 'not_configured' : kindOf(facts, status);
  const shouldRetry = readHeader(headers, 'x-should-retry')?.trim().toLowerCase();
  // Anthropic's own hint wins, as in its SDK, except where retrying is wrong whatever the server says (a 400 or a
  // 401 fails the same way again; see rules.ts).
  const retryable = shouldRetry !== 'false' && ((shouldRetry === 'true' && !isNeverRetried(kind)) || isRetryableByDefault(kind));
  const plain = plainMessage(kind) + (status === undefined ? '' : ` (HTTP ${status})`);
  return new ClaudeError({
    kind,
    message: cleanText(facts.message) ?? plain,
    status,
    type: facts.type,
    requestId: readHeader(headers, 'request-id') ?? facts.requestId,
    retryAfterMs: parseRetryAfter(headers, context.now),
    retryable,
    midStream: context.midStream ?? facts.midStream ?? false,
    errorCode: facts.errorCode,
    line: readLinePlace(headers),
    cause: input,
  });
}

/**
 * Classifies anything that can go wrong — thrown values, SDK APIErrors, Anthropic error bodies (also as JSON text),
 * SSE error payloads — into a ClaudeError. Never throws; returns a ClaudeError input unchanged.
 */
export function toClaudeError(input: unknown, context: ClaudeErrorContext = {}): ClaudeError {
  if (isClaudeError(input)) return input;
  try {
    return build(input, context);
  } catch (cause) {
    // A hostile input (throwing getters, a Proxy trap) or context: nothing trustworthy is left to read.
    return new ClaudeError({ kind: 'unknown', message: 'unknown', cause });
  }
}

/** Reads a failed Response (its body once) into a ClaudeError; HTML and empty bodies fall back to the status. */
export async function readClaudeError(response: Response, options: { now?: () => number } = {}): Promise<ClaudeError> {
  let status: number | undefined;
  let headers: Headers | undefined;
  let body: unknown;
  try {
    status = response.status;
    headers = response.headers;
    body = JSON.parse(response.bodyUsed ? '' : await response.text());
  } catch {
    // HTML, plain text or empty: the status decides and the markup is dropped. A body that cannot be read (a cut
    // connection) leaves what the status says, which is still true.
  }
  return toClaudeError(isRec(body) ? body : undefined, { status, headers, now: options.now });
}
