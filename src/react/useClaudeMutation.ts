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
  Pick<RunOptions, 'priority' | 'fallback'> & {
    /**
     * What a new `mutate()` does to the calls still under way. `'parallel'`: they go on side by side, each with its
     * own retries, as TanStack's mutations do (three clicks, three requests). `'latest'`: the latest call wins and the
     * one under way is cancelled (a search box, a "regenerate" button, a mutate from an effect under StrictMode).
     * Defaults to `'parallel'`.
     */
    concurrency?: 'parallel' | 'latest';
  };

export type ClaudeMutationResult<TContext = unknown> = UseMutationResult<Message, ClaudeError, MessageRequest, TContext> & {
  /** Where the latest call stands (every call shows in the demand summary, so in the banner). */
  retry: RetryState;
};

/**
 * Sends a Messages request with the kit's retries (React Query retries mutations zero times; the kit's retryer owns
 * the attempts). Calls run side by side unless `concurrency: 'latest'`; `retry`, like `data` and `status`, follows the
 * latest call. Unmounting cancels every call still under way.
 */
export function useClaudeMutation<TContext = unknown>(
  { priority, fallback, concurrency = 'parallel', ...options }: ClaudeMutationOptions<TContext> = {},
): ClaudeMutationResult<TContext> {
  const client = useClaudeClient();
  const [retryer, setRetryer] = useState<Retryer<Message>>();
  const running = useRef(new Set<Retryer<Message>>());
  const mutation = useMutation<Message, ClaudeError, MessageRequest, TContext>({
    // The kit's retryer pauses while offline and says so (phase `paused`); React Query pausing first would hide it.
    networkMode: 'always',
    ...options,
    retry: false,
    mutationFn: (request) => {
      if (concurrency === 'latest') for (const previous of running.current) previous.cancel();
      const next = client.send(request, { priority, fallback });
      running.current.add(next);
      setRetryer(next);
      return next.promise.finally(() => running.current.delete(next));
    },
  });
  useEffect(() => {
    const calls = running.current;
    return () => {
      for (const call of calls) call.cancel();
    };
  }, []);
  const { mutate, variables } = mutation;
  const retry = useRevivable(useRetryState(retryer), client, () => {
    if (variables !== undefined) mutate(variables);
  });
  return { ...mutation, retry };
}
