// The app's backend: the AI SDK's streamText at /api/chat, its calls to Claude going through the kit's line in
// process (createClaudeFetch), the same handler at /api/claude for the kit's own hooks, and the built app from dist/.
// Claude here is the kit's overload simulator (no API key). `node chat-server.js --dev` serves the API only.
import { createAnthropic } from '@ai-sdk/anthropic';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { convertToModelMessages, createUIMessageStream, createUIMessageStreamResponse, streamText } from 'ai';
import { claudeWaitHeaders, createClaudeFetch } from 'claude-overload-kit/ai-sdk';
import { createOverloadSimulator } from 'claude-overload-kit/testing';
import { Hono } from 'hono';

const MODEL = 'claude-sonnet-4-5';

// OUTAGE_MS=4000: Claude refuses every call (529 overloaded_error) for that long from the first call, then answers.
const outageMs = Number(process.env.OUTAGE_MS ?? 0);
const simulator = createOverloadSimulator({ latencyMs: 150, serviceTimeMs: 1_200, mode: outageMs > 0 ? 'outage' : 'normal' });
let outageStarted = false;
const claude = (input, init) => {
  if (outageMs > 0 && !outageStarted) {
    outageStarted = true;
    setTimeout(() => simulator.setMode('normal'), outageMs);
  }
  return simulator.fetch(input, init);
};

// With a real key, drop `fetch`: the kit then calls Anthropic with ANTHROPIC_API_KEY.
const claudeFetch = createClaudeFetch({ fetch: claude, models: [MODEL], maxTokensCap: 1024 });
const anthropic = createAnthropic({ apiKey: 'held-by-the-kit', fetch: claudeFetch });

const app = new Hono();
app.post('/api/chat', async (c) => {
  const { messages } = await c.req.json();
  const stream = createUIMessageStream({
    execute: async ({ writer }) => {
      const result = streamText({
        model: anthropic(MODEL),
        messages: await convertToModelMessages(messages),
        // The AI SDK asks for the model's most (64 000 for Sonnet 4.5) unless told; above maxTokensCap the kit says 400.
        maxOutputTokens: 1024,
        maxRetries: 0,
        headers: claudeWaitHeaders(writer),
        abortSignal: c.req.raw.signal,
      });
      writer.merge(result.toUIMessageStream());
    },
  });
  return createUIMessageStreamResponse({ stream });
});
app.post('/api/claude', (c) => claudeFetch.handler(c.req.raw));
if (!process.argv.includes('--dev')) {
  app.use('/*', serveStatic({ root: './dist' }));
}

const port = Number(process.env.PORT ?? 8787);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
