/**
 * Reading a body whole, but never more than a limit and never for longer than a deadline: what a request or an
 * upstream answer may cost this server in memory and in time is bounded before a byte of it is trusted.
 */
import type { Clock } from '../core/clock.js';

export type BodyRead =
  | { ok: true; text: string }
  /** `too_large`: past the limit; `timeout`: the deadline passed; `broken`: the stream errored (a connection cut). */
  | { ok: false; reason: 'too_large' | 'timeout' | 'broken'; error?: unknown };

export interface BodyReadOptions {
  /** The most bytes kept; reading stops (and the stream is cancelled) as soon as one more arrives. */
  limit: number;
  /**
   * The size the sender announced (`content-length`), when it is within `limit`: the bytes are then copied into one
   * buffer of that size as they arrive, so a 32 MB body is held once as bytes (then once as text), not as its chunks,
   * their concatenation and the text at the same time. Defaults to unknown.
   */
  expectedBytes?: number;
  /** The whole body must have arrived within this many ms. Defaults to no deadline. */
  timeoutMs?: number;
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/**
 * Below this, a body is kept as the chunks it came in (usually one, decoded as it is); above it, the announced size is
 * allocated once and filled in place.
 */
const PREALLOCATE_FROM = 64 * 1024;

// Decoding a whole body at once keeps no state between calls: one decoder serves every request.
const decoder = new TextDecoder();

export async function readBody(stream: ReadableStream<Uint8Array> | null, options: BodyReadOptions): Promise<BodyRead> {
  if (!stream) return { ok: true, text: '' };
  const reader = stream.getReader();
  const expected = options.expectedBytes;
  // One buffer of the announced size, filled in place; chunks are kept only when the size is small, unknown or wrong.
  let buffer = expected !== undefined && Number.isSafeInteger(expected) && expected >= PREALLOCATE_FROM && expected <= options.limit
    ? new Uint8Array(expected) : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  // The deadline cancels the reader, which ends the pending read: one timer per body, no race per chunk.
  let timedOut = false;
  const timer = options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs) && options.clock
    ? options.clock.setTimeout(() => {
        timedOut = true;
        reader.cancel().catch(() => {});
      }, options.timeoutMs)
    : undefined;
  const stop = (reason: 'too_large' | 'timeout' | 'broken', error?: unknown): BodyRead => {
    // Cancelling tells the sender to stop; its own rejection (already errored) is of no interest.
    reader.cancel().catch(() => {});
    return error === undefined ? { ok: false, reason } : { ok: false, reason, error };
  };
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        return timedOut ? stop('timeout') : stop('broken', error);
      }
      if (timedOut) return stop('timeout');
      if (next.done) break;
      const chunk = next.value;
      if (total + chunk.byteLength > options.limit) return stop('too_large');
      if (buffer && total + chunk.byteLength <= buffer.byteLength) {
        buffer.set(chunk, total);
      } else {
        if (buffer) chunks.push(buffer.subarray(0, total));
        buffer = undefined;
        chunks.push(chunk);
      }
      total += chunk.byteLength;
    }
  } finally {
    if (timer !== undefined) options.clock!.clearTimeout(timer);
  }
  return { ok: true, text: decoder.decode(buffer ? buffer.subarray(0, total) : concat(chunks, total)) };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // The chunks are copied: let them go before the text is made, so at most the bytes and the text are held.
  chunks.length = 0;
  return bytes;
}
