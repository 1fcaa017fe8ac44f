// @vitest-environment jsdom
// The server recipe of docs/queries.md: a client on the server that calls the kit's handler in process, a prefetch
// with claudeQueryOptions, the cache handed over with dehydrate/HydrationBoundary. The first HTML holds the answer,
// and the browser, hydrating it, does not ask Claude again.
import { dehydrate, HydrationBoundary, QueryClient, type DehydratedState } from '@tanstack/react-query';
import { act } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { claudeQueryOptions } from '../../src/query/index.js';
import { ClaudeProvider } from '../../src/react/context.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { createClaudeHandler } from '../../src/server/index.js';
import { createOverloadSimulator, type SimulatorOutcome } from '../../src/testing/index.js';
import { answer, endpoint, ENDPOINT, settle, testClock, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();

const REQUEST = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Summarise the release notes' }] };

/** The server's side: the handler the app mounts, and a client that calls it in process (no HTTP hop). */
function serverSide(script: readonly SimulatorOutcome[] = []) {
  const simulator = createOverloadSimulator({ script, serviceTimeMs: 0 });
  const handler = createClaudeHandler({ fetch: simulator.fetch, baseURL: 'http://claude.test', apiKey: 'sk-test' });
  const claude = createClaudeClient({
    endpoint: 'http://in-process/api/claude',
    fetch: (input, init) => handler(new Request(input, init)),
    clock: testClock,
  });
  return { simulator, claude };
}

/** What a server component does: prefetch, then hand the cache over (serialised, as it crosses to the browser). */
async function prefetchOnServer(claude: ReturnType<typeof createClaudeClient>): Promise<DehydratedState> {
  const queryClient = new QueryClient();
  const done = queryClient.prefetchQuery(claudeQueryOptions(claude, REQUEST));
  await settle();
  await done;
  return JSON.parse(JSON.stringify(dehydrate(queryClient))) as DehydratedState;
}

function Summary() {
  const { text, retry } = useClaudeQuery(REQUEST);
  return <p data-testid="summary">{text ?? (retry.phase === 'waiting' ? 'Claude is busy…' : 'Summarising…')}</p>;
}

const page = (state: DehydratedState, queryClient: QueryClient) => (
  <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={queryClient}>
    <HydrationBoundary state={state}>
      <Summary />
    </HydrationBoundary>
  </ClaudeProvider>
);

describe('prefetching on the server', () => {
  it('puts the answer in the first HTML, and the browser hydrates it without asking again', async () => {
    const { simulator, claude } = serverSide();
    const state = await prefetchOnServer(claude);
    expect(simulator.stats().requests).toBe(1);

    const html = renderToString(page(state, new QueryClient()));

    const browser = endpoint(() => answer('asked again'));
    const container = document.createElement('div');
    container.innerHTML = html;
    const firstPaint = container.textContent;
    expect(firstPaint).toMatch(/^You said: "Summarise the release notes"/); // the simulator's answer echoes the prompt
    document.body.append(container);
    const root = await act(async () => hydrateRoot(container, page(state, new QueryClient())));
    await settle();
    expect(container.textContent).toBe(firstPaint);
    expect(browser.count).toBe(0);
    act(() => root.unmount());
    container.remove();
    claude.dispose();
  });

  it('leaves the query to the browser when the prefetch failed: no error in the HTML, one request from the page', async () => {
    const { claude } = serverSide(['400']);
    const state = await prefetchOnServer(claude);
    // A failure is not handed over (TanStack dehydrates successes only), so the page asks for itself.
    expect(state.queries).toHaveLength(0);
    const html = renderToString(page(state, new QueryClient()));
    expect(html).toContain('Summarising…');

    const browser = endpoint(() => answer('From the browser.'));
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const root = await act(async () => hydrateRoot(container, page(state, new QueryClient())));
    await settle();
    expect(container.textContent).toBe('From the browser.');
    expect(browser.count).toBe(1);
    act(() => root.unmount());
    container.remove();
    claude.dispose();
  });
});
