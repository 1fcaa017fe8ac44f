/**
 * CORS, only when configured: by default the handler serves its own origin and sends no CORS headers, so no other
 * site's page can spend the app's Claude budget from a visitor's browser.
 */
import { LINE_HEADERS, MODEL_FALLBACK_HEADER, PRIORITY_HEADER, TICKET_HEADER } from './admission/hints.js';

export interface CorsOptions {
  /**
   * Allowed origins: exact origins ('https://app.example'), '*' for any, or a predicate. Required. With
   * `credentials`, '*' is refused when the handler is created and the origin `null` (sandboxed frames, files) is
   * never granted: either would let any page spend the app's budget with a visitor's cookies.
   */
  origin: string | readonly string[] | ((origin: string) => boolean);
  /** Request headers the browser may send besides content-type. Defaults to []. */
  allowHeaders?: readonly string[];
  /** Sends `Access-Control-Allow-Credentials: true` (cookies). Defaults to false. */
  credentials?: boolean;
  /** How long browsers may cache a preflight, in seconds. Defaults to 600. */
  maxAge?: number;
}

// Without these the browser's script cannot read the retry timing or the id to quote to support.
const EXPOSED_HEADERS = [
  'request-id', 'retry-after', 'retry-after-ms', 'x-should-retry',
  'anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset',
  'anthropic-ratelimit-input-tokens-reset', 'anthropic-ratelimit-output-tokens-reset',
  // Tells a setup mistake on the app's server from Claude's own errors.
  'x-claude-kit-error',
  // The kit's own transport keeps its place in the handler's line with these.
  ...LINE_HEADERS,
  // Which model answered, when the handler's fallback chain moved the request.
  MODEL_FALLBACK_HEADER,
].join(', ');

/** Refuses a CORS setup that would grant credentials to every origin. */
export function assertCorsOptions(options: CorsOptions): void {
  if (options.credentials && (options.origin === '*' || (Array.isArray(options.origin) && options.origin.includes('*')))) {
    throw new TypeError(
      "cors: origin '*' cannot be combined with credentials: true (any site could send requests with your visitors' cookies); list the allowed origins instead.",
    );
  }
}

function allowedOrigin(origin: string | null, options: CorsOptions): string | null {
  if (!origin) return null;
  // An opaque origin is shared by every sandboxed page and local file: never one to trust with credentials.
  if (origin === 'null' && options.credentials) return null;
  const rule = options.origin;
  if (rule === '*') return options.credentials ? null : '*';
  if (typeof rule === 'function') return rule(origin) ? origin : null;
  const list: readonly string[] = typeof rule === 'string' ? [rule] : rule;
  return list.includes(origin) ? origin : null;
}

/** The CORS headers for a request, or none (not configured, no Origin, or an origin not allowed). */
export function corsHeaders(request: Request, options: CorsOptions | undefined): Headers | null {
  if (!options) return null;
  const origin = allowedOrigin(request.headers.get('origin'), options);
  if (!origin) return null;
  const headers = new Headers({ 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS });
  if (origin !== '*') headers.set('vary', 'origin');
  if (options.credentials) headers.set('access-control-allow-credentials', 'true');
  return headers;
}

/** How long a browser may reuse a preflight's answer, in seconds: one preflight per route every ten minutes at most. */
const DEFAULT_MAX_AGE_S = 600;

/** `methods`: what the route takes (the opt-in routes take GET and DELETE too). Defaults to 'POST, OPTIONS'. */
export function preflightResponse(request: Request, options: CorsOptions, methods = 'POST, OPTIONS'): Response {
  const headers = corsHeaders(request, options) ?? new Headers({ vary: 'origin' });
  if (headers.has('access-control-allow-origin')) {
    headers.set('access-control-allow-methods', methods);
    headers.set('access-control-allow-headers', ['content-type', TICKET_HEADER, PRIORITY_HEADER, ...(options.allowHeaders ?? [])].join(', '));
    headers.set('access-control-max-age', String(options.maxAge ?? DEFAULT_MAX_AGE_S));
  }
  return new Response(null, { status: 204, headers });
}

/** The same response with the CORS headers added (a fresh Response, since fetched headers can be immutable). */
export function withCors(response: Response, cors: Headers | null): Response {
  if (!cors) return response;
  const headers = new Headers(response.headers);
  cors.forEach((value, name) => headers.set(name, value));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
