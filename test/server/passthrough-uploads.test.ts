// Uploads through the opt-in routes stream to Claude and are never held, so their limit is counted as they pass:
// announced too large, they are refused at once; streamed past the limit, the upload to Claude is cut and the client
// gets the same 413.
import { describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { UPLOAD_LIMITS } from '../../src/server/passthrough.js';
import { API_KEY, errorOf } from './helpers.js';

const MIB = 1024 * 1024;

/** A fake Claude that reads every upload to the end (or to its failure) and counts the bytes. */
function countingUpstream() {
  const seen: { path: string; bytes: number; failed: boolean }[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(String(input)).pathname;
    let bytes = 0;
    try {
      const reader = (init?.body as ReadableStream<Uint8Array> | undefined)?.getReader();
      for (;;) {
        const next = await reader?.read();
        if (!next || next.done) break;
        bytes += next.value.byteLength;
      }
    } catch (error) {
      seen.push({ path, bytes, failed: true });
      throw new TypeError('fetch failed', { cause: error });
    }
    seen.push({ path, bytes, failed: false });
    return Response.json({ id: 'msgbatch_01', type: 'message_batch', processing_status: 'in_progress' });
  };
  return { seen, fetch };
}

/** `size` bytes of a JSON-ish upload, in 1 MiB chunks, without a content-length. */
function upload(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MIB).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const next = Math.min(MIB, size - sent);
      controller.enqueue(next === MIB ? chunk : chunk.subarray(0, next));
      sent += next;
    },
  });
}

const batches = 'http://app.test/api/claude/v1/messages/batches';

describe('uploads through allowRoutes', () => {
  it('refuses a batch announced larger than 256 MiB with 413, without calling Claude', async () => {
    const upstream = countingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, allowRoutes: ['batches'] });
    const response = await handler(new Request(batches, {
      method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(UPLOAD_LIMITS.batches + 1) }, body: '{}',
    }));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).type).toBe('request_too_large');
    expect(upstream.seen).toEqual([]);
  });

  it('streams a batch of exactly 256 MiB through, and cuts one a MiB over at the limit with 413', async () => {
    const upstream = countingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, allowRoutes: ['batches'] });
    const post = (size: number) =>
      handler(new Request(batches, { method: 'POST', headers: { 'content-type': 'application/json' }, body: upload(size), duplex: 'half' } as RequestInit));
    expect((await post(UPLOAD_LIMITS.batches)).status).toBe(200);
    const over = await post(UPLOAD_LIMITS.batches + MIB);
    expect(over.status).toBe(413);
    expect((await errorOf(over)).type).toBe('request_too_large');
    expect(upstream.seen).toEqual([
      { path: '/v1/messages/batches', bytes: UPLOAD_LIMITS.batches, failed: false },
      // Claude never had more than the limit.
      { path: '/v1/messages/batches', bytes: UPLOAD_LIMITS.batches, failed: true },
    ]);
  }, 30_000);
});
