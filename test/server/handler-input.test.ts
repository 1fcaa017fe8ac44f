import { describe, expect, it } from 'vitest';
import { createClaudeHandler, errorResponse } from '../../src/server/index.js';
import { MODEL } from '../testing/helpers.js';
import { API_KEY, errorOf, handlerOnSimulator, post, rawPost } from './helpers.js';

const expectInvalid = async (response: Response, message: RegExp) => {
  expect(response.status).toBe(400);
  expect(response.headers.get('request-id')).toMatch(/^req_kit_/);
  const error = await errorOf(response);
  expect(error.type).toBe('invalid_request_error');
  expect(error.message).toMatch(message);
};

describe('createClaudeHandler checks input before calling Claude', () => {
  it('answers 400 for a body that is not JSON', async () => {
    const { handler, simulator } = handlerOnSimulator();
    await expectInvalid(await handler(rawPost('{"messages": [')), /not valid JSON/);
    expect(simulator.stats().requests).toBe(0);
  });

  it('answers 400 for an HTML body, saying it is HTML', async () => {
    const { handler } = handlerOnSimulator();
    await expectInvalid(await handler(rawPost('<!DOCTYPE html><html></html>')), /HTML, not JSON/);
  });

  it('answers 400 for an empty body and for JSON that is not an object', async () => {
    const { handler } = handlerOnSimulator();
    await expectInvalid(await handler(rawPost('')), /empty/);
    await expectInvalid(await handler(rawPost('[1, 2]')), /JSON object/);
  });

  it('answers 400 for a content type other than JSON', async () => {
    const { handler } = handlerOnSimulator();
    await expectInvalid(await handler(rawPost('{}', { 'content-type': 'text/plain' })), /Content-Type must be application\/json \(got text\/plain\)/);
    await expectInvalid(await handler(rawPost('{}', {})), /Content-Type must be application\/json/);
  });

  it('accepts application/json with a charset', async () => {
    const { handler } = handlerOnSimulator();
    const body = JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    expect((await handler(rawPost(body, { 'content-type': 'application/json; charset=utf-8' }))).status).toBe(200);
  });

  it("leaves the messages to Anthropic and relays its 400 for a malformed one", async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(post({ messages: [] }));
    expect(response.status).toBe(400);
    expect(response.headers.get('request-id')).not.toMatch(/^req_kit_/);
    expect((await errorOf(response)).message).toMatch(/^messages: at least one message is required$/);
  });

  it('accepts content as text blocks', async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(post({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }));
    expect(response.status).toBe(200);
  });

  it('answers 400 for a field it does not know, naming the option that would forward it', async () => {
    const { handler, simulator } = handlerOnSimulator();
    await expectInvalid(await handler(post({ api_key: 'x' })), /^api_key: .*allowFields: \['api_key'\]/);
    expect(simulator.stats().requests).toBe(0);
  });

  it('answers 400 for a field named like a property every object has, as for any unknown field', async () => {
    const { handler, simulator } = handlerOnSimulator();
    for (const field of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const body = `{"model":"${MODEL}","max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"${field}":{"x":1}}`;
      await expectInvalid(await handler(rawPost(body)), new RegExp(`^${field}: .*allowFields: \\['${field}'\\]`));
    }
    expect(simulator.stats().requests).toBe(0);
  });

  it('answers 400 for a model outside the allowlist, naming the allowed ones', async () => {
    const { handler, simulator } = handlerOnSimulator({}, { models: ['claude-haiku-5-5'] });
    await expectInvalid(await handler(post({ model: 'claude-opus-5-5' })), /claude-opus-5-5 is not allowed here; use one of: claude-haiku-5-5/);
    expect(simulator.stats().requests).toBe(0);
  });

  it('fills in the default model, or the first allowed one', async () => {
    const { handler } = handlerOnSimulator({}, { defaultModel: 'claude-haiku-5-5' });
    expect(await (await handler(post({ model: undefined }))).json()).toMatchObject({ model: 'claude-haiku-5-5' });
    const allowlisted = handlerOnSimulator({}, { models: ['claude-sonnet-5-5'] }).handler;
    expect(await (await allowlisted(post({ model: undefined }))).json()).toMatchObject({ model: 'claude-sonnet-5-5' });
    const neither = handlerOnSimulator().handler;
    await expectInvalid(await neither(post({ model: undefined })), /^model: Field required$/);
  });

  it('rejects max_tokens above the cap by default', async () => {
    const { handler } = handlerOnSimulator({}, { maxTokensCap: 500 });
    await expectInvalid(await handler(post({ max_tokens: 501 })), /max_tokens: 501 is above this server's limit of 500/);
    expect((await handler(post({ max_tokens: 500 }))).status).toBe(200);
  });

  it('clamps max_tokens to the cap when asked to', async () => {
    const { handler } = handlerOnSimulator({}, { maxTokensCap: 3, maxTokensOverCap: 'clamp' });
    const body = (await (await handler(post({ max_tokens: 4000 }))).json()) as { usage: { output_tokens: number } };
    expect(body.usage.output_tokens).toBe(3);
  });

  it('uses defaultMaxTokens, lowered to the cap, when max_tokens is missing', async () => {
    const { handler } = handlerOnSimulator({}, { defaultMaxTokens: 50, maxTokensCap: 2 });
    const body = (await (await handler(post({ max_tokens: undefined }))).json()) as { usage: { output_tokens: number } };
    expect(body.usage.output_tokens).toBe(2);
  });

  it('answers 413 request_too_large for a body over the limit, declared or not', async () => {
    const { handler, simulator } = handlerOnSimulator({}, { maxBodyBytes: 1000 });
    const big = post({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const declared = await handler(big);
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).type).toBe('request_too_large');
    const bytes = new TextEncoder().encode(JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'y'.repeat(5000) }] }));
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
        controller.close();
      },
    });
    const undeclared = new Request('http://app.test/api/claude', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit);
    expect((await handler(undeclared)).status).toBe(413);
    expect(simulator.stats().requests).toBe(0);
  });

  it('answers 405 to anything but POST', async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(new Request('http://app.test/api/claude'));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect((await errorOf(response)).type).toBe('invalid_request_error');
  });

  it('forwards a non-streamed max_tokens of 64000, which the SDK alone would refuse before sending', async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(post({ max_tokens: 64_000 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ type: 'message' });
  });
});

describe('createClaudeHandler with authorize', () => {
  it('answers 401 authentication_error when authorize returns false, before reading the body', async () => {
    const { handler, simulator } = handlerOnSimulator({}, { authorize: (request) => request.headers.get('cookie') === 'session=ok' });
    const request = post();
    const refused = await handler(request);
    expect(refused.status).toBe(401);
    expect((await errorOf(refused)).type).toBe('authentication_error');
    expect(request.bodyUsed).toBe(false);
    expect(simulator.stats().requests).toBe(0);
    const allowed = await handler(post({}, { headers: { 'content-type': 'application/json', cookie: 'session=ok' } }));
    expect(allowed.status).toBe(200);
  });

  it("answers with the Response authorize returns, e.g. a 403 in Anthropic's shape", async () => {
    const { handler } = handlerOnSimulator({}, { authorize: async () => errorResponse(403, 'permission_error', 'Upgrade to use Claude') });
    const response = await handler(post());
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toEqual({ type: 'permission_error', message: 'Upgrade to use Claude' });
  });

  it('answers 500 api_error without details when authorize throws', async () => {
    const { handler } = handlerOnSimulator({}, { authorize: () => { throw new Error(`db down at ${API_KEY}`); } });
    const response = await handler(post());
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('db down');
  });
});

describe('createClaudeHandler and CORS', () => {
  const fromOtherSite = (method = 'POST') =>
    post({}, { method, headers: { 'content-type': 'application/json', origin: 'https://app.example', 'access-control-request-method': 'POST' } });

  it('sends no CORS headers and refuses preflights unless configured', async () => {
    const { handler } = handlerOnSimulator();
    const response = await handler(fromOtherSite());
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const preflight = await handler(new Request('http://app.test/api/claude', { method: 'OPTIONS', headers: { origin: 'https://app.example' } }));
    expect(preflight.status).toBe(405);
  });

  it('answers the preflight of an allowed origin and exposes the retry headers', async () => {
    const { handler } = handlerOnSimulator({ script: ['429'] }, { cors: { origin: ['https://app.example'], allowHeaders: ['authorization'] }, holdMs: 0 });
    const preflight = await handler(new Request('http://app.test/api/claude', { method: 'OPTIONS', headers: { origin: 'https://app.example' } }));
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, x-claude-kit-ticket, x-claude-kit-priority, authorization');
    const response = await handler(fromOtherSite());
    expect(response.status).toBe(429);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(response.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(response.headers.get('vary')).toBe('origin');
  });

  it('gives an origin outside the list no CORS headers', async () => {
    const { handler } = handlerOnSimulator({}, { cors: { origin: (origin) => origin.endsWith('.trusted.example') } });
    const preflight = await handler(new Request('http://app.test/api/claude', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }));
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('createClaudeHandler keeps the API key on the server', () => {
  it('never puts the key in any response, whatever happens', async () => {
    const { handler, simulator } = handlerOnSimulator({}, { maxTokensCap: 100, maxConcurrency: 1, maxQueue: 0, holdMs: 0 });
    // Each answer is read at once: a stream holds its upstream slot until its body is consumed.
    const seen: { status: number; headers: string; body: string }[] = [];
    const read = async (response: Promise<Response>) => {
      const r = await response;
      seen.push({ status: r.status, headers: JSON.stringify([...r.headers]), body: await r.text() });
    };
    await read(handler(post()));
    await read(handler(post({ stream: true })));
    await read(handler(rawPost('<html>')));
    await read(handler(post({ max_tokens: 101 })));
    for (const outcome of ['529', '429', '401', '500', '503-html', 'empty-529', 'network-error', 'stream-error-midway', 'stream-cut'] as const) {
      simulator.setScript([outcome]);
      await read(handler(post({ stream: outcome.startsWith('stream') })));
    }
    simulator.setScript(['timeout']);
    const hanging = new AbortController();
    const aborted = handler(post({}, { signal: hanging.signal }));
    await read(handler(post()));
    hanging.abort();
    await read(aborted);
    // The 401 (Claude refusing the server's key) is a setup mistake: 500 not_configured.
    expect(seen.map((r) => r.status)).toEqual([200, 200, 400, 400, 529, 429, 500, 500, 503, 529, 502, 200, 200, 529, 499]);
    for (const response of seen) {
      expect(response.headers).not.toContain(API_KEY);
      expect(response.body).not.toContain(API_KEY);
    }
  });

  it('redacts the key if an upstream ever echoes it', async () => {
    const echo = async () => Response.json({ type: 'error', error: { type: 'invalid_request_error', message: `bad key ${API_KEY}` } }, { status: 400 });
    const response = await createClaudeHandler({ apiKey: API_KEY, fetch: echo })(post());
    expect(await errorOf(response)).toEqual({ type: 'invalid_request_error', message: 'bad key [redacted]' });
  });
});
