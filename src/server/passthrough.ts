/**
 * The rest of Claude's API through the same door, when the app opts in (`allowRoutes`): models, message batches and
 * files are forwarded with the server's key, the client's `anthropic-version` and `anthropic-beta`, the app's
 * `authorize` (told the route) and CORS, and the key kept out of what comes back. They never wait in the line: they
 * do not ask Claude to generate anything now, and a batch is paced by Anthropic itself. Uploads and downloads stream
 * through (a file can be 500 MB); only JSON answers, which are small, are read whole.
 */
import { authorized } from './app-checks.js';
import type { AuthorizeContext, AuthorizeVerdict } from './app-checks.js';
import { CLIENT_CLOSED_REQUEST, errorResponse, shuttingDownResponse } from './errors.js';
import { readBody } from './read-body.js';
import { redact } from './redact.js';
import { byteRedactor } from './redact-bytes.js';
import { relayAnswer, relayedHeaderRecord, upstreamErrorResponse } from './relay.js';
import { API_ROUTES, apiCallOf } from './routes.js';
import type { ApiCall, ApiRoute } from './routes.js';
import { SetupProblem } from './setup.js';
import type { StoreLogger } from './store/types.js';
import { DEFAULT_ANTHROPIC_VERSION } from './upstream.js';
import type { Upstream } from './upstream.js';

const MIB = 1024 * 1024;

/**
 * The largest upload per route: Anthropic's own request limits (256 MB for a batch, 500 MB for a file), in MiB so
 * that nothing Anthropic takes is refused here. Uploads stream through; these bound what a client may make this
 * server relay, not what it holds.
 */
export const UPLOAD_LIMITS: Record<ApiRoute, number> = { models: 0, batches: 256 * MIB, files: 500 * MIB };

const ROUTE_NAMES: Record<ApiRoute, string> = { models: 'the Models API', batches: 'the Message Batches API', files: 'the Files API' };

export interface PassthroughOptions {
  allowRoutes?: readonly ApiRoute[];
  upstream: Upstream;
  maxAnswerBytes: number;
  authorize?: (request: Request, context: AuthorizeContext) => AuthorizeVerdict | Promise<AuthorizeVerdict>;
  logger: StoreLogger;
  notConfigured: (problem: SetupProblem) => Response;
  /** The app is shutting down (its store closed): nothing more is sent to Claude from here. */
  isClosed: () => boolean;
}

export interface Passthrough {
  /** Any request for a `/v1/…` path other than messages and count_tokens: forwarded when allowed, else a 404. */
  handle(request: Request): Promise<Response>;
  /** The methods a preflight may grant for this URL (`GET, DELETE, OPTIONS`), or undefined when it is not an allowed route. */
  preflightMethods(url: string): string | undefined;
}

/** The app's list, checked once: a typo should fail at startup, not as a 404 in production. */
function allowedRoutesOf(allow: readonly ApiRoute[] | undefined): ReadonlySet<ApiRoute> {
  if (allow === undefined) return new Set();
  const unknown = Array.isArray(allow) ? allow.filter((route) => !API_ROUTES.includes(route)) : [allow];
  if (unknown.length > 0) {
    throw new TypeError(`allowRoutes: ${unknown.map(String).join(', ')} is not a route this handler forwards; use any of ${API_ROUTES.map((r) => `'${r}'`).join(', ')}.`);
  }
  return new Set(allow);
}

const notFound = (path: string, hint = '') =>
  errorResponse(404, 'not_found_error', `Not found: ${path}. This server forwards …/v1/messages and …/v1/messages/count_tokens${hint || ' only'}.`);

/** A request body that errors once it passes `limit` bytes, so a stream larger than allowed never reaches Claude whole. */
function limited(body: ReadableStream<Uint8Array>, limit: number, onOver: () => void): ReadableStream<Uint8Array> {
  let total = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > limit) {
          onOver();
          controller.error(new RangeError('request body over the limit'));
        } else controller.enqueue(chunk);
      },
    }),
  );
}

const tooLarge = (limit: number) => errorResponse(413, 'request_too_large', `Request exceeds the maximum allowed number of bytes (${limit}).`);

/** A batch's `results_url` points at Claude's API; through the mount it points back at the mount, so the SDK's `results()` comes this way too. */
function pointResultsAtMount(json: unknown, mount: string): unknown {
  const rewrite = (batch: unknown) => {
    if (typeof batch !== 'object' || batch === null) return;
    const record = batch as { results_url?: unknown };
    if (typeof record.results_url !== 'string') return;
    const at = record.results_url.lastIndexOf('/v1/messages/batches/');
    if (at >= 0) record.results_url = mount + record.results_url.slice(at);
  };
  rewrite(json);
  const data = (json as { data?: unknown } | null)?.data;
  if (Array.isArray(data)) data.forEach(rewrite);
  return json;
}

const isJson = (response: Response) => /^application\/(.+\+)?json\b/i.test(response.headers.get('content-type') ?? '');

export function createPassthrough(options: PassthroughOptions): Passthrough {
  const allowed = allowedRoutesOf(options.allowRoutes);
  const { upstream, logger } = options;

  /** Claude's success as the client should see it: JSON read whole and cleaned, anything else streamed through. */
  async function answerOf(sent: Response, call: ApiCall, signal: AbortSignal): Promise<Response> {
    const secret = upstream.key();
    const headers = relayedHeaderRecord(sent.headers, secret);
    if (isJson(sent)) {
      const read = await readBody(sent.body, { limit: options.maxAnswerBytes });
      if (!read.ok) {
        if (signal.aborted) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
        const message = read.reason === 'too_large'
          ? `Claude's answer was larger than this server holds (${options.maxAnswerBytes} bytes).`
          : "The connection to Claude's API broke before the answer was complete.";
        return errorResponse(502, 'api_error', message, { headers: { 'x-should-retry': read.reason === 'too_large' ? 'false' : 'true' } });
      }
      let text = redact(read.text, secret);
      if (call.route === 'batches') {
        try {
          text = JSON.stringify(pointResultsAtMount(JSON.parse(text), call.mount));
        } catch {
          // Not JSON after all: relayed as it came.
        }
      }
      headers['content-type'] = sent.headers.get('content-type')!;
      return new Response(text, { status: sent.status, headers });
    }
    for (const name of ['content-type', 'content-disposition']) {
      const value = sent.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const redactor = byteRedactor(secret);
    const body = sent.body && redactor ? sent.body.pipeThrough(redactor) : sent.body;
    return new Response(body, { status: sent.status, headers });
  }

  async function forward(request: Request, call: ApiCall): Promise<Response> {
    const target = upstream.target();
    if (target instanceof SetupProblem) return options.notConfigured(target);
    const limit = UPLOAD_LIMITS[call.route];
    if (Number(request.headers.get('content-length') ?? NaN) > limit) return tooLarge(limit);
    const headers: Record<string, string> = {
      'anthropic-version': request.headers.get('anthropic-version') ?? DEFAULT_ANTHROPIC_VERSION,
      accept: request.headers.get('accept') ?? 'application/json',
    };
    for (const name of ['anthropic-beta', 'content-type']) {
      const value = request.headers.get(name);
      if (value) headers[name] = value;
    }
    if (target.apiKey) headers['x-api-key'] = target.apiKey;
    let over = false;
    const body = request.method === 'POST' && request.body ? limited(request.body, limit, () => (over = true)) : undefined;
    let sent: Response;
    try {
      const call_ = target.fetch;
      sent = await call_(`${target.baseURL}${call.path}`, {
        method: request.method,
        headers,
        signal: request.signal,
        redirect: 'manual',
        ...(body ? { body, duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      if (over) return tooLarge(limit);
      return upstreamErrorResponse(error, request.signal);
    }
    if (sent.status >= 200 && sent.status < 300) return answerOf(sent, call, request.signal);
    // Errors, redirects and proxies' pages are relayed as the Messages route relays them (a refused key is a setup problem).
    const relayed = await relayAnswer(sent, { secret: upstream.key(), maxAnswerBytes: options.maxAnswerBytes, signal: request.signal });
    return relayed instanceof SetupProblem ? options.notConfigured(relayed) : relayed;
  }

  return {
    preflightMethods(url) {
      const call = apiCallOf(url);
      return call && allowed.has(call.route) ? [...call.methods, 'OPTIONS'].join(', ') : undefined;
    },
    async handle(request) {
      const call = apiCallOf(request.url);
      const path = new URL(request.url).pathname;
      if (!call) return notFound(path);
      if (!allowed.has(call.route)) {
        return notFound(path, `; the app can forward ${ROUTE_NAMES[call.route]} with the handler option \`allowRoutes: ['${call.route}']\``);
      }
      if (!call.methods.includes(request.method)) {
        return errorResponse(405, 'invalid_request_error', `Method ${request.method} is not allowed here; send ${call.methods.join(' or ')}.`, {
          headers: { allow: call.methods.join(', ') },
        });
      }
      if (options.isClosed()) return shuttingDownResponse();
      const refusal = await authorized(options.authorize, request, logger, { route: call.route });
      if (refusal) return refusal;
      return forward(request, call);
    },
  };
}
