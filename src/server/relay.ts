/**
 * Passing Claude's answers and errors to the browser as Claude sent them: the same status (529 stays 529), the same
 * JSON, the retry headers and the request id. Only what must never reach a browser (the API key, a proxy's HTML, an
 * answer too large to hold) is left out, and an answer that breaks off says so instead of ending quietly.
 */
import { createParser } from 'eventsource-parser';
import type { Clock } from '../core/clock.js';
import { CLIENT_CLOSED_REQUEST, errorResponse, errorTypeFor, localRequestId } from './errors.js';
import { readBody } from './read-body.js';
import { createStreamRedactor, redact } from './redact.js';
import { SetupProblem } from './setup.js';

/** Headers the browser needs to time its retries and to quote to support. Everything else stays server-side. */
const RELAYED_HEADERS = ['request-id', 'retry-after', 'retry-after-ms', 'x-should-retry'];

/**
 * The headers the browser needs, as a plain record: a record goes to a Response as it is, where a `Headers` object
 * costs its making here and its reading again by a server adapter (@hono/node-server writes a record it is given
 * straight to Node's response; a `Headers` it iterates, sorted, first).
 */
export function relayedHeaderRecord(from: Headers | undefined, secret?: string): Record<string, string> {
  const into: Record<string, string> = {};
  from?.forEach((value, name) => {
    if (RELAYED_HEADERS.includes(name) || name.startsWith('anthropic-ratelimit-')) into[name] = redact(value, secret);
  });
  return into;
}

function hasName(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/** The browser's answer for anything the upstream `fetch` threw (setup problems are found before this). */
export function upstreamErrorResponse(error: unknown, signal: AbortSignal): Response {
  if (signal.aborted || hasName(error, 'AbortError')) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
  // 502: this server is a gateway that could not reach its upstream. Retrying is safe (failed requests are not billed).
  return errorResponse(502, 'api_error', "Could not connect to Claude's API.", { headers: { 'x-should-retry': 'true' } });
}

export interface RelayOptions {
  secret?: string;
  /** The most bytes of a non-streamed answer (or error) held in memory. */
  maxAnswerBytes: number;
  signal: AbortSignal;
}

const isEventStream = (response: Response) => (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');

export const isStreamAnswer = (response: Response) => response.status === 200 && isEventStream(response);

const isBlank = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * Whether an answer is a JSON object, as Claude's answers and errors all are, rather than a proxy's HTML page, a
 * captive portal or nothing: told by its first and last characters. Parsing it all told nothing more that matters
 * here (the browser's client parses it anyway) and cost more than the rest of the relay, a few ms for a long answer.
 */
function isJsonObject(text: string): boolean {
  let start = 0;
  let end = text.length - 1;
  while (start < end && isBlank(text.charCodeAt(start))) start += 1;
  while (end > start && isBlank(text.charCodeAt(end))) end -= 1;
  return start < end && text.charCodeAt(start) === 0x7b /* { */ && text.charCodeAt(end) === 0x7d /* } */;
}

/**
 * A non-streamed answer (success or error), read whole within `maxAnswerBytes`; or the setup problem it reveals
 * (a key Claude refuses).
 */
export async function relayAnswer(upstream: Response, options: RelayOptions): Promise<Response | SetupProblem> {
  const { secret } = options;
  const headers = relayedHeaderRecord(upstream.headers, secret);
  const requestId = headers['request-id'];
  if (upstream.type === 'opaqueredirect' || (upstream.status >= 300 && upstream.status < 400)) {
    await upstream.body?.cancel().catch(() => {});
    // Following would send the key wherever the redirect points; a redirect here means a wrong base URL.
    return errorResponse(502, 'api_error', "Claude's API answered with a redirect, which this server does not follow.", {
      headers: { 'x-should-retry': 'false' },
    });
  }
  if (upstream.status < 200 || upstream.status > 599) {
    await upstream.body?.cancel().catch(() => {});
    // fetch hands a gateway's 600 or 999 over as is, but no Response can carry it (the constructor throws).
    return errorResponse(502, 'api_error', `Claude's API answered with status ${upstream.status}, which HTTP does not define.`, {
      headers: { 'x-should-retry': 'true' },
    });
  }
  const read = await readBody(upstream.body, { limit: options.maxAnswerBytes });
  if (!read.ok) {
    if (read.reason === 'too_large') {
      return errorResponse(502, 'api_error', `Claude's answer was larger than this server holds (${options.maxAnswerBytes} bytes).`, {
        headers: { 'x-should-retry': 'false' },
      });
    }
    if (options.signal.aborted) return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    return errorResponse(502, 'api_error', "The connection to Claude's API broke before the answer was complete.", {
      headers: { 'x-should-retry': 'true' },
    });
  }
  const text = redact(read.text, secret);
  if (upstream.status === 401) {
    return secret
      ? new SetupProblem(
          'its API key was refused',
          "Claude's API answered 401 authentication_error: check ANTHROPIC_API_KEY / apiKey (and that baseURL is Claude's API).",
          requestId,
        )
      : new SetupProblem('no API key', "Claude's API answered 401 to a request sent without a key: set ANTHROPIC_API_KEY or pass `apiKey`.", requestId);
  }
  if (isJsonObject(text)) {
    headers['content-type'] = 'application/json';
    return new Response(text, { status: upstream.status, headers });
  }
  // No JSON: an HTML page from a proxy or a captive portal, or an empty body. The status stays; the markup never
  // reaches the browser. A 200 that is not JSON is no answer at all: a gateway error, worth retrying.
  const status = upstream.status < 400 ? 502 : upstream.status;
  if (status >= 500 && headers['x-should-retry'] === undefined) headers['x-should-retry'] = 'true';
  const message = `Claude's API answered ${upstream.status} without a JSON body (often a proxy's page).`;
  return errorResponse(status, errorTypeFor(status), message, { requestId: requestId ?? localRequestId(), headers });
}

const encoder = new TextEncoder();
// ignoreBOM: a byte-order mark is relayed as sent, not swallowed.
const wholeDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const sseError = (type: string, message: string) =>
  encoder.encode(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`);

export interface StreamRelayOptions {
  signal: AbortSignal;
  secret?: string;
  /** The longest silence between two chunks of the stream before it is ended with a retryable `event: error`. */
  idleTimeoutMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Runs once however the stream ends, with the data of Claude's own `event: error` if Claude ended it with one. */
  onEnd: (claudeError?: string) => void;
}

/**
 * Relays the upstream SSE bytes as they come (a mid-stream `event: error` included), with the key redacted even
 * when it is split across chunks, while watching the events go by. A stream that breaks, goes silent for
 * `idleTimeoutMs` or ends without `message_stop` would leave the browser with half an answer and no reason, so one
 * `event: error` is added then, in Anthropic's shape. `onEnd` runs once, however the stream ends, with the data of
 * Claude's own `event: error` when Claude broke the stream off with one (an error this relay adds is not Claude's
 * and is not passed).
 *
 * Every pull either hands the browser bytes or ends the stream: a chunk that decodes to nothing yet (the first bytes
 * of a multi-byte character, the first characters of what could be the key) is followed by another read, never by
 * a pull that returns empty-handed (a stream does not ask again by itself, and the browser would wait for ever).
 *
 * Each chunk is decoded (the events are watched, and the key is matched in text), but a chunk whose text redaction
 * left as it was is relayed as the very bytes that came, when those bytes are exactly that text: no character split
 * at either end, nothing the decoder replaced. Encoding the text again cost more than everything else per chunk.
 */
export function relayStream(upstream: Response, options: StreamRelayOptions): Response {
  return prepareStreamRelay(options)(upstream);
}

/**
 * {@link relayStream} in two steps: everything that does not need the answer (the decoder, the event parser, the
 * redactor, the body stream, which alone costs 10–20 µs to make in Node 20) made first, while Claude thinks; then the
 * answer relayed through it when it comes. A relay made and never given an answer (Claude answered a stream request
 * with a JSON error) holds nothing: no timer, no listener.
 */
export function prepareStreamRelay(options: StreamRelayOptions): (upstream: Response) => Response {
  const { signal, secret, onEnd, clock } = options;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let attach: (() => void) | undefined;
  // The body stream asks for its first chunk as soon as it is made: that first pull waits for the answer.
  const attached = new Promise<void>((resolve) => (attach = resolve));
  const redactor = createStreamRedactor(secret);
  let finished = false;
  let sawEnd = false;
  let claudeError: string | undefined;
  const parser = createParser({
    onEvent: (event) => {
      if (event.event === 'message_stop' || event.event === 'error') sawEnd = true;
      if (event.event === 'error') claudeError = event.data;
    },
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    signal.removeEventListener('abort', onAbort);
    onEnd(claudeError);
  };
  // The browser left: the upstream fetch is aborted with it, but only a read would notice, and a server that has
  // nowhere to write the body may never read or cancel it again. Its slot toward Claude is given back now.
  const onAbort = () => {
    finish();
    reader?.cancel().catch(() => {});
  };
  /**
   * The next chunk, or `silent` when none came within the idle limit. The limit cancels the upstream read, which
   * ends the pending one: a timer per read, no race.
   */
  const nextChunk = async (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<ReadableStreamReadResult<Uint8Array> | 'silent'> => {
    let silent = false;
    const timer = clock.setTimeout(() => {
      silent = true;
      reader.cancel().catch(() => {});
    }, options.idleTimeoutMs);
    try {
      const next = await reader.read();
      return silent ? 'silent' : next;
    } finally {
      clock.clearTimeout(timer);
    }
  };
  // Whether the decoder holds nothing back from the chunks so far: the last one ended in an ASCII byte, which is
  // never part of a multi-byte character (nor the start of one).
  let boundary = true;
  // Whether the last chunk began and ended so (`boundary` before and after it): nothing can be split at either end,
  // so it is decoded whole by one decoder shared by every stream (in Node 20 a whole decode takes a fast path a
  // streaming one does not: a 2,000-token stream cost a third less, issue 29), and its bytes are exactly its text
  // unless the decoder replaced some. Any other chunk goes through the stream's own decoder, which carries a split
  // character over; one of another kind (an ArrayBuffer, a wider array) is decoded and encoded, as before.
  let whole = false;
  let decoder: TextDecoder | undefined;
  const decode = (chunk: Uint8Array): string => {
    const before = boundary;
    if (!(chunk instanceof Uint8Array)) boundary = false;
    else if (chunk.length > 0) boundary = chunk[chunk.length - 1]! < 0x80;
    whole = before && boundary;
    return whole ? wholeDecoder.decode(chunk) : (decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(chunk, { stream: true });
  };
  /** What is left at the end: what the decoder and the redactor still hold (an incomplete character as U+FFFD). */
  const rest = () => redactor.push(decoder?.decode() ?? '') + redactor.flush();
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string, bytes?: Uint8Array) => {
    if (!text) return false;
    parser.feed(text);
    controller.enqueue(bytes ?? encoder.encode(text));
    return true;
  };
  const end = (controller: ReadableStreamDefaultController<Uint8Array>, tail: string, why: string) => {
    send(controller, tail);
    if (!sawEnd) controller.enqueue(sseError('api_error', why));
    controller.close();
    finish();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!reader) await attached;
      try {
        for (;;) {
          const next = await nextChunk(reader!);
          if (next === 'silent') {
            reader!.cancel().catch(() => {});
            const seconds = Math.round(options.idleTimeoutMs / 1000);
            return end(controller, rest(), `Claude's stream went silent for ${seconds} s; please retry.`);
          }
          if (next.done) return end(controller, rest(), "Claude's stream ended before the answer was complete.");
          const decoded = decode(next.value);
          const text = redactor.push(decoded);
          // U+FFFD: the decoder may have replaced malformed bytes; the text, encoded, is what is relayed then.
          if (send(controller, text, whole && text === decoded && !decoded.includes('\uFFFD') ? next.value : undefined)) return;
        }
      } catch {
        // The browser left (and the upstream fetch was aborted): nobody reads on, and servers log an errored body as a crash.
        if (signal.aborted) {
          finish();
          return controller.close();
        }
        end(controller, redactor.flush(), "The connection to Claude's API broke mid-stream.");
      }
    },
    cancel(reason) {
      finish();
      return reader?.cancel(reason);
    },
  });
  return (upstream) => {
    const headers = relayedHeaderRecord(upstream.headers, secret);
    headers['content-type'] = upstream.headers.get('content-type') ?? 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    // Proxies such as nginx buffer responses by default, which would hold tokens back.
    headers['x-accel-buffering'] = 'no';
    const source = upstream.body;
    if (!source) {
      onEnd();
      return new Response(sseError('api_error', "Claude's API sent an empty stream."), { status: 200, headers });
    }
    reader = source.getReader();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    attach!();
    return new Response(body, { status: upstream.status, headers });
  };
}
