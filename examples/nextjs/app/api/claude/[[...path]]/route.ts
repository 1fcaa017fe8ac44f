import { createClaudeHandler } from 'claude-overload-kit/server';
import { claudeSimulator, simulated } from '../../../../lib/simulator';

// The kit's handler, mounted at /api/claude and below (/api/claude/v1/messages, …/count_tokens), so an Anthropic
// SDK's baseURL can be the mount. Reads ANTHROPIC_API_KEY; without it, the simulator stands in for Claude.
const handler = createClaudeHandler({
  models: ['claude-sonnet-5-5'],
  maxTokensCap: 1024,
  // The rest of Claude's API is off: a visitor's browser must not create batches or upload files on the app's key.
  // A backend that uses this mount as its one door to Claude can open it: allowRoutes: ['models', 'batches', 'files'].
  // On the simulator, Claude's 529s wait in the handler's line 5 s (not the default 25 s) before the browser hears.
  ...(simulated && { fetch: claudeSimulator().fetch, holdMs: 5_000 }),
});

// Every method the handler serves: POST for messages, GET and DELETE for models, batches and files (when allowed).
// A method not exported here gets Next.js's own 405 with no body, before the handler can say what is wrong.
export const POST = (request: Request) => handler(request);
export const GET = (request: Request) => handler(request);
export const DELETE = (request: Request) => handler(request);
