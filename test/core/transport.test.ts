import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ClaudeError } from '../../src/core/failure.js';
import { createTransport, messageText, readMessageStream, type MessageRequest } from '../../src/core/transport.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const SUCCESS = fixture('stream-success.sse');
const CUT = fixture('stream-overloaded-midway.sse');
const responses = JSON.parse(fixture('anthropic-responses.json')) as {
  success: { body: unknown; headers: Record<string, string> };
  errors: { name: string; status: number; headers: Record<string, string>; body: unknown }[];
};
const REQUEST: MessageRequest = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}
const bytes = (text: string) => new TextEncoder().encode(text);
const textStream = (...chunks: string[]) => streamOf(chunks.map(bytes));

/** Cuts bytes at the given offsets (sorted, deduplicated), so chunks may split a line, a field or a UTF-8 sequence. */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of [...points, data.length]) {
    chunks.push(data.slice(from, to));
    from = to;
  }
  return chunks;
}

async function outcome(body: ReadableStream<Uint8Array>) {
  const texts: string[] = [];
  try {
    const message = await readMessageStream(body, undefined, { onText: (text) => texts.push(text) });
    return { message, texts };
  } catch (error) {
    const { kind, type, status, midStream, retryable, message } = error as ClaudeError;
    return { error: { kind, type, status, midStream, retryable, message }, texts };
  }
}

describe('readMessageStream', () => {
  it('reads the success fixture into the message, calling back as the text grows', async () => {
    const onText = vi.fn();
    const message = await readMessageStream(textStream(SUCCESS), undefined, { onText });
    expect(message).toMatchObject({
      id: 'msg_01StreamOK000000000000001',
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 9 },
    });
    expect(messageText(message)).toBe('Hello! How can I help?');
    expect(onText.mock.calls).toEqual([
      ['Hello', 'Hello'],
      ['Hello! How can I help?', '! How can I help?'],
    ]);
  });

  it('turns a mid-stream overload into a ClaudeError marked midStream, after the text it had', async () => {
    const onText = vi.fn();
    const error = await readMessageStream(textStream(CUT), undefined, { onText }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClaudeError);
    expect(error).toMatchObject({ kind: 'overloaded', type: 'overloaded_error', midStream: true, retryable: true });
    expect(onText).toHaveBeenCalledWith('Here is the first half of', 'Here is the first half of');
  });

  it('gives the same result however the bytes are split into chunks', async () => {
    const unicode = SUCCESS.replace('! How can I help?', ' — grüße, 你好 👋');
    const cases = [SUCCESS, CUT, unicode, SUCCESS.replace(/\n/g, '\r\n')].map((text) => ({ text, data: bytes(text) }));
    const whole = await Promise.all(cases.map((c) => outcome(textStream(c.text))));
    expect(messageText(whole[2]!.message!)).toBe('Hello — grüße, 你好 👋');
    expect(whole[3]).toEqual(whole[0]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: cases.length - 1 }), fc.array(fc.nat(), { maxLength: 40 }), async (i, cuts) => {
        const result = await outcome(streamOf(split(cases[i]!.data, cuts)));
        expect(result.message ?? result.error).toEqual(whole[i]!.message ?? whole[i]!.error);
        expect(result.texts.at(-1)).toBe(whole[i]!.texts.at(-1));
      }),
      { numRuns: 200 },
    );
  });

  it('splits every byte apart and still reads the answer', async () => {
    const data = bytes(SUCCESS);
    const message = await readMessageStream(streamOf([...data].map((b) => Uint8Array.of(b))), undefined);
    expect(messageText(message)).toBe('Hello! How can I help?');
  });

  it('fails on an event whose data is not JSON, as a retryable server error', async () => {
    const broken = SUCCESS.replace('data: {"type": "ping"}', 'data: {"type": "ping"');
    await expect(readMessageStream(textStream(broken), undefined)).rejects.toMatchObject({
      kind: 'server_error',
      midStream: true,
      retryable: true,
      message: 'The stream sent an unreadable event.',
    });
  });

  it('fails when the stream ends without message_stop', async () => {
    const cut = SUCCESS.slice(0, SUCCESS.indexOf('event: message_stop'));
    await expect(readMessageStream(textStream(cut), undefined)).rejects.toMatchObject({
      kind: 'server_error',
      midStream: true,
      retryable: true,
      message: 'The stream ended before the answer was complete.',
    });
    await expect(readMessageStream(textStream(''), undefined)).rejects.toMatchObject({ kind: 'server_error', midStream: true });
  });

  it('fails as a network error when the connection breaks mid-stream', async () => {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(bytes(CUT.slice(0, CUT.indexOf('event: error'))));
        } else controller.error(new TypeError('terminated'));
      },
    });
    await expect(readMessageStream(body, undefined)).rejects.toMatchObject({ kind: 'network', midStream: true, retryable: true });
  });

  it('stops reading at once when its signal aborts, even if the body never ends', async () => {
    const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(bytes(SUCCESS.slice(0, 200))) });
    const controller = new AbortController();
    const reading = readMessageStream(body, controller.signal);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('ignores pings and events it does not know', async () => {
    const extra = SUCCESS.replace('event: ping', 'event: something_new\ndata: {"type":"something_new"}\n\nevent: ping');
    expect(messageText(await readMessageStream(textStream(extra), undefined))).toBe('Hello! How can I help?');
  });
});

function fakeFetch(respond: () => Response | Promise<Response>) {
  return vi.fn<typeof fetch>(async () => respond());
}
const errorFixture = (name: string) => responses.errors.find((e) => e.name === name)!;
const errorResponse = (name: string) => {
  const f = errorFixture(name);
  return new Response(JSON.stringify(f.body), { status: f.status, headers: f.headers });
};

describe('createTransport', () => {
  it('POSTs the request as JSON to /api/claude by default and returns the message', async () => {
    const fetch = fakeFetch(() => Response.json(responses.success.body, { headers: responses.success.headers }));
    const message = await createTransport({ fetch }).send(REQUEST);
    expect(messageText(message)).toBe('Hello! How can I help you today?');
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/claude');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ ...REQUEST, stream: false });
    const headers = new Headers(init?.headers);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('accept')).toBe('application/json');
  });

  it('reads any non-2xx answer with readClaudeError', async () => {
    for (const name of ['overloaded', 'rate_limited', 'spend_limited', 'invalid_request']) {
      const transport = createTransport({ endpoint: 'https://app.example/claude', fetch: fakeFetch(() => errorResponse(name)) });
      const f = errorFixture(name);
      const error = await transport.send(REQUEST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClaudeError);
      expect(error).toMatchObject({ status: f.status, requestId: f.headers['request-id'], midStream: false });
      const streamed = await transport.stream(REQUEST).catch((e: unknown) => e);
      expect(streamed).toMatchObject({ status: f.status, midStream: false });
    }
    const rate = await createTransport({ fetch: fakeFetch(() => errorResponse('rate_limited')) }).send(REQUEST).catch((e: unknown) => e);
    expect(rate).toMatchObject({ kind: 'rate_limited', retryAfterMs: 17_000 });
  });

  it('fails as a retryable server error when a 200 answer is not JSON, or not a message', async () => {
    const html = createTransport({ fetch: fakeFetch(() => new Response('<html>oops</html>', { status: 200 })) });
    await expect(html.send(REQUEST)).rejects.toMatchObject({ kind: 'server_error', status: 200, retryable: true, message: 'The answer was not valid JSON.' });
    const other = createTransport({ fetch: fakeFetch(() => Response.json({ hello: 'world' })) });
    await expect(other.send(REQUEST)).rejects.toMatchObject({ kind: 'server_error', message: 'The answer was not a Claude message.' });
  });

  it('turns a fetch that throws into a network error, and an aborted one into aborted', async () => {
    const down = createTransport({ fetch: vi.fn<typeof fetch>().mockRejectedValue(new TypeError('fetch failed')) });
    await expect(down.send(REQUEST)).rejects.toMatchObject({ kind: 'network', retryable: true });
    const abort = new DOMException('This operation was aborted', 'AbortError');
    const aborted = createTransport({ fetch: vi.fn<typeof fetch>().mockRejectedValue(abort) });
    await expect(aborted.send(REQUEST)).rejects.toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('calls a headers function for every request and keeps its own content-type and accept', async () => {
    let n = 0;
    const headers = vi.fn(async () => ({ authorization: `Bearer ${++n}`, 'content-type': 'text/plain' }));
    const fetch = fakeFetch(() => Response.json(responses.success.body));
    const transport = createTransport({ fetch, headers });
    await transport.send(REQUEST);
    await transport.send(REQUEST);
    expect(headers).toHaveBeenCalledTimes(2);
    const sent = fetch.mock.calls.map(([, init]) => new Headers(init?.headers));
    expect(sent.map((h) => h.get('authorization'))).toEqual(['Bearer 1', 'Bearer 2']);
    expect(sent[0]!.get('content-type')).toBe('application/json');
  });

  it('passes fixed headers and the abort signal through', async () => {
    const fetch = fakeFetch(() => Response.json(responses.success.body));
    await createTransport({ fetch, headers: [['x-csrf', 'token']] }).send(REQUEST);
    const [, init] = fetch.mock.calls[0]!;
    expect(new Headers(init?.headers).get('x-csrf')).toBe('token');

    // The fetch gets a signal of its own (it also carries the timeout) that follows the caller's.
    let seen: AbortSignal | undefined;
    const waiting = vi.fn<typeof globalThis.fetch>(
      (_url, options) => new Promise((_resolve, reject) => {
        seen = options?.signal ?? undefined;
        seen?.addEventListener('abort', () => reject(seen!.reason));
      }),
    );
    const caller = new AbortController();
    const sent = createTransport({ fetch: waiting }).send(REQUEST, caller.signal);
    await Promise.resolve();
    await Promise.resolve();
    expect(seen?.aborted).toBe(false);
    caller.abort(new DOMException('gone', 'AbortError'));
    expect(seen?.aborted).toBe(true);
    await expect(sent).rejects.toMatchObject({ kind: 'aborted' });
  });

  describe('timeouts', () => {
    /** A fetch that never answers, and fails with the abort reason when its signal aborts, as fetch does. */
    const hangingFetch = () =>
      vi.fn<typeof fetch>((_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))));

    /** An SSE response that sends `first`, then stalls until its signal aborts. */
    const stallingStream = (first: string) =>
      vi.fn<typeof fetch>(async (_url, init) => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(first));
            init?.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
          },
        });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      });

    it('fails a request that takes longer than timeoutMs as a retryable timeout, leaving no timer', async () => {
      vi.useFakeTimers();
      try {
        const sent = createTransport({ fetch: hangingFetch(), timeoutMs: 30_000 }).send(REQUEST);
        const outcome = expect(sent).rejects.toMatchObject({ kind: 'timeout', retryable: true });
        await vi.advanceTimersByTimeAsync(30_000);
        await outcome;
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        vi.useRealTimers();
      }
    });

    it('fails a stream that goes silent for streamIdleTimeoutMs, however long it has run', async () => {
      vi.useFakeTimers();
      try {
        const onText = vi.fn();
        const streamed = createTransport({ fetch: stallingStream(SUCCESS.slice(0, SUCCESS.indexOf('event: content_block_stop'))), streamIdleTimeoutMs: 20_000 })
          .stream(REQUEST, undefined, { onText });
        const outcome = expect(streamed).rejects.toMatchObject({ kind: 'timeout', retryable: true });
        await vi.advanceTimersByTimeAsync(19_999);
        expect(onText).toHaveBeenCalled();
        await vi.advanceTimersByTimeAsync(1);
        await outcome;
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        vi.useRealTimers();
      }
    });

    it('says aborted, not timeout, when the caller cancels', async () => {
      const caller = new AbortController();
      const sent = createTransport({ fetch: hangingFetch() }).send(REQUEST, caller.signal);
      caller.abort();
      await expect(sent).rejects.toMatchObject({ kind: 'aborted' });
    });
  });

  it('streams with stream: true and accept text/event-stream', async () => {
    const fetch = fakeFetch(() => new Response(SUCCESS, { headers: { 'content-type': 'text/event-stream' } }));
    const onText = vi.fn();
    const message = await createTransport({ fetch }).stream(REQUEST, undefined, { onText });
    expect(messageText(message)).toBe('Hello! How can I help?');
    const [, init] = fetch.mock.calls[0]!;
    expect(JSON.parse(String(init?.body))).toMatchObject({ stream: true });
    expect(new Headers(init?.headers).get('accept')).toBe('text/event-stream');
    expect(onText).toHaveBeenCalledTimes(2);
  });

  it('fails a 200 stream without a body as a mid-stream server error', async () => {
    const fetch = fakeFetch(() => new Response(null, { status: 200 }));
    await expect(createTransport({ fetch }).stream(REQUEST)).rejects.toMatchObject({ kind: 'server_error', midStream: true });
  });

  it('reads the global fetch at call time, so one installed later (MSW, a polyfill) is used', async () => {
    const transport = createTransport({ endpoint: 'https://app.example/claude' });
    const fetch = vi.fn<typeof globalThis.fetch>(async () => Response.json(responses.success.body));
    vi.stubGlobal('fetch', fetch);
    try {
      await transport.send(REQUEST);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(fetch).toHaveBeenCalledOnce();
  });
});
