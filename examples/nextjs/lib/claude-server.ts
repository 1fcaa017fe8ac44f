import { createClaudeClient } from 'claude-overload-kit/core';
import { POST } from '../app/api/claude/[[...path]]/route';

/**
 * The kit's client on the server, for server components that prefetch: it calls the route's own handler in process
 * (no HTTP hop to itself) with the kit's retries and gate. One per server, like the handler it calls.
 */
export const claudeOnServer = createClaudeClient({
  endpoint: 'http://in-process/api/claude',
  fetch: (input, init) => POST(new Request(input, init)),
  // Keep the request's place in the handler's line across its tries, as the browser's client does.
  lineTicket: true,
});
