import { useQuery, type UseQueryOptions, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { ClaudeClient } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import { hashRequest } from '../core/hash.js';
import type { Retryer } from '../core/retryer.js';
import { messageText, type Message, type MessageRequest } from '../core/transport.js';
import { useClaudeClient } from './context.js';
import { useRetryState, useRevivable, type RetryState } from './useRetryState.js';

export type ClaudeQueryOptions = Omit<UseQueryOptions<Message, ClaudeError>, 'queryKey' | 'queryFn' | 'retry' | 'retryDelay'>;

export type ClaudeQueryResult = UseQueryResult<Message, ClaudeError> & {
  /** The answer's text, once there is one. */
  text: string | undefined;
  retry: RetryState;
};

/** The query key of a Messages request: equal requests (whatever their key order) share one cache entry. */
export function claudeQueryKey(request: MessageRequest) {
  return ['claude-overload-kit', 'message', hashRequest(request)] as const;
}

// The retryer of each query in flight, per client and query hash, so every component reading a query sees its state.
interface Registry {
  retryers: Map<string, Retryer<Message>>;
  listeners: Set<() => void>;
}
const registries = new WeakMap<ClaudeClient, Registry>();
function registryOf(client: ClaudeClient): Registry {
  let registry = registries.get(client);
  if (!registry) registries.set(client, (registry = { retryers: new Map(), listeners: new Set() }));
  return registry;
}
function setInFlight(registry: Registry, id: string, retryer: Retryer<Message> | undefined) {
  if (retryer) registry.retryers.set(id, retryer);
  else registry.retryers.delete(id);
  for (const listener of [...registry.listeners]) listener();
}

/**
 * Asks Claude once per distinct request and caches the answer (`staleTime: Infinity` by default): identical prompts
 * are answered from the cache, not the network. Pass `null` to wait for input. The kit's retryer owns attempts.
 */
export function useClaudeQuery(request: MessageRequest | null | undefined, options: ClaudeQueryOptions = {}): ClaudeQueryResult {
  const client = useClaudeClient();
  const key = useMemo(() => (request ? claudeQueryKey(request) : (['claude-overload-kit', 'message', null] as const)), [request]);
  const id = key[2] ?? '';
  const registry = registryOf(client);
  const subscribe = useCallback(
    (listener: () => void) => {
      registry.listeners.add(listener);
      return () => registry.listeners.delete(listener);
    },
    [registry],
  );
  const query = useQuery<Message, ClaudeError>({
    staleTime: Infinity,
    // The kit's retryer pauses while offline and says so (phase `paused`); React Query pausing first would hide it.
    networkMode: 'always',
    ...options,
    enabled: Boolean(request) && options.enabled !== false,
    queryKey: key,
    retry: false,
    queryFn: async ({ signal }) => {
      const retryer = client.send(request!, { signal });
      setInFlight(registry, id, retryer);
      const answer = await retryer.promise;
      // A failed retryer stays, so `retry` says `failed` (and can revive) until the next fetch replaces it.
      if (registry.retryers.get(id) === retryer) setInFlight(registry, id, undefined);
      return answer;
    },
  });
  const retryer = useSyncExternalStore(subscribe, () => registry.retryers.get(id), () => undefined);
  const { refetch } = query;
  const retry = useRevivable(useRetryState(retryer), client, () => void refetch({ cancelRefetch: false }));
  return Object.assign(query, { text: query.data ? messageText(query.data) : undefined, retry });
}
