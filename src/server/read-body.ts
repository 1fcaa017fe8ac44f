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
  /** The whole body must have arrived within this many ms. Defaults to no deadline. */
  timeoutMs?: number;
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

const TIMED_OUT = Symbol('timeout');

export async function readBody(stream: ReadableStream<Uint8Array> | null, options: BodyReadOptions): Promise<BodyRead> {
  if (!stream) return { ok: true, text: '' };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: unknown;
  const deadline =
    options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs) && options.clock
      ? new Promise<typeof TIMED_OUT>((resolve) => {
          timer = options.clock!.setTimeout(() => resolve(TIMED_OUT), options.timeoutMs!);
        })
      : undefined;
  const stop = (reason: 'too_large' | 'timeout' | 'broken', error?: unknown): BodyRead => {
    // Cancelling tells the sender to stop; its own rejection (already errored) is of no interest.
    reader.cancel().catch(() => {});
    return error === undefined ? { ok: false, reason } : { ok: false, reason, error };
  };
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array> | typeof TIMED_OUT;
      try {
        next = await (deadline ? Promise.race([reader.read(), deadline]) : reader.read());
      } catch (error) {
        return stop('broken', error);
      }
      if (next === TIMED_OUT) return stop('timeout');
      if (next.done) break;
      total += next.value.byteLength;
      if (total > options.limit) return stop('too_large');
      chunks.push(next.value);
    }
  } finally {
    if (timer !== undefined) options.clock!.clearTimeout(timer);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(bytes) };
}
