// An Express 5 app with the kit's handler at /api/claude (and /api/claude/v1/messages, for an Anthropic SDK whose
// baseURL is the mount). Without ANTHROPIC_API_KEY the handler talks to the kit's overload simulator.
import { getRequestListener } from '@hono/node-server';
import { createClaudeHandler } from 'claude-overload-kit/server';
import { createOverloadSimulator } from 'claude-overload-kit/testing';
import express from 'express';

const claude = createClaudeHandler({
  models: ['claude-sonnet-5-5'],
  maxTokensCap: 1024,
  ...(!process.env.ANTHROPIC_API_KEY && { fetch: createOverloadSimulator().fetch }),
});

const app = express();
// The handler reads the request body itself, so it goes before express.json(): a body parser mounted first would
// read the body, and the handler would answer 500 not_configured (its log names the parser).
app.use('/api/claude', getRequestListener(claude));
app.use(express.json());

// The app's own routes, with the body parser as usual.
app.post('/api/notes', (req, res) => {
  res.status(201).json({ saved: req.body });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
