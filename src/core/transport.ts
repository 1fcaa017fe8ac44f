import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ClaudeError, readClaudeError, toClaudeError } from './failure.js';

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
}

export interface StreamCallbacks {
  /** The whole text so far, each time it grows. */
  onText?: (text: string, delta: string) => void;
}

export interface Transport {
  send(request: MessageRequest, signal?: AbortSignal): Promise<Message>;
  /** Streams over SSE. Rejects with a ClaudeError marked `midStream` when the stream breaks after HTTP 200. */
  stream(request: MessageRequest, signal?: AbortSignal, callbacks?: StreamCallbacks): Promise<Message>;
}

/** The text of an answer: its text blocks, joined. */
export function messageText(message: Pick<Message, 'content'>): string {
  return message.content.map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('');
}

export function createTransport(options: TransportOptions = {}): Transport {
  const endpoint = options.endpoint ?? '/api/claude';

  async function post(body: MessageRequest, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const headers = new Headers(extra);
    headers.set('content-type', 'application/json');
    headers.set('accept', accept);
    let response: Response;
    try {
      response = await (options.fetch ?? globalThis.fetch)(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (error) {
      throw toClaudeError(error);
    }
    if (!response.ok) throw await readClaudeError(response);
    return response;
  }

  return {
    async send(request, signal) {
      const response = await post({ ...request, stream: false }, signal, 'application/json');
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        if (signal?.aborted) throw toClaudeError(signal.reason);
        throw new ClaudeError({ kind: 'server_error', status: response.status, message: 'The answer was not valid JSON.', cause: error });
      }
      if (!isMessage(body)) {
        throw new ClaudeError({ kind: 'server_error', status: response.status, message: 'The answer was not a Claude message.' });
      }
      return body;
    },

    async stream(request, signal, callbacks = {}) {
      const response = await post({ ...request, stream: true }, signal, 'text/event-stream');
      if (!response.body) throw new ClaudeError({ kind: 'server_error', message: 'The stream had no body.', midStream: true });
      return readMessageStream(response.body, signal, callbacks);
    },
  };
}

/** Reads an Anthropic SSE stream into a Message, calling back as the text grows. */
export async function readMessageStream(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  callbacks: StreamCallbacks = {},
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
    const type = event.event ?? data.type;
    if (type === 'error') failure = toClaudeError(data, { midStream: true });
    else if (type === 'message_start' && isRecord(data.message)) message = { ...(data.message as Message), content: [] };
    else if (type === 'content_block_start' && message && isRecord(data.content_block)) {
      message.content[data.index ?? message.content.length] = { ...(data.content_block as Message['content'][number]) };
    } else if (type === 'content_block_delta' && data.delta?.type === 'text_delta' && typeof data.delta.text === 'string') {
      const block = message?.content[data.index ?? 0];
      if (block) block.text = (block.text ?? '') + data.delta.text;
      text += data.delta.text;
      callbacks.onText?.(text, data.delta.text);
    } else if (type === 'message_delta' && message) {
      message.stop_reason = data.delta?.stop_reason ?? message.stop_reason;
      message.usage = { ...message.usage, ...data.usage };
    } else if (type === 'message_stop') stopped = true;
  };

  const parser = createParser({ onEvent });
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
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isMessage(value: unknown): value is Message {
  return isRecord(value) && value.type === 'message' && Array.isArray(value.content);
}
