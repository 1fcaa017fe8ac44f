import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTransport, messageText, type MessageRequest } from '../../src/core/transport.js';

const SUCCESS = readFileSync(new URL('../fixtures/stream-success.sse', import.meta.url), 'utf8');
const REQUEST: MessageRequest = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
const START = SUCCESS.slice(0, SUCCESS.indexOf('event: ping'));
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const sse = (text: string) => new Response(text, { headers: { 'content-type': 'text/event-stream' } });
const streamOf = (text: string) => createTransport({ fetch: async () => sse(text) }).stream(REQUEST);

afterEach(() => {
  vi.useRealTimers();
});

describe('reading a stream that would surprise', () => {
  it('reads a stream whose lines end in CR alone, its final message_stop included', async () => {
    const message = await streamOf(SUCCESS.replace(/\n/g, '\r'));
    expect(messageText(message)).toBe('Hello! How can I help?');
    expect(message.stop_reason).toBe('end_turn');
  });

  it('reads a CR-only stream cut into chunks between every CR', async () => {
    const text = SUCCESS.replace(/\n/g, '\r');
    const chunks = text.split(/(?<=\r)/);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const message = await createTransport({ fetch: async () => new Response(body) }).stream(REQUEST);
    expect(messageText(message)).toBe('Hello! How can I help?');
  });

  it.each([
    ['a huge index', 4294967294],
    ['"__proto__"', '"__proto__"'],
    ['a negative index', -1],
    ['a fractional index', 0.5],
  ])('keeps reading, and keeps the text, when a block arrives with %s', async (_name, index) => {
    const hostile = SUCCESS
      .replace('"content_block_start","index":0', `"content_block_start","index":${index}`)
      .replace(/"content_block_delta","index":0/g, `"content_block_delta","index":${index}`);
    const started = Date.now();
    const message = await streamOf(hostile);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(messageText(message)).toBe('Hello! How can I help?');
    expect(Object.getPrototypeOf(message.content)).toBe(Array.prototype);
    expect(message.content.length).toBe(1);
  });

  it('fails as a retryable timeout a stream that sends nothing but pings for timeoutMs', async () => {
    vi.useFakeTimers();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(START));
        const ping = () => {
          controller.enqueue(new TextEncoder().encode(PING));
          timer = setTimeout(ping, 10_000);
        };
        timer = setTimeout(ping, 10_000);
      },
      cancel() {
        clearTimeout(timer);
      },
    });
    const streamed = createTransport({ fetch: async () => new Response(body), timeoutMs: 120_000, streamIdleTimeoutMs: 30_000 })
      .stream(REQUEST);
    const outcome = expect(streamed).rejects.toMatchObject({ kind: 'timeout', retryable: true });
    await vi.advanceTimersByTimeAsync(119_000);
    // Pings every 10 s keep the 30 s idle timer happy: still waiting.
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
  });

  it('lets a stream that keeps answering run past timeoutMs', async () => {
    vi.useFakeTimers();
    const deltas = Array.from({ length: 20 }, (_, i) =>
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${i} "}}\n\n`);
    const rest = SUCCESS.slice(SUCCESS.indexOf('event: content_block_stop'));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(START));
        let i = 0;
        const next = () => {
          controller.enqueue(new TextEncoder().encode(i < deltas.length ? deltas[i]! : rest));
          if (i++ < deltas.length) timer = setTimeout(next, 10_000);
          else controller.close();
        };
        timer = setTimeout(next, 10_000);
      },
      cancel() {
        clearTimeout(timer);
      },
    });
    const streamed = createTransport({ fetch: async () => new Response(body), timeoutMs: 60_000 }).stream(REQUEST);
    await vi.advanceTimersByTimeAsync(220_000);
    await expect(streamed).resolves.toMatchObject({ stop_reason: 'end_turn' });
  });
});
