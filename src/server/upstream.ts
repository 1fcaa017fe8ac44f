/**
 * The one call to Claude's API, over plain `fetch`: the browser's body and its `anthropic-version` and
 * `anthropic-beta` headers as they came, the server's key as `x-api-key`, redirects not followed. No SDK sits in the
 * request path, so no SDK limit (non-streamed max_tokens) or header rewrite changes what the client asked for.
 */
import type { Route } from './routes.js';
import { UPSTREAM_PATH } from './routes.js';
import { SetupProblem } from './setup.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The version sent when the client names none; the one every SDK has sent since 2023. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
export const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** What is forwarded besides the body: the two headers that change what Claude does, and the query (`?beta=true`). */
export interface Forwarded {
  route: Route;
  version: string;
  beta?: string;
  query: string;
}

/**
 * A URL's query as `URL.search` gives it (`?…` without the fragment, empty for a bare `?`), read off a request's URL,
 * which its runtime has already parsed and serialized: no second parse per request.
 */
export function queryOf(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const hash = url.indexOf('#', start);
  const query = hash < 0 ? url.slice(start) : url.slice(start, hash);
  return query.length > 1 ? query : '';
}

export function forwardedOf(request: Request, route: Route): Forwarded {
  const forwarded: Forwarded = {
    route,
    version: request.headers.get('anthropic-version') ?? DEFAULT_ANTHROPIC_VERSION,
    query: queryOf(request.url),
  };
  // Set, not spread: in Node 20 an object literal with properties after a spread costs 1–3 µs (V8's slow path).
  const beta = request.headers.get('anthropic-beta');
  if (beta) forwarded.beta = beta;
  return forwarded;
}

export interface UpstreamOptions {
  apiKey?: string;
  baseURL?: string;
  fetch?: FetchLike;
}

/** `process.env` where there is one (Node, Bun, Next.js); Workers and browsers have none, and that is fine. */
function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}

export interface UpstreamTarget {
  apiKey?: string;
  /** Without a trailing slash. */
  baseURL: string;
  /** Call it unbound (`const call = target.fetch; call(…)`): a Worker's fetch refuses another `this`. */
  fetch: FetchLike;
}

export interface Upstream {
  /** The key in use, read on each call so a key set after startup (tests, secrets loaded late) applies. */
  key(): string | undefined;
  /** Where calls go and with which key, or the setup mistake that keeps them from going anywhere. */
  target(): UpstreamTarget | SetupProblem;
  /** The upstream Response as it came (any status), or the setup problem that kept it from being sent. */
  send(forwarded: Forwarded, body: string, signal: AbortSignal): Promise<Response | SetupProblem>;
}

/** Failures that mean the configured address goes nowhere (not a passing network fault, which EAI_AGAIN would be). */
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'ECONNREFUSED']);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const key = () => options.apiKey ?? env('ANTHROPIC_API_KEY');

  // The last answer of target(), kept while the key, the address and the fetch it came from stay the same: checking
  // an address is a few regular expressions and a URL parse, on every call otherwise.
  let last: { apiKey: string | undefined; base: string; fetch: FetchLike | undefined; target: UpstreamTarget | SetupProblem } | undefined;

  /** Where calls go and with which key, or the setup mistake that keeps them from going anywhere. */
  const target = (): UpstreamTarget | SetupProblem => {
    const apiKey = key();
    const raw = options.baseURL ?? env('ANTHROPIC_BASE_URL') ?? DEFAULT_BASE_URL;
    const fetch = options.fetch ?? globalThis.fetch;
    if (last && last.apiKey === apiKey && last.base === raw && last.fetch === fetch) return last.target;
    const resolved = resolveTarget(apiKey, raw.replace(/\/+$/, ''));
    last = { apiKey, base: raw, fetch, target: resolved };
    return resolved;
  };

  const resolveTarget = (apiKey: string | undefined, baseURL: string): UpstreamTarget | SetupProblem => {
    // With a fetch of its own (the simulator, a gateway that adds credentials) a key may not be needed; should the
    // upstream want one after all, its 401 is reported as "no API key".
    if (!apiKey && !options.fetch) {
      return new SetupProblem('no API key', 'Set ANTHROPIC_API_KEY in the server\'s environment, or pass `apiKey` to createClaudeHandler.');
    }
    if (!/^https?:\/\/[^/]/i.test(baseURL) || !URL.canParse(baseURL)) {
      return new SetupProblem(
        'its Claude API address is not an http(s) URL',
        `baseURL is ${JSON.stringify(baseURL)}; give a full URL such as https://api.anthropic.com or http://127.0.0.1:8787.`,
      );
    }
    if (/\/v1(\/messages)?$/.test(baseURL)) {
      return new SetupProblem(
        'its Claude API address ends in /v1',
        `baseURL is ${baseURL}; give the address without /v1 (e.g. https://api.anthropic.com): the handler adds /v1/messages itself.`,
      );
    }
    return { apiKey, baseURL, fetch: options.fetch ?? globalThis.fetch };
  };

  return {
    key,
    target,
    async send(forwarded, body, signal) {
      const resolved = target();
      if (resolved instanceof SetupProblem) return resolved;
      const { apiKey, baseURL } = resolved;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: forwarded.route === 'messages' ? 'application/json, text/event-stream' : 'application/json',
        'anthropic-version': forwarded.version,
      };
      if (apiKey) headers['x-api-key'] = apiKey;
      if (forwarded.beta) headers['anthropic-beta'] = forwarded.beta;
      const url = `${baseURL}${UPSTREAM_PATH[forwarded.route]}${forwarded.query}`;
      try {
        // Read per call, so a fetch mocked after the handler was created still applies.
        return await (options.fetch ?? globalThis.fetch)(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
      } catch (error) {
        const code = errorCode(error);
        if (!signal.aborted && code && UNREACHABLE_CODES.has(code)) {
          return new SetupProblem(
            "its Claude API address cannot be reached",
            `Fetching ${baseURL} failed with ${code ?? String(error)}; check baseURL / ANTHROPIC_BASE_URL, or pass the simulator's fetch.`,
          );
        }
        throw error;
      }
    },
  };
}
