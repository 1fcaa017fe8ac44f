import Anthropic from '@anthropic-ai/sdk';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOverloadSimulator } from '../../src/testing/index.js';
import { createSimulatorHandlers } from '../../src/testing/msw-entry.js';
import { MODEL, REQUEST_ID, messagesRequest, parseSse } from './helpers.js';

const simulator = createOverloadSimulator();
const server = setupServer(
  ...createSimulatorHandlers(simulator, { url: 'https://api.anthropic.com/v1/messages' }),
  ...createSimulatorHandlers(simulator, { url: 'http://app.test/api/claude' }),
  ...createSimulatorHandlers(simulator, { url: '/relative/claude' }),
);

describe('createSimulatorHandlers', () => {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => simulator.reset());
  afterAll(() => server.close());

  it("answers the official SDK at Anthropic's address with the simulator", async () => {
    simulator.setScript(['529']);
    const client = new Anthropic({ apiKey: 'test', maxRetries: 0 });
    const error: unknown = await client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect((error as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(REQUEST_ID);
  });

  it("answers the app's own endpoint, streams included", async () => {
    simulator.setScript(['ok', 'stream-error-midway']);
    const plain = await fetch('http://app.test/api/claude', messagesRequest());
    expect(plain.status).toBe(200);
    const stream = await fetch('http://app.test/api/claude', messagesRequest({ stream: true }));
    expect(parseSse(await stream.text()).at(-1)?.event).toBe('error');
  });

  it('matches a relative endpoint on any origin in Node', async () => {
    const response = await fetch('http://localhost:5173/relative/claude', messagesRequest());
    expect(response.status).toBe(200);
  });

  it('turns a network-error outcome into a failed fetch', async () => {
    simulator.setScript(['network-error']);
    await expect(fetch('http://app.test/api/claude', messagesRequest())).rejects.toThrow(TypeError);
  });
});
