// The Vercel AI SDK (`ai` + `@ai-sdk/anthropic`) with `baseURL: '…/api/claude/v1'`, compared with the same calls
// straight at the fake Claude. The AI SDK has no count_tokens call, so that row is the official SDK's only.
import { createAnthropic } from '@ai-sdk/anthropic';
import { APICallError, Output, generateText, jsonSchema, streamText, tool } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { anthropic as fixtures } from '../testing/helpers.js';
import { answers, bothWays, errorOf, fixtureAnswer, sameRequests, valueOf } from './upstream.js';
import type { Answer } from './upstream.js';

const MODEL = 'claude-sonnet-4-5';
const modelAt = (fetch: typeof globalThis.fetch, base: string) => createAnthropic({ apiKey: 'client-side-key', baseURL: `${base}/v1`, fetch })(MODEL);

async function expectSame<T>(answer: Answer, run: (model: ReturnType<typeof modelAt>) => Promise<T>) {
  const result = await bothWays(answer, (fetch, base) => run(modelAt(fetch, base)));
  const requests = sameRequests(result.directCalls, result.handlerCalls);
  expect(requests.viaHandler).toEqual(requests.direct);
  return result;
}

/** What a user reads off a generateText result (timestamps left out: they differ by run). */
// Any tool set: only the fields every result has are read.
const view = (result: Awaited<ReturnType<typeof generateText<any>>>) => ({
  text: result.text,
  reasoning: result.reasoningText,
  toolCalls: result.toolCalls.map(({ toolCallId, toolName, input }) => ({ toolCallId, toolName, input })),
  finishReason: result.finishReason,
  usage: result.usage,
  providerMetadata: result.providerMetadata,
  id: result.response.id,
  requestId: result.response.headers?.['request-id'],
});

const errorView = (error: unknown) => {
  if (!APICallError.isInstance(error)) throw error;
  return { name: error.name, statusCode: error.statusCode, isRetryable: error.isRetryable, requestId: error.responseHeaders?.['request-id'], retryAfter: error.responseHeaders?.['retry-after'], message: error.message };
};

describe('Vercel AI SDK through the handler', () => {
  afterEach(() => void vi.useRealTimers());

  it('plain generateText, with its default max_tokens of 64,000 non-streamed: the same text and request id', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.plain, async (model) => view(await generateText({ model, prompt: 'Hello there', maxRetries: 0 })));
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler)).toMatchObject({ text: 'Hello! How can I help you today?', requestId: fixtures.success.headers['request-id'] });
    expect(handlerCalls[0]?.body.max_tokens).toBe(64_000);
  });

  it('streamText: the same text and finish', async () => {
    const { direct, viaHandler } = await expectSame(answers.stream, async (model) => {
      const result = streamText({ model, prompt: 'Hello there', maxRetries: 0 });
      return { text: await result.text, finishReason: await result.finishReason, usage: await result.usage, requestId: (await result.response).headers?.['request-id'] };
    });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).text).toBe('Hello! How can I help?');
  });

  it('tools: the same tool call', async () => {
    const tools = { get_weather: tool({ description: 'Weather in a city', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }) }) };
    const { direct, viaHandler } = await expectSame(answers.tools, async (model) => view(await generateText({ model, prompt: 'Weather in Paris?', tools, toolChoice: 'required', maxRetries: 0 })));
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
  });

  it('thinking: the same reasoning, streamed', async () => {
    const { direct, viaHandler } = await expectSame(answers.thinking, async (model) => {
      const result = streamText({ model, prompt: 'Hello there', maxRetries: 0, providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } } });
      return { text: await result.text, reasoning: await result.reasoningText };
    });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler)).toEqual({ text: 'Hello!', reasoning: 'The user greets me; answer briefly.' });
  });

  it('structured output (Output.object): the same object', async () => {
    const schema = jsonSchema<{ name: string; age: number }>({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'], additionalProperties: false });
    const { direct, viaHandler } = await expectSame(answers.tools, async (model) => (await generateText({ model, prompt: 'Who?', output: Output.object({ schema }), maxRetries: 0 })).output);
    expect(valueOf(viaHandler)).toEqual({ name: 'Ada', age: 36 });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
  });

  it('prompt caching: the same cache usage', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.cached, async (model) =>
      view(await generateText({ model, maxRetries: 0, messages: [{ role: 'user', content: 'A long prompt', providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } } }] })),
    );
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(JSON.stringify(handlerCalls[0]?.body)).toContain('"cache_control":{"type":"ephemeral"}');
    expect(valueOf(viaHandler).providerMetadata?.anthropic).toMatchObject({ usage: { cache_creation_input_tokens: 2048 } });
  });

  it('betas: the anthropic-beta header reaches Claude', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.plain, async (model) =>
      view(await generateText({ model, prompt: 'Hi', maxRetries: 0, headers: { 'anthropic-beta': 'context-1m-2025-08-07' } })),
    );
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(handlerCalls[0]?.headers.get('anthropic-beta')).toContain('context-1m-2025-08-07');
  });

  it.each([
    ['529 overloaded', answers.overloaded, 529],
    ['429 rate limit', answers.rateLimited, 429],
  ])('%s: the same APICallError, status, retryability and request id', async (_name, answer, status) => {
    const { direct, viaHandler } = await expectSame(answer, (model) => generateText({ model, prompt: 'Hi', maxRetries: 0 }));
    expect(errorView(errorOf(viaHandler))).toEqual(errorView(errorOf(direct)));
    expect(errorView(errorOf(viaHandler))).toMatchObject({ statusCode: status, isRetryable: true });
  });

  it('mid-stream error: the same text, then the same error part', async () => {
    const { direct, viaHandler } = await expectSame(answers.midStreamError, async (model) => {
      const parts: unknown[] = [];
      for await (const part of streamText({ model, prompt: 'Hi', maxRetries: 0, onError: () => {} }).fullStream) {
        if (part.type === 'text-delta') parts.push(part.text);
        if (part.type === 'error') parts.push({ error: JSON.stringify(part.error) });
      }
      return parts;
    });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(JSON.stringify(valueOf(viaHandler))).toContain('overloaded_error');
  });

  it("retry-after timing: the AI SDK's own retry waits the same time through the handler", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rateLimitedOnce: Answer = (_call, index) => (index === 0 ? fixtureAnswer(fixtures.errors.find((e) => e.name === 'rate_limited')!) : answers.plain());
    const result = bothWays(rateLimitedOnce, async (fetch, base) => {
      const started = Date.now();
      const { text } = await generateText({ model: modelAt(fetch, base), prompt: 'Hi', maxRetries: 1 });
      return { text, waitedMs: Date.now() - started };
    });
    await vi.advanceTimersByTimeAsync(60_000);
    const { direct, viaHandler } = await result;
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    // The 429's retry-after: 17 (seconds), honoured the same way either way.
    expect(valueOf(viaHandler).waitedMs).toBe(17_000);
  });
});
