// An upstream that takes the connection and then says nothing must not hold a request (and its slot toward Claude)
// until undici's own 300 s timeout: past the handler's deadlines the call is aborted, the slot freed, and the client
// gets a retryable answer the kit's client (and the SDKs) retry.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readClaudeError, toClaudeError } from '../../src/core/failure.js';
import { createClaudeHandler } from '../../src/server/index.js';
import { API_KEY, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

/** An upstream whose fetch never answers until aborted; it records the abort. */
function silentUpstream() {
  const seen = { aborted: false, calls: 0 };
  const fetch = (_input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((_resolve, reject) => {
      seen.calls += 1;
      init?.signal?.addEventListener('abort', () => {
        seen.aborted = true;
        reject(new DOMException('The operation was aborted.', 'AbortError'));
      });
    });
  return { seen, fetch };
}

/** A wait on the (fake) clock, inside a fake upstream. */
const later = (ms: number) => new Promise<void>((done) => {
  setTimeout(done, ms);
});

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8' };
const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
  + 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
  + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n';

describe('an upstream that never sends its headers', () => {
  it('gets a retryable 504 at upstreamTimeoutMs, the call aborted and the slot back', async () => {
    vi.useFakeTimers();
    const { seen, fetch } = silentUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, upstreamTimeoutMs: 10_000 });
    const answer = handler(post({ stream: true }));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(handler.stats().active).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const response = await answer;
    expect(response.status).toBe(504);
    expect(response.headers.get('x-should-retry')).toBe('true');
    const failure = await readClaudeError(response.clone());
    expect(failure).toMatchObject({ status: 504, retryable: true });
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('timeout_error');
    expect(seen.aborted).toBe(true);
    expect(handler.stats().active).toBe(0);
  });

  it('waits 60 s by default for a stream, and 600 s for a non-streamed answer (whose headers come only when it is written)', async () => {
    vi.useFakeTimers();
    const { seen, fetch } = silentUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch });
    const stream = handler(post({ stream: true }));
    const whole = handler(post());
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await stream).status).toBe(504);
    expect(handler.stats().active).toBe(1);
    await vi.advanceTimersByTimeAsync(540_000);
    expect((await whole).status).toBe(504);
    expect(seen.calls).toBe(2);
    expect(handler.stats().active).toBe(0);
  });

  it('lets a non-streamed answer that takes 90 s arrive', async () => {
    vi.useFakeTimers();
    const fetch = () => new Promise<Response>((resolve) => {
      setTimeout(() => resolve(Response.json({ type: 'message', content: [{ type: 'text', text: 'done' }] })), 90_000);
    });
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch });
    const answer = handler(post());
    await vi.advanceTimersByTimeAsync(90_000);
    expect((await answer).status).toBe(200);
  });
});

describe('a stream that goes silent after its first delta', () => {
  it('ends with a retryable event: error at streamIdleTimeoutMs, the upstream read cancelled and the slot back', async () => {
    vi.useFakeTimers();
    let cancelled = false;
    const fetch = async () => {
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(new TextEncoder().encode(start));
          }
          // Then nothing, ever: no ping, no end.
          return new Promise(() => {});
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body, { status: 200, headers: SSE_HEADERS });
    };
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, streamIdleTimeoutMs: 15_000 });
    const response = await handler(post({ stream: true }));
    expect(response.status).toBe(200);
    const text = response.text();
    await vi.advanceTimersByTimeAsync(14_999);
    expect(handler.stats().active).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const body = await text;
    expect(body.startsWith(start)).toBe(true);
    const tail = /event: error\ndata: (.*)\n\n$/.exec(body);
    expect(tail).not.toBeNull();
    // The kit's client reads it as a break worth resuming from, not as the end of the answer.
    expect(toClaudeError(tail![1]!, { midStream: true })).toMatchObject({ retryable: true });
    expect(cancelled).toBe(true);
    expect(handler.stats().active).toBe(0);
  });

  it('times the silence from the last chunk, not from the start of the stream', async () => {
    vi.useFakeTimers();
    const fetch = async () => {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          n += 1;
          if (n === 1) return controller.enqueue(new TextEncoder().encode(start));
          if (n === 2) {
            await later(10_000);
            return controller.enqueue(new TextEncoder().encode('event: ping\ndata: {"type":"ping"}\n\n'));
          }
          // Then nothing, ever.
          return new Promise(() => {});
        },
      });
      return new Response(body, { status: 200, headers: SSE_HEADERS });
    };
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, streamIdleTimeoutMs: 15_000 });
    const response = await handler(post({ stream: true }));
    let ended = false;
    const text = response.text().then((body) => {
      ended = true;
      return body;
    });
    // 15 s after the stream began, but only 5 s after its last chunk: not silent yet.
    await vi.advanceTimersByTimeAsync(24_999);
    expect(ended).toBe(false);
    expect(handler.stats().active).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const body = await text;
    expect(body).toContain('event: ping');
    expect(body).toMatch(/event: error\ndata: .*went silent for 15 s/);
    expect(handler.stats().active).toBe(0);
  });

  it('is not cut while Claude keeps sending, however long the answer takes', async () => {
    vi.useFakeTimers();
    const ping = new TextEncoder().encode('event: ping\ndata: {"type":"ping"}\n\n');
    const fetch = async () => {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await later(10_000);
          n += 1;
          if (n <= 12) controller.enqueue(n === 1 ? new TextEncoder().encode(start) : ping);
          else {
            controller.enqueue(new TextEncoder().encode('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
            controller.close();
          }
        },
      });
      return new Response(body, { status: 200, headers: SSE_HEADERS });
    };
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, streamIdleTimeoutMs: 15_000 });
    const response = await handler(post({ stream: true }));
    const text = response.text();
    await vi.advanceTimersByTimeAsync(140_000);
    const body = await text;
    expect(body).not.toContain('event: error');
    expect(body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });
});

describe('the deadlines, checked at creation', () => {
  for (const name of ['upstreamTimeoutMs', 'streamIdleTimeoutMs', 'answerTimeoutMs'] as const) {
    it(`refuses ${name} of 0, a negative number, NaN, Infinity or past a timer's limit, naming it`, () => {
      for (const value of [0, -1, Number.NaN, Infinity, 2 ** 31]) {
        expect(() => createClaudeHandler({ apiKey: API_KEY, [name]: value })).toThrow(new RegExp(`^${name}: `));
      }
      expect(() => createClaudeHandler({ apiKey: API_KEY, [name]: 1 })).not.toThrow();
    });
  }
});
