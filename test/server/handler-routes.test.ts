// Pass-through: what the handler forwards (body, headers, path) and where, read from the fake upstream's side.
import { describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { MODEL, anthropic } from '../testing/helpers.js';
import { API_KEY, errorOf, handlerOnSimulator, recordingUpstream } from './helpers.js';

const body = { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello there' }] };
const at = (path: string, init: { headers?: Record<string, string>; body?: string; method?: string } = {}) =>
  new Request(`http://app.test${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.method === 'GET' ? {} : { body: init.body ?? JSON.stringify(body) }),
  });

describe('createClaudeHandler routes by the end of the path', () => {
  it('forwards …/v1/messages, and the bare mount, to /v1/messages at the base URL', async () => {
    const upstream = recordingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'https://claude.example/', fetch: upstream.fetch });
    for (const path of ['/api/claude/v1/messages', '/api/claude', '/api/claude/', '/v1/messages']) {
      expect((await handler(at(path))).status, path).toBe(200);
    }
    expect(upstream.calls.map((call) => call.url)).toEqual(Array(4).fill('https://claude.example/v1/messages'));
  });

  it('forwards count_tokens to count_tokens, never as a message and never through the gate', async () => {
    const upstream = recordingUpstream(() => Response.json({ input_tokens: 12 }, { headers: { 'request-id': 'req_count' } }));
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, maxConcurrency: 1, maxQueue: 0 });
    const { max_tokens: _unused, ...countBody } = body;
    const response = await handler(at('/api/claude/v1/messages/count_tokens', { body: JSON.stringify(countBody) }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ input_tokens: 12 });
    expect(response.headers.get('request-id')).toBe('req_count');
    expect(upstream.calls[0]?.url).toBe('https://api.anthropic.com/v1/messages/count_tokens');
    // Sent as it came: no max_tokens added, as a message would have.
    expect(JSON.parse(upstream.calls[0]!.body)).toEqual(countBody);
    expect(handler.stats()).toMatchObject({ active: 0, shed: 0 });
  });

  it("answers any other /v1/ path 404 in Anthropic's shape, without calling Claude", async () => {
    const upstream = recordingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch });
    for (const request of [at('/api/claude/v1/models', { method: 'GET' }), at('/api/claude/v1/messages/batches'), at('/api/claude/v1/complete')]) {
      const response = await handler(request);
      expect(response.status).toBe(404);
      expect((await errorOf(response)).type).toBe('not_found_error');
    }
    expect(upstream.calls).toEqual([]);
  });

  it('keeps the query string, so the beta SDK’s ?beta=true reaches Claude', async () => {
    const upstream = recordingUpstream();
    await createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch })(at('/api/claude/v1/messages?beta=true'));
    expect(upstream.calls[0]?.url).toBe('https://api.anthropic.com/v1/messages?beta=true');
  });
});

describe('createClaudeHandler forwards the request as the client sent it', () => {
  it('sends the body byte for byte when the policy changed nothing', async () => {
    const upstream = recordingUpstream();
    // Key order, spacing and fields the handler never reads, all as sent.
    const sent = `{ "messages": [{"role":"user","content":"Hi"}],\n "max_tokens": 10, "model": "${MODEL}", "output_config": {"effort": "low"} }`;
    await createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch })(at('/api/claude', { body: sent }));
    expect(upstream.calls[0]?.body).toBe(sent);
  });

  it("forwards anthropic-beta and the client's anthropic-version, and the server's key as x-api-key", async () => {
    const upstream = recordingUpstream();
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch });
    await handler(at('/api/claude/v1/messages', {
      headers: { 'anthropic-beta': 'context-1m-2025-08-07,files-api-2025-04-14', 'anthropic-version': '2024-01-01', 'x-api-key': 'from-the-browser', authorization: 'Bearer from-the-browser', cookie: 'session=1' },
    }));
    const headers = upstream.calls[0]!.headers;
    expect(headers.get('anthropic-beta')).toBe('context-1m-2025-08-07,files-api-2025-04-14');
    expect(headers.get('anthropic-version')).toBe('2024-01-01');
    expect(headers.get('x-api-key')).toBe(API_KEY);
    // Nothing else of the browser's request travels on: no credentials of its own, no cookies.
    expect(headers.get('authorization')).toBeNull();
    expect(headers.get('cookie')).toBeNull();
  });

  it('sends anthropic-version 2023-06-01 when the client names none', async () => {
    const upstream = recordingUpstream();
    await createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch })(at('/api/claude'));
    expect(upstream.calls[0]!.headers.get('anthropic-version')).toBe('2023-06-01');
    expect(upstream.calls[0]!.headers.get('anthropic-beta')).toBeNull();
  });

  it('reads the key and the base URL from the environment when not given', async () => {
    const upstream = recordingUpstream();
    const saved = { key: process.env.ANTHROPIC_API_KEY, base: process.env.ANTHROPIC_BASE_URL };
    process.env.ANTHROPIC_API_KEY = API_KEY;
    process.env.ANTHROPIC_BASE_URL = 'https://gateway.example';
    try {
      await createClaudeHandler({ fetch: upstream.fetch })(at('/api/claude'));
    } finally {
      for (const [name, value] of [['ANTHROPIC_API_KEY', saved.key], ['ANTHROPIC_BASE_URL', saved.base]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(upstream.calls[0]?.url).toBe('https://gateway.example/v1/messages');
    expect(upstream.calls[0]?.headers.get('x-api-key')).toBe(API_KEY);
  });

  it('takes a key and a base URL set in the environment after its first request', async () => {
    const upstream = recordingUpstream();
    const saved = { key: process.env.ANTHROPIC_API_KEY, base: process.env.ANTHROPIC_BASE_URL };
    delete process.env.ANTHROPIC_BASE_URL;
    process.env.ANTHROPIC_API_KEY = API_KEY;
    const handler = createClaudeHandler({ fetch: upstream.fetch });
    try {
      await handler(at('/api/claude/v1/messages?beta=true#ignored'));
      process.env.ANTHROPIC_API_KEY = `${API_KEY}-rotated`;
      process.env.ANTHROPIC_BASE_URL = 'https://gateway.example/';
      await handler(at('/api/claude/v1/messages?'));
    } finally {
      for (const [name, value] of [['ANTHROPIC_API_KEY', saved.key], ['ANTHROPIC_BASE_URL', saved.base]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(upstream.calls.map((call) => [call.url, call.headers.get('x-api-key')])).toEqual([
      ['https://api.anthropic.com/v1/messages?beta=true', API_KEY],
      ['https://gateway.example/v1/messages', `${API_KEY}-rotated`],
    ]);
  });

  it('does not follow redirects: a 3xx from the upstream is a 502, and the key goes nowhere else', async () => {
    const upstream = recordingUpstream(() => new Response(null, { status: 307, headers: { location: 'https://elsewhere.example/v1/messages' } }));
    const response = await createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch })(at('/api/claude'));
    expect(upstream.calls[0]?.redirect).toBe('manual');
    expect(upstream.calls).toHaveLength(1);
    expect(response.status).toBe(502);
    expect(response.headers.get('location')).toBeNull();
  });

  it('talks to the simulator with no key asked of it', async () => {
    const { handler } = handlerOnSimulator({ apiKey: undefined });
    expect((await handler(at('/api/claude'))).status).toBe(200);
  });
});
