import { useMutation, type UseMutationOptions, type UseMutationResult } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { RunOptions } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import type { Retryer } from '../core/retryer.js';
import type { Message, MessageRequest } from '../core/transport.js';
import { useClaudeClient } from './context.js';
import { useRetryState, useRevivable, type RetryState } from './useRetryState.js';

export type ClaudeMutationOptions<TContext = unknown> = Omit<
  UseMutationOptions<Message, ClaudeError, MessageRequest, TContext>,
  'mutationFn' | 'retry' | 'retryDelay'
> &
  /** `priority` (defaults to `'interactive'`) and a fallback chain over the provider's (`false` for none). */
  Pick<RunOptions, 'priority' | 'fallback'>;

export type ClaudeMutationResult<TContext = unknown> = UseMutationResult<Message, ClaudeError, MessageRequest, TContext> & {
  retry: RetryState;
};

/**
 * Sends a Messages request with the kit's retries (React Query retries mutations zero times; the kit's retryer owns
 * the attempts). `retry` tells where the current request stands; unmounting cancels it. The latest call wins: a new
 * `mutate()` cancels the one still under way, so a double click or StrictMode's doubled effect never sends twice (for
 * requests in parallel, use a hook each, or `useClaudeClient().send`).
 */
export function useClaudeMutation<TContext = unknown>(
  { priority, fallback, ...options }: ClaudeMutationOptions<TContext> = {},
): ClaudeMutationResult<TContext> {
  const client = useClaudeClient();
  const [retryer, setRetryer] = useState<Retryer<Message>>();
  const current = useRef<Retryer<Message>>(undefined);
  const mutation = useMutation<Message, ClaudeError, MessageRequest, TContext>({
    // The kit's retryer pauses while offline and says so (phase `paused`); React Query pausing first would hide it.
    networkMode: 'always',
    ...options,
    retry: false,
    mutationFn: (request) => {
      current.current?.cancel();
      const next = client.send(request, { priority, fallback });
      current.current = next;
      setRetryer(next);
      return next.promise;
    },
  });
  useEffect(() => () => current.current?.cancel(), []);
  const { mutate, variables } = mutation;
  const retry = useRevivable(useRetryState(retryer), client, () => {
    if (variables !== undefined) mutate(variables);
  });
  return { ...mutation, retry };
}
