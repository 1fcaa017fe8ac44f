/**
 * Server-sent events exactly as the Messages API sends them (test/fixtures/stream-*.sse), and a paced stream of them
 * that stops cleanly when the reader goes away.
 */
import type { Clock } from '../core/clock.js';
import type { Reply, SimulatedRequest } from './reply.js';

export type StreamEnding = 'complete' | 'error-midway' | 'cut';

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

// Anthropic writes these two with Python's spacing; kept byte for byte.
const PING = event('ping', '{"type": "ping"}');
const OVERLOADED = event('error', '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}');

/** The events of one streamed answer, ending as asked. A broken stream sends the first half of the deltas. */
export function sseEvents(id: string, request: SimulatedRequest, reply: Reply, ending: StreamEnding): string[] {
  const events = [
    event('message_start', {
      type: 'message_start',
      message: {
        id, type: 'message', role: 'assistant', content: [], model: request.model, stop_reason: null, stop_sequence: null,
        usage: { input_tokens: reply.inputTokens, output_tokens: 1 },
      },
    }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    PING,
  ];
  const deltas = ending === 'complete' ? reply.chunks : reply.chunks.slice(0, Math.max(1, Math.floor(reply.chunks.length / 2)));
  for (const text of deltas) {
    events.push(event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
  }
  if (ending === 'error-midway') return [...events, OVERLOADED];
  if (ending === 'cut') return events;
  return [
    ...events,
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: reply.stopReason, stop_sequence: null },
      usage: { output_tokens: reply.outputTokens },
    }),
    event('message_stop', { type: 'message_stop' }),
  ];
}

export interface PacedStreamOptions {
  /** Spread over the events after the first; 0 sends everything at once. */
  durationMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  signal: AbortSignal;
  /** Called once: `true` when every event was sent, `false` when the reader or the request went away first. */
  onEnd(completed: boolean): void;
}

export function pacedStream(events: readonly string[], options: PacedStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const gapMs = events.length > 1 ? options.durationMs / (events.length - 1) : 0;
  let timer: unknown;
  let ended = false;
  const end = (completed: boolean) => {
    if (ended) return;
    ended = true;
    options.clock.clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    options.onEnd(completed);
  };
  let onAbort = () => {};

  return new ReadableStream<Uint8Array>({
    start(controller) {
      let index = 0;
      onAbort = () => {
        end(false);
        // As a real fetch body does when its request is aborted.
        controller.error(new DOMException('The operation was aborted.', 'AbortError'));
      };
      if (options.signal.aborted) return onAbort();
      options.signal.addEventListener('abort', onAbort, { once: true });
      const send = (): void => {
        if (ended) return;
        const next = events[index];
        index += 1;
        if (next !== undefined) controller.enqueue(encoder.encode(next));
        if (index >= events.length) {
          end(true);
          controller.close();
        } else if (gapMs > 0) {
          timer = options.clock.setTimeout(send, gapMs);
        } else {
          send();
        }
      };
      send();
    },
    cancel() {
      end(false);
    },
  });
}
