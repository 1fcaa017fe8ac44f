// The official SDK through the handler in an outage, at both sides' defaults (the SDK's 2 retries, the handler's
// 25 s hold): what the README's SDK section quotes. Its retries wait for the handler's retry-after (the expected turn),
// so they do not stack a backoff on the hold.
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { MODEL, anthropic } from '../testing/helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const overloaded = anthropic.errors.find((e) => e.name === 'overloaded')!;

/** The SDK's request through the handler while Claude refuses every call for `outageMs`: when it ended, and how. */
async function throughOutage(outageMs: number, maxRetries: number) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const t0 = Date.now();
  let upstreamCalls = 0;
  const handler = createClaudeHandler({
    apiKey: 'sk-ant-test-key-0123456789', baseURL: 'http://claude.test',
    fetch: async () => {
      upstreamCalls += 1;
      return Date.now() - t0 < outageMs
        ? Response.json(overloaded.body, { status: 529, headers: overloaded.headers })
        : Response.json(anthropic.success.body, { headers: anthropic.success.headers });
    },
  });
  let sdkCalls = 0;
  const sdk = new Anthropic({
    apiKey: 'unused', baseURL: 'http://app.test', maxRetries,
    fetch: async (url, init) => (sdkCalls += 1, handler(new Request(url, init))),
  });
  let endedAt: number | undefined;
  const outcome = sdk.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).then(
    () => 'answered',
    (error: unknown) => (error instanceof Anthropic.APIError ? `${error.status} ${error.type}` : String(error)),
  ).finally(() => {
    endedAt = Date.now() - t0;
  });
  for (let waited = 0; endedAt === undefined && waited < 600_000; waited += 1_000) await vi.advanceTimersByTimeAsync(1_000);
  return { result: await outcome, endedAtMs: endedAt!, sdkCalls, upstreamCalls };
}

describe('the official SDK through the handler in an outage, both at their defaults', () => {
  it('answers through a 40 s outage, within about 2 s of its end', async () => {
    const run = await throughOutage(40_000, 2);
    expect(run.result).toBe('answered');
    expect(run.endedAtMs).toBeGreaterThanOrEqual(40_000);
    expect(run.endedAtMs).toBeLessThanOrEqual(42_500);
    expect(run.sdkCalls).toBe(2);
    console.log(`SDK through the handler: 40 s outage answered at ${run.endedAtMs} ms after ${run.sdkCalls} calls (${run.upstreamCalls} to Claude)`);
  });

  it('gives up on a 150 s outage with maxRetries 2, and answers with the maxRetries the docs recommend for a held line', async () => {
    const twice = await throughOutage(150_000, 2);
    expect(twice.result).toBe('529 overloaded_error');
    expect(twice.sdkCalls).toBe(3);
    const patient = await throughOutage(150_000, 8);
    expect(patient.result).toBe('answered');
    expect(patient.endedAtMs).toBeLessThanOrEqual(152_500);
    console.log(`SDK through the handler: 40 s outage answered; 150 s outage: maxRetries 2 gave up at ${twice.endedAtMs} ms, maxRetries 8 answered at ${patient.endedAtMs} ms after ${patient.sdkCalls} calls`);
  });
});
