// LangChain's ChatAnthropic (`@langchain/anthropic`, with its own copy of the Anthropic SDK) with
// `anthropicApiUrl: '…/api/claude'`, compared with the same calls straight at the fake Claude.
import { ChatAnthropic } from '@langchain/anthropic';
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { anthropic as fixtures } from '../testing/helpers.js';
import { answers, bothWays, errorOf, fixtureAnswer, sameRequests, valueOf } from './upstream.js';
import type { Answer } from './upstream.js';

const MODEL = 'claude-sonnet-4-5';
type ChatFields = ConstructorParameters<typeof ChatAnthropic>[0];
const chatAt = (fetch: typeof globalThis.fetch, base: string, fields: ChatFields = {}) =>
  new ChatAnthropic({ model: MODEL, apiKey: 'client-side-key', anthropicApiUrl: base, clientOptions: { fetch }, maxRetries: 0, maxTokens: 256, ...fields });

async function expectSame<T>(answer: Answer, run: (fetch: typeof globalThis.fetch, base: string) => Promise<T>) {
  const result = await bothWays(answer, run);
  const requests = sameRequests(result.directCalls, result.handlerCalls);
  expect(requests.viaHandler).toEqual(requests.direct);
  return result;
}

/** What a user reads off an AIMessage. */
const view = (message: BaseMessage | AIMessageChunk) => {
  const metadata = message.response_metadata as { id?: string; stop_reason?: string } | undefined;
  return {
    content: message.content,
    toolCalls: 'tool_calls' in message ? message.tool_calls : undefined,
    usage: 'usage_metadata' in message ? message.usage_metadata : undefined,
    id: metadata?.id ?? message.id,
    stopReason: metadata?.stop_reason,
  };
};

const errorView = (error: unknown) => {
  const e = error as { name?: string; status?: number; requestID?: string; message?: string; lc_error_code?: string; headers?: Headers };
  return { name: e.name, status: e.status, requestID: e.requestID, code: e.lc_error_code, message: e.message, retryAfter: e.headers?.get?.('retry-after') };
};

const concat = (chunks: AIMessageChunk[]) => chunks.reduce((all, chunk) => all.concat(chunk));

describe("LangChain's ChatAnthropic through the handler", () => {
  afterEach(() => void vi.useRealTimers());

  it('plain invoke: the same message', async () => {
    const { direct, viaHandler } = await expectSame(answers.plain, async (fetch, base) => view(await chatAt(fetch, base).invoke('Hello there')));
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).content).toBe('Hello! How can I help you today?');
  });

  it('stream: the same chunks', async () => {
    const { direct, viaHandler } = await expectSame(answers.stream, async (fetch, base) => {
      const chunks: AIMessageChunk[] = [];
      for await (const chunk of await chatAt(fetch, base).stream('Hello there')) chunks.push(chunk);
      return { texts: chunks.map((chunk) => chunk.content), all: view(concat(chunks)) };
    });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).all.content).toBe('Hello! How can I help?');
  });

  it('tools: the same tool call', async () => {
    const weather = { name: 'get_weather', description: 'Weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
    const { direct, viaHandler } = await expectSame(answers.tools, async (fetch, base) => view(await chatAt(fetch, base).bindTools([weather], { tool_choice: 'any' }).invoke('Weather in Paris?')));
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).toolCalls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
  });

  it('thinking: the same thinking block, streamed', async () => {
    const { direct, viaHandler } = await expectSame(answers.thinking, async (fetch, base) => {
      const chunks: AIMessageChunk[] = [];
      const chat = chatAt(fetch, base, { maxTokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } });
      for await (const chunk of await chat.stream('Hello there')) chunks.push(chunk);
      return view(concat(chunks));
    });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(JSON.stringify(valueOf(viaHandler).content)).toContain('The user greets me; answer briefly.');
  });

  it('structured output (withStructuredOutput): the same object', async () => {
    const schema = { title: 'person', type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'] };
    const { direct, viaHandler } = await expectSame(answers.tools, async (fetch, base) => chatAt(fetch, base).withStructuredOutput(schema).invoke('Who?'));
    expect(valueOf(viaHandler)).toMatchObject({ name: 'Ada', age: 36 });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
  });

  it('prompt caching: the same cache usage', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.cached, async (fetch, base) =>
      view(await chatAt(fetch, base).invoke([{ role: 'user', content: [{ type: 'text', text: 'A long prompt', cache_control: { type: 'ephemeral' } }] }])),
    );
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(JSON.stringify(handlerCalls[0]?.body)).toContain('"cache_control":{"type":"ephemeral"}');
    expect(valueOf(viaHandler).usage?.input_token_details).toMatchObject({ cache_creation: 2048 });
  });

  it('betas: the anthropic-beta header reaches Claude', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.plain, async (fetch, base) => view(await chatAt(fetch, base, { betas: ['context-1m-2025-08-07'] }).invoke('Hi')));
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(handlerCalls[0]?.headers.get('anthropic-beta')).toContain('context-1m-2025-08-07');
  });

  it("large max_tokens (64,000): refused non-streamed by LangChain's own SDK copy either way, streamed it goes through", async () => {
    const refused = await expectSame(answers.plain, async (fetch, base) => view(await chatAt(fetch, base, { maxTokens: 64_000 }).invoke('Hi')));
    expect(errorView(errorOf(refused.viaHandler))).toEqual(errorView(errorOf(refused.direct)));
    expect(errorView(errorOf(refused.viaHandler)).message).toMatch(/streaming/i);
    expect(refused.handlerCalls).toEqual([]);
    const streamed = await expectSame(answers.stream, async (fetch, base) => {
      const chunks: AIMessageChunk[] = [];
      for await (const chunk of await chatAt(fetch, base, { maxTokens: 64_000 }).stream('Hi')) chunks.push(chunk);
      return view(concat(chunks));
    });
    expect(valueOf(streamed.viaHandler)).toEqual(valueOf(streamed.direct));
    expect(streamed.handlerCalls[0]?.body.max_tokens).toBe(64_000);
  });

  it.each([
    ['529 overloaded', answers.overloaded, 529],
    ['429 rate limit', answers.rateLimited, 429],
  ])('%s: the same error, status and request id', async (_name, answer, status) => {
    const { direct, viaHandler } = await expectSame(answer, (fetch, base) => chatAt(fetch, base).invoke('Hi'));
    expect(errorView(errorOf(viaHandler))).toEqual(errorView(errorOf(direct)));
    expect(errorView(errorOf(viaHandler))).toMatchObject({ status });
    expect(errorView(errorOf(viaHandler)).requestID).toMatch(/^req_/);
  });

  it('mid-stream error: the same text, then the same error', async () => {
    const { direct, viaHandler } = await expectSame(answers.midStreamError, async (fetch, base) => {
      const texts: unknown[] = [];
      try {
        for await (const chunk of await chatAt(fetch, base).stream('Hi')) texts.push(chunk.content);
      } catch (error) {
        return { texts, error: errorView(error) };
      }
      return { texts, error: undefined };
    });
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).error?.message).toMatch(/overloaded/i);
  });

  it("retry-after timing: LangChain's own retry waits the same time through the handler", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rateLimitedOnce: Answer = (_call, index) => (index === 0 ? fixtureAnswer(fixtures.errors.find((e) => e.name === 'rate_limited')!) : answers.plain());
    const result = bothWays(rateLimitedOnce, async (fetch, base) => {
      const started = Date.now();
      const message = await chatAt(fetch, base, { maxRetries: 1 }).invoke('Hi');
      return { content: message.content, waitedMs: Date.now() - started };
    });
    await vi.advanceTimersByTimeAsync(120_000);
    const { direct, viaHandler, handlerCalls } = await result;
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(handlerCalls).toHaveLength(2);
    // The 429's retry-after: 17 (seconds), honoured the same way either way.
    expect(valueOf(viaHandler).waitedMs).toBe(17_000);
  });
});
