// The colour tests' server, copied into the example app beside its server.js: the same handler and static files, on
// a simulator that plays SIMULATOR_SCRIPT in order, and with no hold (every 529 reaches the browser at once), so each
// case shows the banner on the first click and ends on a known press of "Retry now". The quick start's own server.js
// runs as written in quick-start.test.ts.
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createClaudeHandler } from 'claude-overload-kit/server';
import { createOverloadSimulator } from 'claude-overload-kit/testing';
import { Hono } from 'hono';

const script = (process.env.SIMULATOR_SCRIPT ?? '').split(',').filter(Boolean);
const simulator = createOverloadSimulator({ script, latencyMs: 150 });
const claude = createClaudeHandler({ fetch: simulator.fetch, defaultModel: 'claude-sonnet-5-5', maxTokensCap: 1024, holdMs: 0 });

const app = new Hono();
app.post('/api/claude', (c) => claude(c.req.raw));
app.use('/*', serveStatic({ root: './dist' }));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
