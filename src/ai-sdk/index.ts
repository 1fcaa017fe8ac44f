// claude-overload-kit/ai-sdk — the kit under the Vercel AI SDK: `createClaudeFetch` for `createAnthropic({ fetch })`
// (server), `claudeWaitHeaders` to tell the browser of the wait, and `createClaudeChatTransport` for `useChat`.
// Nothing here imports `ai` or its providers at run time but the chat transport; the server half never loads it.
export { createClaudeFetch } from './claude-fetch.js';
export type { ClaudeFetch, ClaudeFetchOptions } from './claude-fetch.js';
export { CLAUDE_WAIT_PART, claudeWaitHeaders } from './wait.js';
export type { ClaudeWait, ClaudeWaitPart, ClaudeWaitWriter } from './wait.js';
export { createClaudeChatTransport } from './chat-transport.js';
export type { ClaudeChatTransportOptions } from './chat-transport.js';
