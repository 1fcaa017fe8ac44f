import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import type { ClaudeHandler } from '../../src/server/index.js';
import { MODEL, REQUEST_ID, anthropic, fixtureFetch, parseSse, until } from '../testing/helpers.js';
import type { FixtureResponse } from '../testing/helpers.js';
import { API_KEY, errorOf, handlerOnSimulator, post } from './helpers.js';

const RELAYED = /^(request-id|retry-after|retry-after-ms|x-should-retry|anthropic-ratelimit-.*)$/;

/** An SDK client whose "network" is the handler, as a browser-side caller would see it. */
const sdkOn = (handler: ClaudeHandler) =>
  new Anthropic({ apiKey: 'unused', baseURL: 'http://app.test', maxRetries: 0, fetch: async (url, init) => handler(new Request(url, init)) });

const sdkError = async (client: Anthropic) => {
  const error: unknown = await client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
  if (!(error instanceof Anthropic.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return { class: error.constructor.name, status: error.status, type: error.type, errorCode: error.errorCode, requestID: error.requestID, retryAfter: error.headers?.get('retry-after') };
};

// A 401 says the server's own key is wrong: a setup mistake, answered as not_configured (handler-setup.test.ts).
const relayedErrors = anthropic.errors.filter((fixture) => fixture.name !== 'authentication');

describe('createClaudeHandler relays Claude', () => {
  it.each(relayedErrors)('passes the $name error through with its status, body and headers', async (fixture) => {
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: fixtureFetch(fixture), holdMs: 0 });
    const response = await handler(post());
    expect(response.status).toBe(fixture.status);
    expect(await response.json()).toEqual(fixture.body);
    expect(response.headers.get('content-type')).toBe('application/json');
    for (const [name, value] of Object.entries(fixture.headers)) {
      if (RELAYED.test(name)) expect(response.headers.get(name), name).toBe(value);
    }
  });

  it.each(relayedErrors)('lets the official SDK read the $name error from the handler as from Anthropic', async (fixture) => {
    const fromAnthropic = await sdkError(new Anthropic({ apiKey: 'test', maxRetries: 0, fetch: fixtureFetch(fixture) }));
    const fromHandler = await sdkError(sdkOn(createClaudeHandler({ apiKey: API_KEY, fetch: fixtureFetch(fixture), holdMs: 0 })));
    expect(fromHandler).toEqual(fromAnthropic);
  });

  it("keeps a proxy's HTML status but answers in Anthropic's JSON shape, without the markup", async () => {
    for (const page of anthropic.proxy_pages.filter((p) => p.name.endsWith('_html'))) {
      const response = await createClaudeHandler({ apiKey: API_KEY, fetch: fixtureFetch(page) })(post());
      const text = await response.text();
      expect(response.status).toBe(page.status);
      expect(text).not.toContain('<');
      expect(JSON.parse(text)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      expect(response.headers.get('x-should-retry')).toBe('true');
      expect(response.headers.get('request-id')).toMatch(/^req_kit_/);
    }
  });

  it('relays a JSON object as it came, and answers anything else (an array, a bare string, a cut-off object) as 502', async () => {
    const answering = (body: string) => createClaudeHandler({
      apiKey: API_KEY, holdMs: 0, fetch: async () => new Response(body, { headers: { 'content-type': 'application/json' } }),
    });
    const claude = ' \n{"type":"message","content":[]}\n';
    const relayed = await answering(claude)(post());
    expect(relayed.status).toBe(200);
    expect(await relayed.text()).toBe(claude);
    for (const body of ['[{"type":"message"}]', '"ok"', '{"type":"message","content":[', '']) {
      const response = await answering(body)(post());
      expect(response.status, body).toBe(502);
      expect((await errorOf(response)).type, body).toBe('api_error');
      expect(response.headers.get('x-should-retry'), body).toBe('true');
    }
  });

  it('answers an empty 529 as an overloaded_error that says to retry', async () => {
    const empty = anthropic.proxy_pages.find((p) => p.name === 'empty_529') as FixtureResponse;
    const response = await createClaudeHandler({ apiKey: API_KEY, fetch: fixtureFetch(empty), holdMs: 0 })(post());
    expect(response.status).toBe(529);
    expect((await errorOf(response)).type).toBe('overloaded_error');
    expect(response.headers.get('x-should-retry')).toBe('true');
  });

  it('answers 502 api_error with x-should-retry when Claude cannot be reached', async () => {
    const { handler } = handlerOnSimulator({ script: ['network-error'] });
    const response = await handler(post());
    expect(response.status).toBe(502);
    expect(await errorOf(response)).toMatchObject({ type: 'api_error' });
    expect(response.headers.get('x-should-retry')).toBe('true');
  });

  it('relays a success with its request id, having sent the key upstream', async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(post());
    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toMatch(REQUEST_ID);
    expect(await response.json()).toMatchObject({ type: 'message', role: 'assistant' });
  });

  it('relays a stream event for event, byte for byte', async () => {
    const { handler, simulator } = handlerOnSimulator({ seed: 5 });
    const relayed = await (await handler(post({ stream: true }))).text();
    simulator.reset();
    const direct = await (await simulator.fetch(new Request('http://simulator.test/v1/messages', { method: 'POST', headers: { 'x-api-key': API_KEY }, body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello there' }], stream: true }) }))).text();
    expect(relayed).toBe(direct);
    expect(parseSse(relayed).at(-1)?.event).toBe('message_stop');
  });

  it("relays a mid-stream overload as Anthropic's event: error", async () => {
    const { handler } = handlerOnSimulator({ script: ['stream-error-midway'] });
    const response = await handler(post({ stream: true }));
    expect(response.status).toBe(200);
    const last = parseSse(await response.text()).at(-1);
    expect(last?.event).toBe('error');
    expect(JSON.parse(last?.data ?? '')).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(handler.stats().active).toBe(0);
  });

  it('ends a stream that stops without message_stop with an event: error, so the browser knows', async () => {
    const { handler } = handlerOnSimulator({ script: ['stream-cut'] });
    const events = parseSse(await (await handler(post({ stream: true }))).text());
    expect(events.at(-1)?.event).toBe('error');
    expect(JSON.parse(events.at(-1)?.data ?? '')).toMatchObject({ error: { type: 'api_error' } });
  });

  it('makes the SDK reading the handler throw an overloaded APIError for a mid-stream overload', async () => {
    const { handler } = handlerOnSimulator({ script: ['stream-error-midway'] });
    const stream = await sdkOn(handler).messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    await expect((async () => { for await (const _ of stream); })()).rejects.toMatchObject({ type: 'overloaded_error' });
  });
});

describe('createClaudeHandler when the browser goes away', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts the upstream request, and the simulator sees the abort', async () => {
    const { handler, simulator } = handlerOnSimulator({ script: ['timeout'] });
    const browser = new AbortController();
    const pending = handler(post({}, { signal: browser.signal }));
    await until(() => simulator.stats().inFlight === 1);
    browser.abort();
    expect((await pending).status).toBe(499);
    expect(simulator.stats()).toMatchObject({ aborted: 1, inFlight: 0 });
    expect(handler.stats().active).toBe(0);
  });

  it('aborts an upstream stream mid-answer, and frees its slot', async () => {
    vi.useFakeTimers();
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 });
    const browser = new AbortController();
    const response = await handler(post({ stream: true }, { signal: browser.signal }));
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    browser.abort();
    await reader.read().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(simulator.stats()).toMatchObject({ aborted: 1, inFlight: 0 });
    expect(handler.stats().active).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancels the upstream stream when the browser cancels the body', async () => {
    vi.useFakeTimers();
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 });
    const response = await handler(post({ stream: true }));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(simulator.stats()).toMatchObject({ aborted: 1, inFlight: 0 });
    expect(handler.stats().active).toBe(0);
  });
});
