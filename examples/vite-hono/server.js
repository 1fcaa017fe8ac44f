// The app's backend: the kit's handler at /api/claude, in front of the built-in overload simulator (no API key), and
// the built app from dist/. `node server.js --dev` serves the API only; Vite serves the app and proxies /api here.
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createClaudeHandler } from 'claude-overload-kit/server';
import { createOverloadSimulator } from 'claude-overload-kit/testing';
import { Hono } from 'hono';

// A fake Claude on a bad day: 3 s after the first request it turns every call away (529 overloaded) for 10 s, then
// answers again; the busy spell comes back every minute. Press "Ask Claude" a few times to see one and its end.
const simulator = createOverloadSimulator({
  mode: 'episodes',
  busyAfterMs: 3_000,
  busyMs: 10_000,
  busyEveryMs: 60_000,
  latencyMs: 300,
});

// The simulator needs no key. With a real one, drop `fetch`: the handler then calls Anthropic with ANTHROPIC_API_KEY.
const claude = createClaudeHandler({ fetch: simulator.fetch, defaultModel: 'claude-sonnet-5-5', maxTokensCap: 1024 });

const app = new Hono();
app.post('/api/claude', (c) => claude(c.req.raw));
if (!process.argv.includes('--dev')) {
  app.use('/*', serveStatic({ root: './dist' }));
}

const port = Number(process.env.PORT ?? 8787);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
