// A Cloudflare-style worker that mounts the handler at /api/claude in front of a fake Claude living in the same
// worker (bundled by workers.test.ts and run in workerd through miniflare). The fake echoes the key in its stream
// and in request-id, so the test can see redaction work inside a workers runtime.
import { createClaudeHandler } from '../../src/server/handler.js';
import { createStatusHandler } from '../../src/server/status-handler.js';
import { createMemoryStore } from '../../src/server/store/memory.js';

interface Env {
  ANTHROPIC_API_KEY?: string;
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

function fakeClaude(key: string) {
  let calls = 0;
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls += 1;
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const headers = { 'request-id': `req_worker_${request.headers.get('anthropic-beta') ?? 'nobeta'}` };
    if (request.headers.get('x-api-key') !== key) {
      return Response.json({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } }, { status: 401, headers });
    }
    if (path === '/v1/messages/count_tokens') return Response.json({ input_tokens: 7 }, { headers });
    const body = (await request.json()) as { stream?: boolean };
    const message = { id: 'msg_worker', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Hi from the worker' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4 } };
    if (!body.stream) return Response.json(message, { headers: { ...headers, 'content-type': 'application/json' } });
    // The key split across two chunks, as a hostile upstream could.
    const chunks = [
      event('message_start', { type: 'message_start', message: { ...message, content: [] } }) + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) + `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"echo ${key.slice(0, 10)}`,
      `${key.slice(10)}"}}\n\n` + event('content_block_stop', { type: 'content_block_stop', index: 0 }) + event('message_stop', { type: 'message_stop' }),
    ];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    return new Response(stream, { headers: { ...headers, 'content-type': 'text/event-stream', 'request-id': `req_${key}` } });
  };
  return { fetch, calls: () => calls };
}

let state: { handler: ReturnType<typeof createClaudeHandler>; fake: ReturnType<typeof fakeClaude> } | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (!state) {
      const fake = fakeClaude(env.ANTHROPIC_API_KEY ?? 'the-key-this-worker-lacks');
      const handler = createClaudeHandler({ apiKey: env.ANTHROPIC_API_KEY, fetch: fake.fetch, store: createMemoryStore({ cache: { ttlMs: 60_000 } }), logger: { warn: () => {} } });
      state = { handler, fake };
    }
    if (url.pathname === '/calls') return Response.json({ calls: state.fake.calls() });
    if (url.pathname === '/status') {
      const status = createStatusHandler({ fetch: async () => new Response('x'.repeat(2_000_000)), maxBytes: 100_000 });
      return status(request);
    }
    return state.handler(request);
  },
};
