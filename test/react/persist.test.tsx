// @vitest-environment jsdom
// The recipe of docs/persist.md, with what React Query itself ships (dehydrate/hydrate) and localStorage. The
// documented PersistQueryClientProvider recipe stores the same dehydrated state, so this checks its premise: a kit
// answer survives a reload under the same key and is served without a request.
import { dehydrate, hydrate, QueryClient, type Query } from '@tanstack/react-query';
import { afterEach, describe, expect, it } from 'vitest';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { answer, ask, endpoint, renderKit, reply, settle, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();
const openPages = new Set<{ close(): void }>();
afterEach(() => {
  for (const page of openPages) page.close();
  localStorage.clear();
});

const STORAGE_KEY = 'claude-answers';
const DAY = 24 * 60 * 60 * 1000;

/** Only the kit's successful answers: never errors, never the app's other queries. */
const isKitAnswer = (query: Query) => query.queryKey[0] === 'claude-overload-kit' && query.state.status === 'success';

function persistAnswers(queryClient: QueryClient): () => void {
  const save = () => localStorage.setItem(STORAGE_KEY, JSON.stringify(dehydrate(queryClient, { shouldDehydrateQuery: isKitAnswer })));
  return queryClient.getQueryCache().subscribe(save);
}

function restoreAnswers(queryClient: QueryClient): void {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved) hydrate(queryClient, JSON.parse(saved));
}

/** A page load: a new QueryClient restored from storage, saving as answers arrive, rendering `hook`. */
function openPage<T>(hook: () => T) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: DAY } } });
  restoreAnswers(queryClient);
  const stopSaving = persistAnswers(queryClient);
  const page = renderKit(hook, { queryClient });
  const opened = Object.assign(page, {
    /** The tab goes away: nothing of this page may write to storage any more. */
    close() {
      if (!openPages.delete(opened)) return;
      stopSaving();
      page.unmount();
      queryClient.clear();
    },
  });
  openPages.add(opened);
  return opened;
}

describe('keeping answers across reloads', () => {
  it('answers the same prompt after a reload from storage, without a request', async () => {
    const api = endpoint(() => answer('Kept.'));
    const first = openPage(() => useClaudeQuery(ask('summarise')).text);
    await settle();
    expect(first.result.current).toBe('Kept.');
    first.close();

    const second = openPage(() => useClaudeQuery(ask('summarise')).text);
    expect(second.result.current).toBe('Kept.');
    await settle();
    expect(api.count).toBe(1);
  });

  it('asks the network for a prompt it has not kept', async () => {
    const api = endpoint((n) => answer(`Answer ${n}.`));
    const first = openPage(() => useClaudeQuery(ask('one')).text);
    await settle();
    first.close();
    const second = openPage(() => useClaudeQuery(ask('two')).text);
    await settle();
    expect(second.result.current).toBe('Answer 2.');
    expect(api.count).toBe(2);
  });

  it('never keeps a failure: after a reload the request is asked again', async () => {
    const api = endpoint((n) => (n === 1 ? reply('invalid_request') : answer('Fixed.')));
    const first = openPage(() => useClaudeQuery(ask('x')).status);
    await settle();
    expect(first.result.current).toBe('error');
    first.close();
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{"queries":[]}').queries).toEqual([]);

    const second = openPage(() => useClaudeQuery(ask('x')).text);
    await settle();
    expect(second.result.current).toBe('Fixed.');
    expect(api.count).toBe(2);
  });
});
