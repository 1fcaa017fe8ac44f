// Nothing leaks and nothing is trusted that should not be: the key in relayed bytes, CORS with credentials, what
// the cache keeps, and the limits on what a hostile upstream or a slow client can make the server hold.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler, createMemoryStore, createStatusHandler } from '../../src/server/index.js';
import { MODEL, anthropic, streamSuccess } from '../testing/helpers.js';
import { API_KEY, errorOf, post, rawPost, recordingUpstream } from './helpers.js';

const encoder = new TextEncoder();

/** An upstream stream whose chunks the test releases one by one. */
function chunkedUpstream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
    fail: () => controller.error(new TypeError('terminated')),
    response: (headers: Record<string, string> = {}) =>
      new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_up', ...headers } }),
  };
}

const readAll = async (response: Response) => new TextDecoder().decode(await response.arrayBuffer());

describe('createClaudeHandler keeps the key out of relayed bytes', () => {
  it('redacts the key from a stream even when it is split across chunks, and changes nothing else', async () => {
    const upstream = chunkedUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: async () => upstream.response() });
    const response = await handler(post({ stream: true }));
    const [head, tail] = [API_KEY.slice(0, 20), API_KEY.slice(20)];
    const events = streamSuccess.replace('Hello', `Hello ${head}`);
    const at = events.indexOf(head) + head.length;
    upstream.send(events.slice(0, at));
    upstream.send(tail + events.slice(at));
    upstream.end();
    const relayed = await readAll(response);
    expect(relayed).not.toContain(head);
    expect(relayed).toBe(streamSuccess.replace('Hello', 'Hello [redacted]'));
  });

  it('relays each chunk at once, holding back only a tail that could begin the key', async () => {
    const upstream = chunkedUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: async () => upstream.response() });
    const reader = (await handler(post({ stream: true }))).body!.getReader();
    const first = 'event: ping\ndata: {"type": "ping"}\n\n';
    upstream.send(first);
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(first);
    upstream.send('data: sk-');
    upstream.send('and more\n\n');
    // "sk-" might have begun the key, so it waited for the next chunk; then both went together.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: ');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('sk-and more\n\n');
    upstream.end();
    await reader.cancel();
  });

  it('redacts the key from relayed headers such as request-id', async () => {
    const upstream = recordingUpstream(() => Response.json(anthropic.success.body, { headers: { 'request-id': `req_${API_KEY}`, 'retry-after': API_KEY } }));
    const response = await createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch })(post());
    expect(response.headers.get('request-id')).toBe('req_[redacted]');
    expect(JSON.stringify([...response.headers])).not.toContain(API_KEY);
  });

  it('redacts the key from a non-streamed JSON body however its characters are escaped, so JSON.parse cannot restore it', async () => {
    const u = (c: string, upper = false) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')[upper ? 'toUpperCase' : 'toLowerCase']()}`;
    const forms = [
      Array.from(API_KEY, (c) => u(c)).join(''),
      Array.from(API_KEY, (c) => u(c, true)).join(''),
      `${u('s')}${API_KEY.slice(1)}`,
      Array.from(API_KEY, (c, i) => (i % 2 ? u(c) : c)).join(''),
    ];
    for (const form of forms) {
      const raw = `{"id":"msg_1","type":"message","role":"assistant","model":"${MODEL}","content":[{"type":"text","text":"key: ${form}."}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`;
      // The upstream's own bytes really do carry the key to a client that parses them.
      expect(JSON.stringify(JSON.parse(raw))).toContain(API_KEY);
      const fetch = async () => new Response(raw, { headers: { 'content-type': 'application/json' } });
      const response = await createClaudeHandler({ apiKey: API_KEY, fetch })(post());
      const text = await response.text();
      expect(JSON.parse(text).content[0].text).toBe('key: [redacted].');
      expect(JSON.stringify(JSON.parse(text))).not.toContain(API_KEY);
    }
  });

  it('redacts the playground\'s key, the word "simulator", in relayed text, and leaves a key under 8 characters alone', async () => {
    const answer = { ...(anthropic.success.body as object), content: [{ type: 'text', text: 'the overload simulator is testing' }] };
    const fetch = async () => Response.json(answer);
    const simulatorKey = await (await createClaudeHandler({ apiKey: 'simulator', fetch })(post())).json();
    expect(simulatorKey.content[0].text).toBe('the overload [redacted] is testing');
    const shortKey = await (await createClaudeHandler({ apiKey: 'test', fetch })(post())).json();
    expect(shortKey.content[0].text).toBe('the overload simulator is testing');
  });
});

describe('createClaudeHandler and CORS with credentials', () => {
  it("refuses origin '*' with credentials when the handler is created", () => {
    expect(() => createClaudeHandler({ apiKey: API_KEY, cors: { origin: '*', credentials: true } })).toThrow(/origin '\*' cannot be combined with credentials/);
  });

  it('never grants credentials to the opaque origin null, whatever the rule says', async () => {
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: recordingUpstream().fetch, cors: { origin: () => true, credentials: true } });
    const fromNull = await handler(new Request('http://app.test/api/claude', { method: 'OPTIONS', headers: { origin: 'null' } }));
    expect(fromNull.headers.get('access-control-allow-origin')).toBeNull();
    expect(fromNull.headers.get('access-control-allow-credentials')).toBeNull();
    const fromApp = await handler(new Request('http://app.test/api/claude', { method: 'OPTIONS', headers: { origin: 'https://app.example' } }));
    expect(fromApp.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(fromApp.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it("answers '*' without credentials to any origin when credentials are off", async () => {
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: recordingUpstream().fetch, cors: { origin: '*' } });
    const response = await handler(new Request('http://app.test/api/claude', { method: 'OPTIONS', headers: { origin: 'null' } }));
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('createClaudeHandler caches only real Claude messages', () => {
  it.each([
    ['a JSON 200 that is not a message', () => Response.json({ ok: true })],
    ['a message without a content array', () => Response.json({ type: 'message', content: 'text' })],
    ["a captive portal's HTML page", () => new Response('<html>Sign in to the hotel Wi-Fi</html>', { headers: { 'content-type': 'text/html' } })],
  ])('never serves %s again', async (_name, answer) => {
    const upstream = recordingUpstream(answer);
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, store: createMemoryStore({ cache: { ttlMs: 60_000 } }) });
    await handler(post());
    const again = await handler(post());
    expect(again.headers.get('x-claude-kit-cache')).toBeNull();
    expect(upstream.calls).toHaveLength(2);
  });

  it('serves a Claude message again, for the same request and betas only', async () => {
    const upstream = recordingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, store: createMemoryStore({ cache: { ttlMs: 60_000 } }) });
    await handler(post());
    const hit = await handler(post());
    expect(hit.headers.get('x-claude-kit-cache')).toBe('hit');
    expect(await hit.json()).toEqual(anthropic.success.body);
    const withBeta = await handler(post({}, { headers: { 'content-type': 'application/json', 'anthropic-beta': 'some-beta' } }));
    expect(withBeta.headers.get('x-claude-kit-cache')).toBeNull();
    expect(upstream.calls).toHaveLength(2);
  });

  it('answers a 200 that is not JSON (a captive portal) with a retryable 502, not the page', async () => {
    const upstream = recordingUpstream(() => new Response('<html>Sign in</html>', { headers: { 'content-type': 'text/html' } }));
    const response = await createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch })(post());
    expect(response.status).toBe(502);
    expect(response.headers.get('x-should-retry')).toBe('true');
    expect(await response.text()).not.toContain('<html>');
  });
});

describe('createClaudeHandler bounds what it holds and how long it waits', () => {
  afterEach(() => void vi.useRealTimers());

  /** An endless body that counts what was pulled from it. */
  const endless = () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65_536;
        controller.enqueue(new Uint8Array(65_536).fill(0x61));
      },
    });
    return { body, pulled: () => pulled };
  };

  it('stops reading a non-streamed answer past maxAnswerBytes and answers 502', async () => {
    const source = endless();
    const handler = createClaudeHandler({ apiKey: API_KEY, maxAnswerBytes: 1_000_000, fetch: async () => new Response(source.body, { headers: { 'content-type': 'application/json' } }) });
    const response = await handler(post());
    expect(response.status).toBe(502);
    expect((await errorOf(response)).message).toMatch(/larger than this server holds \(1000000 bytes\)/);
    expect(source.pulled()).toBeLessThan(1_000_000 + 4 * 65_536);
  });

  it('stops reading a status page past maxBytes', async () => {
    const source = endless();
    const status = createStatusHandler({ maxBytes: 500_000, fetch: async () => new Response(source.body, { headers: { 'content-type': 'application/json' } }) });
    const response = await status(new Request('http://app.test/api/status'));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { type: 'malformed' } });
    expect(source.pulled()).toBeLessThan(500_000 + 4 * 65_536);
  });

  it('answers 408 to an upload that has not arrived within bodyTimeoutMs, and never calls Claude', async () => {
    vi.useFakeTimers();
    const upstream = recordingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, bodyTimeoutMs: 10_000 });
    const trickle = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(encoder.encode('{"model":')) });
    const pending = handler(new Request('http://app.test/api/claude', { method: 'POST', headers: { 'content-type': 'application/json' }, body: trickle, duplex: 'half' } as RequestInit));
    await vi.advanceTimersByTimeAsync(9_999);
    let settled = false;
    void pending.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(response.status).toBe(408);
    expect(upstream.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers 400 to JSON nested deeper than maxJsonDepth, 5,000 levels included', async () => {
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: recordingUpstream().fetch });
    const deep = (depth: number) => `{"model":"${MODEL}","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":${'['.repeat(depth)}${']'.repeat(depth)}}]}]}`;
    const response = await handler(rawPost(deep(5_000)));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/nests deeper than 100 levels/);
    // A string full of brackets is not nesting.
    const brackets = JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: '['.repeat(5_000) }] });
    expect((await handler(rawPost(brackets))).status).toBe(200);
  });

  it('answers a non-streamed body that breaks after its 200 headers with a retryable 502', async () => {
    const upstream = chunkedUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: async () => new Response(upstream.response().body, { headers: { 'content-type': 'application/json' } }) });
    const pending = handler(post());
    upstream.send('{"type":"message","content":[{"type":"text","text":"Hal');
    upstream.fail();
    const response = await pending;
    expect(response.status).toBe(502);
    expect(response.headers.get('x-should-retry')).toBe('true');
  });
});
