// @vitest-environment jsdom
// The README's recipe, with TanStack's own persister: an answer survives a reload and is served without a request.
import { createSyncStoragePersister } from '@tanstack/query-sync-storage-persister';
import { QueryClient } from '@tanstack/react-query';
import { PersistQueryClientProvider } from '@tanstack/react-query-persist-client';
import { renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeProvider } from '../../src/react/context.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { advance, answer, ask, ENDPOINT, endpoint, reply, settle, testClock, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();
afterEach(() => localStorage.clear());

const DAY = 24 * 60 * 60 * 1000;
// Typed by shape: the persister ships its own copy of query-core, whose Query class is a different type.
const isKitAnswer = (q: { queryKey: readonly unknown[]; state: { status: string } }) => q.queryKey[0] === 'claude-overload-kit' && q.state.status === 'success';

/** One page load, exactly as the recipe wires it. */
function openPage() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: DAY } } });
  const persister = createSyncStoragePersister({ storage: window.localStorage, key: 'claude-answers' });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <PersistQueryClientProvider
      client={queryClient}
      persistOptions={{ persister, maxAge: DAY, buster: 'v1', dehydrateOptions: { shouldDehydrateQuery: isKitAnswer } }}
    >
      <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={queryClient}>
        {children}
      </ClaudeProvider>
    </PersistQueryClientProvider>
  );
  const page = renderHook(
    () => {
      const { text, error } = useClaudeQuery(ask('summarise')); // read during render, as React Query tracks it
      return { text, error };
    },
    { wrapper },
  );
  return Object.assign(page, { queryClient });
}

describe('the persister recipe', () => {
  it('answers the same prompt after a reload from storage, without a request', async () => {
    const api = endpoint(() => answer('Kept across reloads.'));
    const first = openPage();
    await settle();
    expect(first.result.current.text).toBe('Kept across reloads.');
    await advance(1_000); // the persister writes at most once a second
    first.unmount();
    first.queryClient.clear();
    expect(api.count).toBe(1);

    const second = openPage();
    await settle();
    expect(second.result.current.text).toBe('Kept across reloads.');
    expect(api.count).toBe(1);
    second.unmount();
  });

  it('keeps no failure: a prompt that failed is asked again on the next visit', async () => {
    const api = endpoint((n) => (n === 1 ? reply('invalid_request') : answer('Second visit.')));
    const first = openPage();
    await settle();
    expect(first.result.current.error?.kind).toBe('invalid_request');
    await advance(1_000);
    first.unmount();
    first.queryClient.clear();

    const second = openPage();
    await settle();
    expect(second.result.current.text).toBe('Second visit.');
    expect(api.count).toBe(2);
    second.unmount();
  });
});
