import { createClaudeHandler } from 'claude-overload-kit/server';
import { claudeSimulator, simulated } from '../../../../lib/simulator';

// The kit's handler, mounted at /api/claude and below (/api/claude/v1/messages, …/count_tokens), so an Anthropic
// SDK's baseURL can be the mount. Reads ANTHROPIC_API_KEY; without it, the simulator stands in for Claude.
const handler = createClaudeHandler({
  models: ['claude-sonnet-5-5'],
  maxTokensCap: 1024,
  // On the simulator, Claude's 529s wait in the handler's line 5 s (not the default 25 s) before the browser hears.
  ...(simulated && { fetch: claudeSimulator().fetch, holdMs: 5_000 }),
});

export const POST = (request: Request) => handler(request);
