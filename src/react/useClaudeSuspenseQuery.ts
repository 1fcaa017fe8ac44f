import { useSuspenseQuery, type UseSuspenseQueryResult } from '@tanstack/react-query';
import type { ClaudeError } from '../core/failure.js';
import { messageText, type Message, type MessageRequest } from '../core/transport.js';
import { claudeQueryOptions, type ClaudeQueryOptions } from '../query/claudeQueryOptions.js';
import { useClaudeClient } from './context.js';
import { useClaudeQueryRetry } from './useClaudeQuery.js';
import type { RetryState } from './useRetryState.js';

/** `useClaudeQuery`'s options less those Suspense decides (`enabled`, `throwOnError`, `placeholderData`). */
export type ClaudeSuspenseQueryOptions = Omit<ClaudeQueryOptions, 'enabled' | 'throwOnError' | 'placeholderData'>;

export type ClaudeSuspenseQueryResult = UseSuspenseQueryResult<Message, ClaudeError> & {
  /** The answer's text. */
  text: string;
  retry: RetryState;
};

/**
 * `useClaudeQuery` for a Suspense boundary: the component suspends until Claude answers (the banner and the toaster
 * tell the episode meanwhile, from the demand summary), and a failure the kit gave up on is thrown to the nearest
 * error boundary as a `ClaudeError`. Same cache entry as `useClaudeQuery` and `claudeQueryOptions`.
 */
export function useClaudeSuspenseQuery(request: MessageRequest, options: ClaudeSuspenseQueryOptions = {}): ClaudeSuspenseQueryResult {
  const client = useClaudeClient();
  const config = claudeQueryOptions(client, request, options);
  const query = useSuspenseQuery(config);
  const { refetch } = query;
  const retry = useClaudeQueryRetry(client, config.queryKey[2], () => void refetch({ cancelRefetch: false }));
  return Object.assign(query, { text: messageText(query.data), retry });
}
