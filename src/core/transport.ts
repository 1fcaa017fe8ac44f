import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { systemClock, type Clock } from './clock.js';
import { ClaudeError, readClaudeError, toClaudeError } from './failure.js';
import { keepTicket, PRIORITY_HEADER, TICKET_HEADER, turnToShow } from './line-ticket.js';
import type { LineTicket } from './line-ticket.js';
import { createAlarm, isRecord } from './util.js';

/** A Messages API request body, as the app's endpoint forwards it to Claude. */
export interface MessageRequest {
  model?: string;
  max_tokens?: number;
  messages: Array<{ role: 'user' | 'assistant'; content: string | Array<Record<string, unknown>> }>;
  system?: string | Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** A Messages API answer. Only the fields the kit reads are typed; the rest pass through. */
export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  content: Array<{ type: string; text?: string; [key: string]: unknown }>;
  model?: string;
  stop_reason?: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
  [key: string]: unknown;
}

export interface TransportOptions {
  /** The app's backend route that forwards to Claude. Defaults to `/api/claude`. */
  endpoint?: string;
  /** Extra headers (auth, CSRF) sent with every request; a function is called per request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** A custom fetch. Defaults to the global fetch, read at call time. */
  fetch?: typeof fetch;
  /**
   * The longest a non-streamed answer (or a stream's first byte) may take before the attempt fails as a retryable
   * `timeout`. Claude can take minutes on long answers. `Infinity` for no limit. Defaults to 10 min.
   */
  timeoutMs?: number;
  /**
   * The longest a stream may go without a byte (Claude sends pings while it thinks). Defaults to 60 s. Pings keep a
   * stream alive only so long: one that sends nothing but pings for `timeoutMs` fails as a `timeout` too. `Infinity`
   * for no limit.
   */
  streamIdleTimeoutMs?: number;
  /**
   * Keep each request's place in the kit handler's line across its tries (the `x-claude-kit-ticket` header), so the
   * person hears "You're in line" with the expected wait. A custom request header makes a cross-origin request
   * preflighted, so this defaults to on only for a relative `endpoint` (same origin); the handler's `cors` allows it.
   */
  lineTicket?: boolean;
  clock?: Clock;
}

export interface StreamCallbacks {
  /** The whole text so far, each time it grows. */
  onText?: (text: string, delta: string) => void;
  /** Every chunk of bytes received, pings included (the transport uses it to watch for a stalled stream). */
  onChunk?: () => void;
  /** Each piece of the answer's content (text, thinking, a tool call's input) as it arrives: Claude is answering. */
  onDelta?: () => void;
}

export interface Transport {
  /** `ticket`: the request's place in the handler's line, kept from one attempt to the next (`newLineTicket()`). */
  send(request: MessageRequest, signal?: AbortSignal, ticket?: LineTicket): Promise<Message>;
  /** Streams over SSE. Rejects with a ClaudeError marked `midStream` when the stream breaks after HTTP 200. */
  stream(request: MessageRequest, signal?: AbortSignal, callbacks?: StreamCallbacks, ticket?: LineTicket): Promise<Message>;
}

/** The text of an answer: its text blocks, joined. Tolerates a missing or sparse `content`. */
export function messageText(message: Pick<Message, 'content'>): string {
  let text = '';
  const content: unknown = message?.content;
  if (!Array.isArray(content)) return text;
  for (const block of content) if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') text += block.text;
  return text;
}

/**
 * A signal that aborts with a `TimeoutError` when `ms` pass without a `touch()`, or with the caller's reason when the
 * caller's signal aborts. `done()` drops the timer.
 */
function deadline(outer: AbortSignal | undefined, ms: number, clock: Clock) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  outer?.addEventListener('abort', onAbort, { once: true });
  // `Infinity` (an app's "no limit") is no timer; a far moment waits as long as a timer can (the alarm's rules).
  const alarm = createAlarm(clock, () => controller.abort(new DOMException('Claude took too long to answer.', 'TimeoutError')));
  const touch = (after: number) => alarm(clock.now() + after);
  touch(ms);
  return {
    signal: controller.signal,
    touch,
    done() {
      alarm(undefined);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

export function createTransport(options: TransportOptions = {}): Transport {
  const endpoint = options.endpoint ?? '/api/claude';
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const idleMs = options.streamIdleTimeoutMs ?? 60_000;
  const useTicket = options.lineTicket ?? !/^[a-z][a-z\d+.-]*:|^\/\//i.test(endpoint);

  async function post(body: MessageRequest, signal: AbortSignal | undefined, accept: string, ticket?: LineTicket): Promise<Response> {
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const headers = new Headers(extra);
    headers.set('content-type', 'application/json');
    headers.set('accept', accept);
    if (ticket && useTicket) {
      headers.set(TICKET_HEADER, ticket.value);
      // Same condition as the ticket: a custom header makes a cross-origin request preflighted.
      if (ticket.priority === 'background') headers.set(PRIORITY_HEADER, 'background');
    }
    let response: Response;
    try {
      response = await (options.fetch ?? globalThis.fetch)(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (error) {
      throw toClaudeError(error);
    }
    if (!response.ok) {
      const failure = await readClaudeError(response, { now: clock.now });
      if (ticket) {
        keepTicket(ticket, response.headers);
        if (failure.line) failure.line = turnToShow(ticket, failure.line, clock.now());
      }
      throw failure;
    }
    return response;
  }

  return {
    async send(request, signal, ticket) {
      const limit = deadline(signal, timeoutMs, clock);
      try {
        const response = await post({ ...request, stream: false }, limit.signal, 'application/json', ticket);
        let body: unknown;
        try {
          body = await response.json();
        } catch (error) {
          if (limit.signal.aborted) throw toClaudeError(limit.signal.reason);
          throw new ClaudeError({ kind: 'server_error', status: response.status, message: 'The answer was not valid JSON.', cause: error });
        }
        if (!isMessage(body)) {
          throw new ClaudeError({ kind: 'server_error', status: response.status, message: 'The answer was not a Claude message.' });
        }
        return body;
      } finally {
        limit.done();
      }
    },

    async stream(request, signal, callbacks = {}, ticket) {
      const limit = deadline(signal, timeoutMs, clock);
      // Bytes (pings included) keep `limit` alive; only events that carry the answer keep `progress` alive.
      const progress = deadline(limit.signal, timeoutMs, clock);
      try {
        const response = await post({ ...request, stream: true }, limit.signal, 'text/event-stream', ticket);
        if (!response.body) throw new ClaudeError({ kind: 'server_error', message: 'The stream had no body.', midStream: true });
        limit.touch(idleMs);
        progress.touch(timeoutMs);
        return await readStream(response.body, progress.signal, {
          ...callbacks,
          onChunk() {
            limit.touch(idleMs);
            callbacks.onChunk?.();
          },
        }, () => progress.touch(timeoutMs));
      } finally {
        progress.done();
        limit.done();
      }
    },
  };
}

/**
 * Reads an Anthropic SSE stream into a Message, calling back as the text grows. The transport's own reader, in no
 * public entry (apps use `createTransport().stream` or `createClaudeClient().stream`); its tests call it directly.
 */
export function readMessageStream(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  callbacks: StreamCallbacks = {},
): Promise<Message> {
  return readStream(body, signal, callbacks);
}

/** A block index as sent, trusted only where blocks can be: the next one or one already open (never `__proto__`). */
function blockIndex(raw: unknown, length: number): number | undefined {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= length ? raw : undefined;
}

async function readStream(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  callbacks: StreamCallbacks,
  onProgress?: () => void,
): Promise<Message> {
  let message: Message | undefined;
  let text = '';
  let failure: ClaudeError | undefined;
  let stopped = false;

  const onEvent = (event: EventSourceMessage) => {
    if (failure || stopped) return;
    let data: Record<string, any>;
    try {
      data = JSON.parse(event.data);
    } catch {
      failure = new ClaudeError({ kind: 'server_error', message: 'The stream sent an unreadable event.', midStream: true });
      return;
    }
    if (typeof data !== 'object' || data === null) return; // `null` or `1` is valid JSON, not an event
    const type = event.event ?? data.type;
    if (type !== 'ping') onProgress?.();
    if (type === 'error') failure = toClaudeError(data, { midStream: true });
    else if (type === 'message_start' && isRecord(data.message)) message = { ...(data.message as Message), content: [] };
    else if (type === 'content_block_start' && message && isRecord(data.content_block)) {
      const index = blockIndex(data.index, message.content.length) ?? message.content.length;
      message.content[index] = { ...(data.content_block as Message['content'][number]) };
    } else if (type === 'content_block_delta' && isRecord(data.delta)) {
      callbacks.onDelta?.();
      // An index that cannot be a block's goes to the block opened last, so the text still lands somewhere sane.
      const blocks = message?.content ?? [];
      const block = blocks[blockIndex(data.index ?? 0, blocks.length - 1) ?? blocks.length - 1];
      // Each delta's strings grow the block's fields of the same name, as the SDK builds them: text, thinking,
      // signature, and a tool call's partial_json (its input once the block stops). Text alone was kept before: a
      // streamed tool call came with an empty input, a thinking block without the signature a next turn needs.
      for (const key in data.delta) {
        const piece = data.delta[key];
        // A citation (an object, its own delta) joins the text's citations.
        if (key === 'citation' && block) ((block.citations ||= []) as unknown[]).push(piece);
        if (key === 'type' || !piece || typeof piece !== 'string') continue; // '' first, for a tool call without input
        if (block) block[key] = (block[key] ?? '') + piece;
        if (key === 'text') callbacks.onText?.((text += piece), piece);
      }
    } else if (type === 'content_block_stop') {
      // Throws, leaving the block as it is, for no block, no partial_json (no tool call) or a call cut short.
      try {
        const block = message!.content[data.index]!;
        block.input = JSON.parse(block.partial_json as string);
        delete block.partial_json;
      } catch { /* nothing to parse */ }
    } else if (type === 'message_delta' && message) {
      message.stop_reason = data.delta?.stop_reason ?? message.stop_reason;
      // Which of the request's stop_sequences ended the answer: the unstreamed answer says it, so must this one.
      message.stop_sequence = data.delta?.stop_sequence ?? message.stop_sequence;
      message.usage = { ...message.usage, ...(isRecord(data.usage) ? data.usage : {}) };
    } else if (type === 'message_stop') stopped = true;
  };

  const parser = createParser({ onEvent });
  // SSE allows CR, LF and CRLF line endings; the parser waits after a lone CR for a possible LF, so a stream that
  // ends in CRs would lose its last event. Normalise to LF, holding a trailing CR until the next chunk says which.
  let carry = '';
  const feed = (chunk: string, last = false) => {
    let data = carry + chunk;
    carry = '';
    if (!last && data.endsWith('\r')) {
      carry = '\r';
      data = data.slice(0, -1);
    }
    parser.feed(data.replace(/\r\n?/g, '\n') + (last ? '\n\n' : ''));
  };
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // Not every fetch errors the body when its signal aborts (mocks, polyfills, custom fetches): stop reading ourselves,
  // or a cancelled stream would wait for the server's next byte.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    while (!failure && !stopped) {
      const { done, value } = await reader.read();
      if (done) {
        feed(decoder.decode(), true);
        break;
      }
      callbacks.onChunk?.();
      feed(decoder.decode(value, { stream: true }));
    }
  } catch (error) {
    if (signal?.aborted) throw toClaudeError(signal.reason);
    throw toClaudeError(error, { midStream: true });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => {});
  }
  if (signal?.aborted) throw toClaudeError(signal.reason);
  if (failure) throw failure;
  if (!stopped || !message) {
    throw new ClaudeError({ kind: 'server_error', message: 'The stream ended before the answer was complete.', midStream: true });
  }
  return message;
}


function isMessage(value: unknown): value is Message {
  return isRecord(value) && value.type === 'message' && Array.isArray(value.content);
}
