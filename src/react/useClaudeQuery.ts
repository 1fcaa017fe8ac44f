import { useQuery, type UseQueryOptions, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { RunOptions } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import { hashRequest } from '../core/hash.js';
import { queryRegistryOf } from '../core/query-registry.js';
import { messageText, type Message, type MessageRequest } from '../core/transport.js';
import { useClaudeClient } from './context.js';
import { useRetryState, useRevivable, type RetryState } from './useRetryState.js';

export type ClaudeQueryOptions = Omit<UseQueryOptions<Message, ClaudeError>, 'queryKey' | 'queryFn' | 'retry' | 'retryDelay'> &
  /** `priority` (defaults to `'interactive'`; a prefetch is a good `'background'`) and a fallback chain over the provider's. */
  Pick<RunOptions, 'priority' | 'fallback'>;

export type ClaudeQueryResult = UseQueryResult<Message, ClaudeError> & {
  /** The answer's text, once there is one. */
  text: string | undefined;
  retry: RetryState;
};

/** The query key of a Messages request: equal requests (whatever their key order) share one cache entry. */
export function claudeQueryKey(request: MessageRequest) {
  return ['claude-overload-kit', 'message', hashRequest(request)] as const;
}

/**
 * Asks Claude once per distinct request and caches the answer (`staleTime: Infinity` by default): identical prompts
 * are answered from the cache, not the network. Pass `null` to wait for input. The kit's retryer owns attempts.
 */
export function useClaudeQuery(
  request: MessageRequest | null | undefined,
  { priority, fallback, ...options }: ClaudeQueryOptions = {},
): ClaudeQueryResult {
  const client = useClaudeClient();
  const key = useMemo(() => (request ? claudeQueryKey(request) : (['claude-overload-kit', 'message', null] as const)), [request]);
  const id = key[2] ?? '';
  const queries = queryRegistryOf(client);
  const subscribe = useCallback((listener: () => void) => queries.subscribe(id, listener), [queries, id]);
  const query = useQuery<Message, ClaudeError>({
    staleTime: Infinity,
    // The kit's retryer pauses while offline and says so (phase `paused`); React Query pausing first would hide it.
    networkMode: 'always',
    ...options,
    enabled: Boolean(request) && options.enabled !== false,
    queryKey: key,
    retry: false,
    queryFn: ({ signal }) => queries.run(id, () => client.send(request!, { signal, priority, fallback })),
  });
  const retryer = useSyncExternalStore(subscribe, () => queries.get(id), () => undefined);
  const { refetch } = query;
  const retry = useRevivable(useRetryState(retryer), client, () => void refetch({ cancelRefetch: false }));
  return Object.assign(query, { text: query.data ? messageText(query.data) : undefined, retry });
}
