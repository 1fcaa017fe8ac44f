// The official TypeScript SDK (@anthropic-ai/sdk) pointed at the handler's mount (`baseURL: '…/api/claude'`),
// compared with the same SDK talking to the same fake Claude directly: same result, same error, same request id,
// and the same request reaching Claude.
import Anthropic from '@anthropic-ai/sdk';
import { jsonSchemaOutputFormat } from '@anthropic-ai/sdk/helpers/json-schema';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answers, bothWays, errorOf, fixtureAnswer, sameRequests, valueOf } from './upstream.js';
import type { Answer } from './upstream.js';
import { anthropic as fixtures } from '../testing/helpers.js';

const MODEL = 'claude-sonnet-4-5';
const user = [{ role: 'user' as const, content: 'Hello there' }];
const client = (fetch: typeof globalThis.fetch, baseURL: string, maxRetries = 0) =>
  new Anthropic({ apiKey: 'client-side-key', baseURL, fetch, maxRetries });

/** An SDK error as a user handles it: class, status, type, request id and retry-after. */
const errorView = (error: unknown) => {
  if (!(error instanceof Anthropic.AnthropicError)) throw error;
  const api = error instanceof Anthropic.APIError ? error : undefined;
  return { class: error.constructor.name, status: api?.status, type: api?.type, requestID: api?.requestID, retryAfter: api?.headers?.get('retry-after'), message: error.message };
};

async function expectSame<T>(answer: Answer, run: (sdk: Anthropic) => Promise<T>) {
  const result = await bothWays(answer, (fetch, base) => run(client(fetch, base)));
  const requests = sameRequests(result.directCalls, result.handlerCalls);
  expect(requests.viaHandler).toEqual(requests.direct);
  return result;
}

describe('@anthropic-ai/sdk through the handler', () => {
  afterEach(() => void vi.useRealTimers());

  it('plain: the same message and request id', async () => {
    const { direct, viaHandler } = await expectSame(answers.plain, (sdk) => sdk.messages.create({ model: MODEL, max_tokens: 64, messages: user }).withResponse());
    expect(valueOf(viaHandler).data).toEqual(valueOf(direct).data);
    expect(valueOf(viaHandler).request_id).toBe(fixtures.success.headers['request-id']);
  });

  it('stream: the same events and final message', async () => {
    const run = async (sdk: Anthropic) => {
      const stream = sdk.messages.stream({ model: MODEL, max_tokens: 64, messages: user });
      const texts: string[] = [];
      stream.on('text', (text) => texts.push(text));
      return { texts, message: await stream.finalMessage(), requestId: (await stream.withResponse()).request_id };
    };
    const { direct, viaHandler } = await expectSame(answers.stream, run);
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).texts.join('')).toBe('Hello! How can I help?');
  });

  it('tools: the same tool call', async () => {
    const tools = [{ name: 'get_weather', description: 'Weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
    const { direct, viaHandler } = await expectSame(answers.tools, (sdk) => sdk.messages.create({ model: MODEL, max_tokens: 256, messages: user, tools, tool_choice: { type: 'any' } }));
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather' });
  });

  it('thinking: the same thinking and signature, streamed', async () => {
    const run = (sdk: Anthropic) => sdk.messages.stream({ model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: user }).finalMessage();
    const { direct, viaHandler } = await expectSame(answers.thinking, run);
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).content[0]).toMatchObject({ type: 'thinking', thinking: 'The user greets me; answer briefly.', signature: 'EqQBCkYIBRgCIkCsig' });
  });

  it('structured output (output_config with messages.parse): the same parsed output', async () => {
    const format = jsonSchemaOutputFormat({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'], additionalProperties: false } as const);
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.tools, (sdk) => sdk.messages.parse({ model: MODEL, max_tokens: 256, messages: user, output_config: { format } }));
    expect(valueOf(viaHandler).parsed_output).toEqual({ name: 'Ada', age: 36 });
    expect(valueOf(viaHandler).parsed_output).toEqual(valueOf(direct).parsed_output);
    expect(handlerCalls[0]?.body).toHaveProperty('output_config.format.type', 'json_schema');
  });

  it('prompt caching (top-level cache_control): the same usage, cache tokens included', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.cached, (sdk) =>
      sdk.messages.create({ model: MODEL, max_tokens: 64, cache_control: { type: 'ephemeral' }, system: 'A long system prompt', messages: user }),
    );
    expect(valueOf(viaHandler).usage).toEqual(valueOf(direct).usage);
    expect(valueOf(viaHandler).usage.cache_creation_input_tokens).toBe(2048);
    expect(handlerCalls[0]?.body.cache_control).toEqual({ type: 'ephemeral' });
  });

  it('betas: the anthropic-beta header reaches Claude', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.plain, (sdk) =>
      sdk.beta.messages.create({ model: MODEL, max_tokens: 64, messages: user, betas: ['context-1m-2025-08-07', 'token-efficient-tools-2025-02-19'] }),
    );
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(handlerCalls[0]?.headers.get('anthropic-beta')).toBe('context-1m-2025-08-07,token-efficient-tools-2025-02-19');
  });

  it('count_tokens: counted by count_tokens, with its request id', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.countTokens, (sdk) => sdk.messages.countTokens({ model: MODEL, messages: user }).withResponse());
    expect(valueOf(viaHandler).data).toEqual({ input_tokens: 14 });
    expect(valueOf(viaHandler).data).toEqual(valueOf(direct).data);
    expect(valueOf(viaHandler).request_id).toBe('req_011CTcount00000000000001');
    expect(handlerCalls[0]?.path).toBe('/v1/messages/count_tokens');
  });

  it('large max_tokens: 64,000 non-streamed goes through when the SDK allows it (a long timeout)', async () => {
    const { direct, viaHandler, handlerCalls } = await expectSame(answers.plain, (sdk) =>
      sdk.messages.create({ model: MODEL, max_tokens: 64_000, messages: user }, { timeout: 60 * 60 * 1000 }),
    );
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(handlerCalls[0]?.body.max_tokens).toBe(64_000);
  });

  it.each([
    ['529 overloaded', answers.overloaded, 'OverloadedError'],
    ['429 rate limit', answers.rateLimited, 'RateLimitError'],
  ])('%s: the same error class, status, request id and retry-after', async (_name, answer, className) => {
    const { direct, viaHandler } = await expectSame(answer, (sdk) => sdk.messages.create({ model: MODEL, max_tokens: 64, messages: user }));
    expect(errorView(errorOf(viaHandler))).toEqual(errorView(errorOf(direct)));
    expect(errorView(errorOf(viaHandler))).toMatchObject({ class: className });
  });

  it('mid-stream error: the same overloaded error after the same text', async () => {
    const run = async (sdk: Anthropic) => {
      const texts: string[] = [];
      const stream = sdk.messages.stream({ model: MODEL, max_tokens: 64, messages: user });
      stream.on('text', (text) => texts.push(text));
      const error = await stream.finalMessage().then(() => undefined, (e: unknown) => e);
      return { texts, error: errorView(error) };
    };
    const { direct, viaHandler } = await expectSame(answers.midStreamError, run);
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).error.type).toBe('overloaded_error');
  });

  it("retry-after timing: the SDK's own retry waits the same 17 s through the handler", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rateLimitedOnce: Answer = (_call, index) => (index === 0 ? fixtureAnswer(fixtures.errors.find((e) => e.name === 'rate_limited')!) : answers.plain());
    const result = bothWays(rateLimitedOnce, async (fetch, base) => {
      const started = Date.now();
      const message = await client(fetch, base, 1).messages.create({ model: MODEL, max_tokens: 64, messages: user });
      return { id: message.id, waitedMs: Date.now() - started };
    });
    await vi.advanceTimersByTimeAsync(40_000);
    const { direct, viaHandler, handlerCalls } = await result;
    expect(valueOf(viaHandler)).toEqual(valueOf(direct));
    expect(valueOf(viaHandler).waitedMs).toBe(17_000);
    expect(handlerCalls[1]!.at - handlerCalls[0]!.at).toBe(17_000);
  });
});
