// The handler's side of "one clock": only Claude's 529 waits in the line; a 429 and a gateway's 5xx keep their
// meaning and reach every client at once; a request waiting in line is sent again within about two seconds of
// Claude's return, not after a closed window of up to 15 s.
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { MODEL, anthropic } from '../testing/helpers.js';
import { API_KEY, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const errorNamed = (name: string) => anthropic.errors.find((e) => e.name === name)!;
const answerWith = (name: string) => {
  const error = errorNamed(name);
  return Response.json(error.body, { status: error.status, headers: error.headers });
};
const success = () => Response.json(anthropic.success.body, { headers: anthropic.success.headers });

describe('errors keep their meaning through the handler', () => {
  it("passes Claude's 429 to the official SDK at once, as a RateLimitError with Claude's retry-after", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch: async () => (calls++, answerWith('rate_limited')) });
    const sdk = new Anthropic({ apiKey: 'unused', baseURL: 'http://app.test', maxRetries: 0, fetch: async (url, init) => handler(new Request(url, init)) });
    const started = Date.now();
    const error = await sdk.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('17');
    // Before, it waited the whole 25 s hold and came back as a 529 overloaded_error.
    expect(Date.now() - started).toBe(0);
    expect(calls).toBe(1);
  });

  it("answers a gateway's 502 HTML page at once as that 502, retryable, without its markup", async () => {
    vi.useFakeTimers();
    const handler = createClaudeHandler({
      apiKey: API_KEY, baseURL: 'http://claude.test',
      fetch: async () => new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    });
    const started = Date.now();
    const response = await handler(post());
    expect(response.status).toBe(502);
    expect(Date.now() - started).toBe(0);
    expect(response.headers.get('x-should-retry')).toBe('true');
    expect(await response.text()).not.toContain('<html>');
  });
});

describe('recovery', () => {
  it('sends a request waiting in line again within 2 s of Claude answering again, late in a long refusal', async () => {
    vi.useFakeTimers();
    const t0 = Date.now();
    // Claude refuses every call for 20 s, then answers.
    const back = t0 + 20_000;
    const sent: number[] = [];
    const fetch = async () => {
      sent.push(Date.now() - t0);
      return Date.now() < back ? answerWith('overloaded') : success();
    };
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, holdMs: 25_000 });
    let answeredAt: number | undefined;
    void handler(post()).then((r) => {
      expect(r.status).toBe(200);
      answeredAt = Date.now() - t0;
    });
    await vi.advanceTimersByTimeAsync(24_000);
    expect(answeredAt).toBeDefined();
    expect(answeredAt!).toBeLessThanOrEqual(22_000);
    // While Claude refused, one probe at least every 2 s, never a tight loop: one a second for the outage's first
    // 10 s (LINE_TUNING.fastProbesMs), then one every 2 s.
    const refused = sent.filter((at) => at < 20_000);
    expect(refused.length).toBeLessThanOrEqual(16);
    for (let i = 1; i < refused.length; i += 1) expect(refused[i]! - refused[i - 1]!).toBeLessThanOrEqual(2_000);
  });
});
