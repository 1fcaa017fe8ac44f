/**
 * The load check's client, in a worker thread: undici's fetch costs about as much CPU per request as the handler
 * does, and on the server's thread it would slow the arrivals down to whatever the handler could absorb anyway.
 * The main thread sends `{ type: 'round' }`, the worker fires every request at once, reads every body to the end and
 * answers with one outcome per request; `{ type: 'close' }` closes its connections.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, fetch } from 'undici';

export type Outcome =
  | {
      kind: 'answer';
      status: number;
      stream: boolean;
      /** A 529 made by the handler itself (its request id says `req_kit_`), not relayed from the upstream. */
      shedByHandler: boolean;
      /** How a 200 stream ended: its last event. */
      streamEnd?: 'message_stop' | 'error' | 'incomplete';
      /** The body is what the status promises (a message, an SSE stream, an overloaded_error). */
      wellFormed: boolean;
      ms: number;
    }
  | { kind: 'connection-error'; stream: boolean; message: string; ms: number }
  | { kind: 'timeout'; stream: boolean; ms: number };

export interface ClientConfig {
  url: string;
  /** Connections the agent may open to the handler: one per request sent at once. */
  connections: number;
  timeoutMs: number;
}

export type ToClient = { type: 'round'; first: number; requests: number; streamShare: number } | { type: 'close' };
export type FromClient = { type: 'round'; outcomes: Outcome[] } | { type: 'closed' };

const MODEL = 'claude-sonnet-5-5';

/** The name of the last SSE event in a body (`event: …` line), or null. */
function lastEventName(text: string): string | null {
  const at = text.lastIndexOf('event: ');
  if (at < 0) return null;
  const end = text.indexOf('\n', at);
  return text.slice(at + 'event: '.length, end < 0 ? undefined : end).trim();
}

function isOverloadedError(text: string): boolean {
  try {
    const body = JSON.parse(text) as { type?: unknown; error?: { type?: unknown } };
    return body.type === 'error' && body.error?.type === 'overloaded_error';
  } catch {
    return false;
  }
}

function isMessage(text: string): boolean {
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'message';
  } catch {
    return false;
  }
}

async function sendOne(url: string, agent: Agent, index: number, stream: boolean, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  const body = JSON.stringify({
    model: MODEL,
    max_tokens: 64,
    stream,
    messages: [{ role: 'user', content: `Load check request ${index}: say hello.` }],
  });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      dispatcher: agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The whole body, always: a stream is only answered once it has ended.
    const text = await response.text();
    const status = response.status;
    const shedByHandler = status === 529 && (response.headers.get('request-id') ?? '').startsWith('req_kit_');
    if (status === 200 && stream) {
      const last = lastEventName(text);
      const streamEnd = last === 'message_stop' ? 'message_stop' : last === 'error' ? 'error' : 'incomplete';
      const sse = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
      return { kind: 'answer', status, stream, shedByHandler, streamEnd, wellFormed: sse && streamEnd !== 'incomplete', ms: ms() };
    }
    const wellFormed = status === 200 ? isMessage(text) : status === 529 ? isOverloadedError(text) : false;
    return { kind: 'answer', status, stream, shedByHandler, wellFormed, ms: ms() };
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    if (name === 'TimeoutError') return { kind: 'timeout', stream, ms: ms() };
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const message = String(cause?.code ?? cause?.message ?? (error as Error).message ?? error);
    return { kind: 'connection-error', stream, message, ms: ms() };
  }
}

/** Which requests stream: spread evenly among the plain ones (every other one at 0.5), so both kinds queue together. */
function isStreamed(index: number, share: number): boolean {
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}

export function runClientWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runClientWorker runs in a worker thread');
  const config = workerData as ClientConfig;
  const agent = new Agent({ connections: config.connections, pipelining: 1, connectTimeout: config.timeoutMs });
  port.on('message', (message: ToClient) => {
    if (message.type === 'close') {
      void agent.close().finally(() => {
        port.postMessage({ type: 'closed' } satisfies FromClient);
        port.close();
      });
      return;
    }
    const { first, requests, streamShare } = message;
    void Promise.all(
      Array.from({ length: requests }, (_, i) => sendOne(config.url, agent, first + i, isStreamed(i, streamShare), config.timeoutMs)),
    ).then((outcomes) => port.postMessage({ type: 'round', outcomes } satisfies FromClient));
  });
}
