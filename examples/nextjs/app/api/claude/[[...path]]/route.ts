import { createClaudeHandler } from 'claude-overload-kit/server';
import { claudeSimulator, simulated } from '../../../../lib/simulator';

// The kit's handler, mounted at /api/claude and below (/api/claude/v1/messages, …/count_tokens), so an Anthropic
// SDK's baseURL can be the mount. Reads ANTHROPIC_API_KEY; without it, the simulator stands in for Claude.
const handler = createClaudeHandler({
  models: ['claude-sonnet-5-5'],
  maxTokensCap: 1024,
  ...(simulated && { fetch: claudeSimulator().fetch }),
});

export const POST = (request: Request) => handler(request);
