// The kit's browser client tells the handler's line which lane a request belongs in: `priority: 'background'` on
// the client sends `x-claude-kit-priority: background`, and the handler's line puts it behind interactive requests.
import { describe, expect, it } from 'vitest';
import { createClaudeClient } from '../../src/core/index.js';
import { createClaudeHandler } from '../../src/server/index.js';
import { anthropic } from '../testing/helpers.js';
import { API_KEY, recordingUpstream } from './helpers.js';

const REQUEST = { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hi' }] };

function clientThroughHandler() {
  const upstream = recordingUpstream(() => Response.json(anthropic.success.body, { headers: anthropic.success.headers }));
  const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch });
  const seen: Headers[] = [];
  const client = createClaudeClient({
    endpoint: '/api/claude',
    gate: false,
    fetch: async (input, init) => {
      const request = new Request(new URL(String(input), 'http://app.test'), init);
      seen.push(request.headers);
      return handler(request);
    },
  });
  return { client, seen };
}

describe("the client's priority reaches the handler's line", () => {
  it('sends x-claude-kit-priority: background for a background request, and nothing for interactive ones', async () => {
    const { client, seen } = clientThroughHandler();
    await client.send(REQUEST, { priority: 'background' }).promise;
    await client.send(REQUEST).promise;
    await client.send(REQUEST, { priority: 'interactive' }).promise;
    expect(seen.map((h) => h.get('x-claude-kit-priority'))).toEqual(['background', null, null]);
  });
});
