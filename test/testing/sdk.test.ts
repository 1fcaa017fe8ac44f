// The official SDK must read the simulator exactly as it reads Anthropic (the fixtures): same error class, status,
// type, error code, retry headers and request id — in process through the SDK's `fetch` option, and over HTTP.
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOverloadSimulator } from '../../src/testing/index.js';
import type { ListeningSimulator, SimulatorOutcome } from '../../src/testing/index.js';
import { MODEL, OUTCOME_FOR, REQUEST_ID, anthropic, fixtureFetch, until } from './helpers.js';
import type { FixtureResponse } from './helpers.js';

const params = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hi' }] };

async function errorFrom(client: Anthropic): Promise<InstanceType<typeof Anthropic.APIError>> {
  const error: unknown = await client.messages.create(params).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Anthropic.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

function seenBySdk(error: InstanceType<typeof Anthropic.APIError>) {
  return {
    class: error.constructor.name,
    status: error.status,
    type: error.type,
    bodyType: (error.error as { error?: { type?: string } } | undefined)?.error?.type,
    errorCode: error.errorCode,
    retryAfter: error.headers?.get('retry-after') ?? null,
    shouldRetry: error.headers?.get('x-should-retry') ?? null,
    hasRequestId: error.requestID != null,
  };
}

const everyFixture: FixtureResponse[] = [...anthropic.errors, ...anthropic.proxy_pages];

describe('the official SDK pointed at the simulator', () => {
  it.each(everyFixture)('sees the $name error as it sees it from Anthropic', async (fixture) => {
    const real = await errorFrom(new Anthropic({ apiKey: 'test', maxRetries: 0, fetch: fixtureFetch(fixture) }));
    const simulator = createOverloadSimulator({ script: [OUTCOME_FOR[fixture.name] as SimulatorOutcome] });
    const simulated = await errorFrom(new Anthropic({ apiKey: 'test', baseURL: 'http://simulator.test', maxRetries: 0, fetch: simulator.fetch }));
    expect(seenBySdk(simulated)).toEqual(seenBySdk(real));
    if (simulated.requestID != null) {
      expect(simulated.requestID).toMatch(REQUEST_ID);
      expect((simulated.error as { request_id?: string }).request_id).toBe(simulated.requestID);
    }
  });

  it('reads a successful Message with its request id', async () => {
    const simulator = createOverloadSimulator();
    const client = new Anthropic({ apiKey: 'test', baseURL: 'http://simulator.test', maxRetries: 0, fetch: simulator.fetch });
    const message = await client.messages.create(params);
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(message._request_id).toMatch(REQUEST_ID);
  });

  it('retries a 529 on its own when allowed to, as x-should-retry asks', async () => {
    vi.useFakeTimers();
    try {
      const simulator = createOverloadSimulator({ script: ['529'] });
      const client = new Anthropic({ apiKey: 'test', baseURL: 'http://simulator.test', maxRetries: 1, fetch: simulator.fetch });
      const message = client.messages.create(params);
      // The SDK's own backoff (at most a second for the first retry), on fake time.
      await vi.advanceTimersByTimeAsync(1000);
      await message;
      expect(simulator.stats().byStatus).toEqual({ 200: 1, 529: 1 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the official SDK over HTTP to simulator.listen()', () => {
  const simulator = createOverloadSimulator({ seed: 11 });
  let server: ListeningSimulator;
  let client: Anthropic;

  beforeAll(async () => {
    server = await simulator.listen();
    client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on 127.0.0.1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('sees an overloaded error with x-should-retry and the request id', async () => {
    simulator.setScript(['529']);
    const error = await errorFrom(client);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
    expect(error.headers?.get('x-should-retry')).toBe('true');
    expect(error.requestID).toMatch(REQUEST_ID);
  });

  it('sees a rate limit with retry-after', async () => {
    simulator.setScript(['429']);
    const error = await errorFrom(client);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers?.get('retry-after')).toBe('17');
  });

  it('streams a whole answer', async () => {
    simulator.setScript(['ok']);
    const stream = client.messages.stream(params);
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('end_turn');
  });

  it('throws an overloaded APIError from a stream that breaks midway', async () => {
    simulator.setScript(['stream-error-midway']);
    const stream = await client.messages.create({ ...params, stream: true });
    const seen: string[] = [];
    const error: unknown = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen).toContain('content_block_delta');
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ type: 'overloaded_error', error: { type: 'error', error: { type: 'overloaded_error' } } });
  });

  it('sees a dropped connection as an APIConnectionError', async () => {
    simulator.setScript(['network-error']);
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('aborts a hanging request, and the simulator sees the abort', async () => {
    simulator.setScript(['timeout']);
    const before = simulator.stats().aborted;
    const controller = new AbortController();
    const pending = client.messages.create(params, { signal: controller.signal });
    await until(() => simulator.stats().inFlight === 1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await until(() => simulator.stats().aborted === before + 1);
    expect(simulator.stats().inFlight).toBe(0);
  });
});
