import type { MessageRequest } from 'claude-overload-kit';

// Shared by the server component that prefetches and the client component that reads: the same request is the
// same cache entry. (A value exported from a "use client" file would reach a server component as a reference only.)
export const RELEASE_NOTES_REQUEST: MessageRequest = {
  max_tokens: 200,
  messages: [{ role: 'user', content: 'In one sentence, what does a calm retry banner do for the person waiting?' }],
};
