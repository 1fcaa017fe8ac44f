import type { QueryKeyWithDataTag, UnusedSkipTokenOptions, UseQueryOptions } from '@tanstack/react-query';
import type { ClaudeClient, RunOptions } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import { hashRequest } from '../core/hash.js';
import { queryRegistryOf } from '../core/query-registry.js';
import { offerRevive } from '../core/revive.js';
import { messageText, type Message, type MessageRequest } from '../core/transport.js';

/** What a person reads of a kit query in React Query Devtools: the model and the start of the last prompt. */
export interface ClaudeQueryLabel {
  model?: string;
  prompt: string;
}

/** `['claude-overload-kit', 'message', hash of the whole request, label for Devtools]`. */
export type ClaudeQueryKey = readonly ['claude-overload-kit', 'message', string, ClaudeQueryLabel];

/**
 * Options of a kit query: React Query's (`select`, `enabled`, `gcTime`, `staleTime`, `meta`, …) without the ones the
 * kit owns (`queryKey`, `queryFn`, and `retry`/`retryDelay`: the kit's retryer owns the attempts), plus the request's
 * `priority` (defaults to `'interactive'`; a prefetch is a good `'background'`) and a fallback chain over the client's.
 */
export type ClaudeQueryOptions<TData = Message> = Omit<
  UseQueryOptions<Message, ClaudeError, TData, ClaudeQueryKey>,
  'queryKey' | 'queryFn' | 'retry' | 'retryDelay'
> &
  Pick<RunOptions, 'priority' | 'fallback'>;

/** What `claudeQueryOptions` returns: everything `useQuery`, `useSuspenseQuery`, `useQueries` and `prefetchQuery` take. */
export type ClaudeQueryConfig<TData = Message> = UnusedSkipTokenOptions<Message, ClaudeError, TData, ClaudeQueryKey> &
  QueryKeyWithDataTag<ClaudeQueryKey, Message, ClaudeError>;

/** Each request object's key: a render that passes the same request does not hash it again. */
const keys = new WeakMap<MessageRequest, ClaudeQueryKey>();

/** Per client, the withdrawal of each given-up query's "Retry now" offer, by query id. */
const offers = new WeakMap<ClaudeClient, Map<string, () => void>>();

function offersOf(client: ClaudeClient): Map<string, () => void> {
  let byId = offers.get(client);
  if (!byId) offers.set(client, (byId = new Map()));
  return byId;
}

/** How much of the prompt the key shows: enough to tell queries apart in Devtools, short enough to read. */
const LABEL_CHARS = 48;

function label(request: MessageRequest): ClaudeQueryLabel {
  const last = request.messages[request.messages.length - 1];
  const content = last?.content;
  const text = (typeof content === 'string' ? content : Array.isArray(content) ? messageText({ content: content as Message['content'] }) : '')
    .replace(/\s+/g, ' ')
    .trim();
  const prompt = text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
  return request.model === undefined ? { prompt } : { model: request.model, prompt };
}

function checkRequest(request: unknown, caller: string): asserts request is MessageRequest {
  const messages = (request as MessageRequest | null | undefined)?.messages;
  if (typeof request !== 'object' || request === null || !Array.isArray(messages)) {
    throw new TypeError(`${caller}: the request must be a Messages request, an object with a \`messages\` array.`);
  }
}

/**
 * The query key of a Messages request: equal requests (whatever their key order) share one cache entry. The hash
 * covers the whole request; the label after it is only for reading (Devtools, a persisted cache). Treat a request as
 * immutable, as React state: its key is worked out once per request object.
 */
export function claudeQueryKey(request: MessageRequest): ClaudeQueryKey {
  checkRequest(request, 'claudeQueryKey(request)');
  let key = keys.get(request);
  if (!key) keys.set(request, (key = ['claude-overload-kit', 'message', hashRequest(request), label(request)]));
  return key;
}

/**
 * A Messages request as TanStack Query options: the same object goes to `useQuery`, `useSuspenseQuery`,
 * `useQueries`, `queryClient.prefetchQuery` and `ensureQueryData`, on the server as in the browser. Its `queryFn`
 * asks through `client` (`createClaudeClient()`, or `useClaudeClient()` in a component): the kit's retries, gate,
 * lanes and fallback, with the retry state the banner and `useClaudeQuery` read. An answer never goes stale
 * (`staleTime: Infinity`: the same prompt is not asked twice); the kit's retryer, not React Query, pauses while
 * offline (`networkMode: 'always'`); `meta.claude` names the model for Devtools.
 */
export function claudeQueryOptions<TData = Message>(
  client: ClaudeClient,
  request: MessageRequest,
  { priority, fallback, meta, ...options }: ClaudeQueryOptions<TData> = {},
): ClaudeQueryConfig<TData> {
  if (typeof client?.send !== 'function') {
    throw new TypeError('claudeQueryOptions(client, request): client must be a ClaudeClient, from createClaudeClient() or useClaudeClient().');
  }
  checkRequest(request, 'claudeQueryOptions(client, request)');
  const queryKey = claudeQueryKey(request);
  const id = queryKey[2];
  const config: UnusedSkipTokenOptions<Message, ClaudeError, TData, ClaudeQueryKey> = {
    staleTime: Infinity,
    // The kit's retryer pauses while offline and says so (phase `paused`); React Query pausing first would hide it.
    networkMode: 'always',
    ...options,
    meta: { claude: { model: request.model, priority: priority ?? 'interactive' }, ...meta },
    queryKey,
    retry: false,
    async queryFn({ signal, client: queryClient }) {
      const byId = offersOf(client);
      byId.get(id)?.();
      byId.delete(id);
      try {
        return await queryRegistryOf(client).run(id, () => client.send(request, { signal, priority, fallback }));
      } catch (error) {
        // Given up on while waiting might cure it: the banner's "Retry now" asks again for whoever still reads the
        // query (useQuery, useQueries; a hook's own offer joins the same fetch). The retryer rejects with a
        // ClaudeError; anything else has no `retryable` and is offered nothing. (Early 5.x releases give no
        // `client` in the context: there the hooks' own offers remain.)
        byId.set(id, offerRevive(client.demand, { phase: 'failed', failure: error as ClaudeError }, () => {
          void queryClient?.refetchQueries({ queryKey, exact: true, type: 'active' }, { cancelRefetch: false });
        }));
        throw error;
      }
    },
  };
  // What TanStack's queryOptions() does, without importing it: the same object, its key tagged with the data type.
  // So this entry imports nothing of React Query at run time, and its build needs no "use client".
  return config as ClaudeQueryConfig<TData>;
}
