import { QueryClient, QueryClientProvider, onlineManager } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { createClaudeClient, type ClaudeClient, type ClaudeClientOptions } from '../core/client.js';
import type { OnlineSource } from '../core/clock.js';
import { messagesWith } from '../core/features.js';
import { defaultMessages, type ClaudeMessages } from '../core/messages.js';

export interface ClaudeProviderProps extends ClaudeClientOptions {
  /** Copy overrides, key by key, merged over the English defaults and the features' words. */
  messages?: Partial<ClaudeMessages>;
  /** An existing QueryClient. Defaults to one of the provider's own. */
  queryClient?: QueryClient;
  /** A client made with `createClaudeClient`, to share one across roots or drive it from outside React. */
  client?: ClaudeClient;
  children?: ReactNode;
}

interface KitContextValue {
  client: ClaudeClient;
  messages: ClaudeMessages;
}

const KitContext = createContext<KitContextValue | null>(null);

/** React Query's view of the network, so the kit pauses exactly when React Query does. */
export const reactQueryOnline: OnlineSource = {
  isOnline: () => onlineManager.isOnline(),
  subscribe: (listener) => onlineManager.subscribe(listener),
};

/**
 * Holds the app's one Claude client (policy, gate, demand summary) and, unless given one, a QueryClient. Options
 * are read when it mounts, like QueryClient's: give it a new `key` to start over with others.
 */
export function ClaudeProvider({ messages, queryClient, client: given, children, ...options }: ClaudeProviderProps) {
  const [client] = useState(() => given ?? createClaudeClient({ online: reactQueryOnline, ...options }));
  const [ownQueryClient] = useState(() => queryClient ?? new QueryClient());
  const value = useMemo(() => ({ client, messages: messagesWith(defaultMessages, client.features, messages) }), [client, messages]);

  // Unmounting cancels every request and timer; a client passed in belongs to its owner.
  useEffect(() => (given ? undefined : () => client.dispose()), [client, given]);

  return (
    <QueryClientProvider client={queryClient ?? ownQueryClient}>
      <KitContext.Provider value={value}>{children}</KitContext.Provider>
    </QueryClientProvider>
  );
}

function useKit(hook: string): KitContextValue {
  const value = useContext(KitContext);
  if (!value) throw new Error(`${hook} must be used inside <ClaudeProvider>.`);
  return value;
}

/** The provider's client: its gate, demand store and policy. */
export function useClaudeClient(): ClaudeClient {
  return useKit('useClaudeClient').client;
}

/** The copy in force: the provider's overrides over the English defaults. Works outside a provider too. */
export function useClaudeMessages(): ClaudeMessages {
  return useContext(KitContext)?.messages ?? defaultMessages;
}
