/**
 * Passing Claude's answers and errors to the browser as Claude sent them: the same status (529 stays 529), the same
 * JSON, the retry headers and the request id. The SDK's error classes carry all of that; only what must never reach
 * a browser (the API key, a proxy's HTML) is left out.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createParser } from 'eventsource-parser';
import { CLIENT_CLOSED_REQUEST, errorResponse, errorTypeFor, localRequestId } from './errors.js';

/** Headers the browser needs to time its retries and to quote to support. Everything else stays server-side. */
const RELAYED_HEADERS = ['request-id', 'retry-after', 'retry-after-ms', 'x-should-retry'];

export function relayedHeaders(from: Headers | undefined, into = new Headers()): Headers {
  from?.forEach((value, name) => {
    if (RELAYED_HEADERS.includes(name) || name.startsWith('anthropic-ratelimit-')) into.set(name, value);
  });
  return into;
}

/** Replaces the key wherever it appears, in case an upstream (or a proxy) ever echoes what it was sent. */
export function redact(text: string, secret: string | null | undefined): string {
  return secret && secret.length >= 8 ? text.split(secret).join('[redacted]') : text;
}

function hasName(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

function isStatusError(error: unknown): error is InstanceType<typeof Anthropic.APIError> & { status: number } {
  return error instanceof Anthropic.APIError && typeof error.status === 'number';
}

/** The browser's answer for anything the upstream call threw. */
export function upstreamErrorResponse(error: unknown, apiKey: string | null | undefined): Response {
  if (isStatusError(error)) {
    const headers = relayedHeaders(error.headers);
    headers.set('content-type', 'application/json');
    const body = error.error;
    if (typeof body === 'object' && body !== null) {
      return new Response(redact(JSON.stringify(body), apiKey), { status: error.status, headers });
    }
    // No JSON: an HTML page from a proxy, or an empty body. The status stays; the markup never reaches the browser.
    const requestId = headers.get('request-id') ?? localRequestId();
    if (error.status >= 500 && !headers.has('x-should-retry')) headers.set('x-should-retry', 'true');
    const message = `Claude's API answered ${error.status} without a JSON error body (often a proxy's error page).`;
    return errorResponse(error.status, errorTypeFor(error.status), message, { requestId, headers });
  }
  if (error instanceof Anthropic.APIUserAbortError || hasName(error, 'AbortError')) {
    return new Response(null, { status: CLIENT_CLOSED_REQUEST });
  }
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return errorResponse(504, 'timeout_error', "The request to Claude's API timed out.", { headers: { 'x-should-retry': 'true' } });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    // 502: this server is a gateway that could not reach its upstream. Retrying is safe (failed requests are not billed).
    return errorResponse(502, 'api_error', "Could not connect to Claude's API.", { headers: { 'x-should-retry': 'true' } });
  }
  if (error instanceof Anthropic.AnthropicError) {
    // Raised by the SDK before sending: a request it refuses ("Streaming is required for operations that may take
    // longer than 10 minutes") is the browser's to fix; anything else (no key configured) is this server's.
    const message = redact(error.message, apiKey);
    if (/streaming is required/i.test(message)) return errorResponse(400, 'invalid_request_error', message);
    return errorResponse(500, 'api_error', `The Claude handler could not call Claude's API: ${message}`);
  }
  return errorResponse(500, 'api_error', 'Unexpected error in the Claude handler.');
}

/** A non-streamed success, body as received. */
export async function relayMessage(upstream: Response, apiKey: string | null | undefined): Promise<Response> {
  const headers = relayedHeaders(upstream.headers);
  headers.set('content-type', upstream.headers.get('content-type') ?? 'application/json');
  return new Response(redact(await upstream.text(), apiKey), { status: upstream.status, headers });
}

const encoder = new TextEncoder();
const sseError = (type: string, message: string) =>
  encoder.encode(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`);

/**
 * Relays the upstream SSE bytes untouched (a mid-stream `event: error` included) while watching the events go by.
 * A stream that breaks or ends without `message_stop` would leave the browser with half an answer and no reason, so
 * one `event: error` is added then, in Anthropic's shape. `onEnd` runs once, however the stream ends.
 */
export function relayStream(upstream: Response, signal: AbortSignal, onEnd: () => void): Response {
  const headers = relayedHeaders(upstream.headers);
  headers.set('content-type', 'text/event-stream; charset=utf-8');
  headers.set('cache-control', 'no-cache');
  // Proxies such as nginx buffer responses by default, which would hold tokens back.
  headers.set('x-accel-buffering', 'no');
  const source = upstream.body;
  if (!source) {
    onEnd();
    return new Response(sseError('api_error', "Claude's API sent an empty stream."), { status: 200, headers });
  }
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  let sawEnd = false;
  const parser = createParser({
    onEvent: (event) => {
      if (event.event === 'message_stop' || event.event === 'error') sawEnd = true;
    },
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    onEnd();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          if (!sawEnd) controller.enqueue(sseError('api_error', "Claude's stream ended before the answer was complete."));
          controller.close();
          finish();
          return;
        }
        parser.feed(decoder.decode(value, { stream: true }));
        controller.enqueue(value);
      } catch (error) {
        finish();
        // The browser left (and the SDK aborted upstream): nobody reads on, and servers log an errored body as a crash.
        if (signal.aborted) return controller.close();
        if (!sawEnd) controller.enqueue(sseError('api_error', "The connection to Claude's API broke mid-stream."));
        controller.close();
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: upstream.status, headers });
}
