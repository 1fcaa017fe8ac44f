import { skipToken, useQuery, type UseQueryOptions, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import type { ClaudeClient } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import { queryRegistryOf } from '../core/query-registry.js';
import { messageText, type Message, type MessageRequest } from '../core/transport.js';
import { claudeQueryOptions, type ClaudeQueryKey, type ClaudeQueryOptions } from '../query/claudeQueryOptions.js';
import { useClaudeClient } from './context.js';
import { useRetryState, useRevivable, type RetryState } from './useRetryState.js';

export type ClaudeQueryResult = UseQueryResult<Message, ClaudeError> & {
  /** The answer's text, once there is one. */
  text: string | undefined;
  retry: RetryState;
};

/** The key while the request is `null`: disabled, never fetched (a request's hash is never empty). */
const WAITING_KEY: ClaudeQueryKey = ['claude-overload-kit', 'message', '', { prompt: '' }];

/**
 * The retry state of the kit query `id` (`''`: none), shared by every component that reads it; after the kit gave up,
 * "Retry now" (the hook's and the banner's) refetches.
 */
export function useClaudeQueryRetry(client: ClaudeClient, id: string, refetch: () => unknown): RetryState {
  const queries = queryRegistryOf(client);
  const subscribe = useCallback((listener: () => void) => queries.subscribe(id, listener), [queries, id]);
  const retryer = useSyncExternalStore(subscribe, () => queries.get(id), () => undefined);
  return useRevivable(useRetryState(retryer), client, refetch);
}

/**
 * Asks Claude once per distinct request and caches the answer (`staleTime: Infinity` by default): identical prompts
 * are answered from the cache, not the network. Pass `null` to wait for input. Built on `claudeQueryOptions`, so a
 * `prefetchQuery` of the same request fills the entry this hook reads. The kit's retryer owns attempts.
 */
export function useClaudeQuery(request: MessageRequest | null | undefined, options: ClaudeQueryOptions = {}): ClaudeQueryResult {
  const client = useClaudeClient();
  const { priority: _priority, fallback: _fallback, ...waiting } = options;
  const config: UseQueryOptions<Message, ClaudeError, Message, ClaudeQueryKey> = request
    ? claudeQueryOptions(client, request, options)
    : { ...waiting, queryKey: WAITING_KEY, queryFn: skipToken };
  const query = useQuery(config);
  const id = config.queryKey[2];
  const { refetch } = query;
  const retry = useClaudeQueryRetry(client, id, () => void refetch({ cancelRefetch: false }));
  return Object.assign(query, { text: query.data ? messageText(query.data) : undefined, retry });
}
