// @vitest-environment jsdom
// The kit's query as TanStack `queryOptions`: the same object in useQuery, useSuspenseQuery, useQueries and
// prefetchQuery, each through the kit's client (retries, gate, the retry state the banner reads).
import { QueryClient, QueryErrorResetBoundary, useQueries, useQuery, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { fireEvent, screen } from '@testing-library/react';
import { Component, Suspense, type ReactNode } from 'react';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ClaudeToaster, HighDemandBanner } from '../../src/components/index.js';
import { createClaudeClient } from '../../src/core/client.js';
import { ClaudeError } from '../../src/core/failure.js';
import { messageText, type Message, type MessageRequest } from '../../src/core/transport.js';
import { claudeQueryKey, claudeQueryOptions } from '../../src/query/index.js';
import { useClaudeClient } from '../../src/react/context.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { useClaudeSuspenseQuery } from '../../src/react/useClaudeSuspenseQuery.js';
import {
  advance, answer, ask, endpoint, ENDPOINT, NOW, renderInKit, renderKit, reply, settle, TEST_GATE, testClock, useKitTestEnvironment,
} from './helpers.js';

useKitTestEnvironment();

const BANNER = { name: 'Claude status' } as const;

class ErrorBoundary extends Component<{ onReset?: () => void; children: ReactNode }, { error?: unknown }> {
  override state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    const { error } = this.state;
    if (error === undefined) return this.props.children;
    const tryAgain = () => {
      this.props.onReset?.();
      this.setState({ error: undefined });
    };
    return (
      <>
        <p role="alert">{error instanceof ClaudeError ? `ClaudeError ${error.kind}` : 'something else'}</p>
        <button onClick={tryAgain}>Try again</button>
      </>
    );
  }
}

describe('claudeQueryOptions', () => {
  it('keys equal requests alike whatever their key order, with the model and the prompt readable in Devtools', () => {
    const client = createClaudeClient({ endpoint: ENDPOINT, clock: testClock });
    const request = ask('Summarise the quarterly report for the board, in three short paragraphs please');
    const options = claudeQueryOptions(client, request);
    const reordered = claudeQueryOptions(client, { messages: request.messages, max_tokens: 64, model: 'claude-sonnet-4-5' });
    expect(reordered.queryKey).toEqual(options.queryKey);
    expect(options.queryKey).toEqual([
      'claude-overload-kit', 'message', expect.any(String),
      { model: 'claude-sonnet-4-5', prompt: 'Summarise the quarterly report for the board, i…' },
    ]);
    expect(claudeQueryKey(ask('another')) [2]).not.toBe(options.queryKey[2]);
    expect(options).toMatchObject({
      staleTime: Infinity, networkMode: 'always', retry: false,
      meta: { claude: { model: 'claude-sonnet-4-5', priority: 'interactive' } },
    });
    expect(claudeQueryOptions(client, request, { priority: 'background', meta: { page: 'home' } }).meta)
      .toEqual({ claude: { model: 'claude-sonnet-4-5', priority: 'background' }, page: 'home' });
  });

  it('lets the data type flow from the options into every TanStack API', () => {
    const client = createClaudeClient({ endpoint: ENDPOINT });
    const plain = claudeQueryOptions(client, ask('x'));
    const text = claudeQueryOptions(client, ask('x'), { select: messageText });
    // Type-level checks (tsc runs them): the function is never called, so nothing is fetched.
    const typesOnly = () => {
      expectTypeOf(useQuery(plain).data).toEqualTypeOf<Message | undefined>();
      expectTypeOf(useQuery(text).data).toEqualTypeOf<string | undefined>();
      expectTypeOf(useSuspenseQuery(text).data).toEqualTypeOf<string>();
      expectTypeOf(useQueries({ queries: [plain, text] })[1].data).toEqualTypeOf<string | undefined>();
      expectTypeOf(new QueryClient().getQueryData(plain.queryKey)).toEqualTypeOf<Message | undefined>();
      expectTypeOf(new QueryClient().fetchQuery(plain)).resolves.toEqualTypeOf<Message>();
      expectTypeOf(useQuery(plain).error).toEqualTypeOf<ClaudeError | null>();
    };
    expect(typesOnly).toBeTypeOf('function');
  });

  it('refuses what is not a client or not a request, with a clear TypeError', () => {
    const client = createClaudeClient({ endpoint: ENDPOINT });
    expect(() => claudeQueryOptions(undefined as never, ask('x'))).toThrow(/client must be a ClaudeClient/);
    expect(() => claudeQueryOptions(client, 'hello' as never)).toThrow(TypeError);
    expect(() => claudeQueryOptions(client, { prompt: 'hello' } as never)).toThrow(/`messages` array/);
  });

  it('suspends through two 529s with the banner telling the episode, then renders the answer', async () => {
    const api = endpoint((n) => (n <= 2 ? reply('overloaded') : answer('Here is your summary.')));
    function Summary() {
      const { data } = useSuspenseQuery(claudeQueryOptions(useClaudeClient(), ask('summarise'), { select: messageText }));
      return <p>{data}</p>;
    }
    renderInKit(
      <>
        <HighDemandBanner />
        <Suspense fallback={<p>Loading…</p>}>
          <Summary />
        </Suspense>
      </>,
    );
    await settle();
    expect(api.count).toBe(1);
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.getByRole('region', BANNER).textContent).toContain('Claude is busy right now.');

    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.getByRole('region', BANNER).textContent).toContain('Claude is busy right now.');

    await advance(2_000);
    await settle();
    expect(api.count).toBe(3);
    expect(screen.getByText('Here is your summary.')).toBeTruthy();
    expect(screen.queryByText('Loading…')).toBeNull();
    await advance(10_000);
    expect(api.count).toBe(3);
  });

  it('fills on prefetchQuery the very entry the hook reads: one request, not two', async () => {
    const api = endpoint(() => answer('Prefetched.'));
    const claude = createClaudeClient({ endpoint: ENDPOINT, clock: testClock, gate: TEST_GATE });
    const queryClient = new QueryClient();
    await queryClient.prefetchQuery(claudeQueryOptions(claude, ask('on hover'), { priority: 'background' }));
    expect(api.count).toBe(1);

    const { result } = renderKit(() => useClaudeQuery(ask('on hover')).text, { client: claude, queryClient });
    expect(result.current).toBe('Prefetched.');
    await settle();
    expect(api.count).toBe(1);
    claude.dispose();
  });

  it('shares one request between a prefetch still in flight and the hook that mounts meanwhile', async () => {
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : answer('Once.')));
    const { result } = renderKit(() => {
      const queryClient = useQueryClient();
      const client = useClaudeClient();
      return { prefetch: () => queryClient.prefetchQuery(claudeQueryOptions(client, ask('hover'))), text: useClaudeQuery(ask('hover')).text };
    });
    void result.current.prefetch();
    await settle();
    expect(api.count).toBe(1);
    await advance(1_000);
    await settle();
    expect(result.current.text).toBe('Once.');
    expect(api.count).toBe(2);
  });

  it('runs useQueries over five prompts through the gate: never more on the wire than its limit', async () => {
    let onWire = 0;
    let mostOnWire = 0;
    const waiting: Array<() => void> = [];
    const api = endpoint(async (_n, _request, body) => {
      onWire += 1;
      mostOnWire = Math.max(mostOnWire, onWire);
      await new Promise<void>((resolve) => waiting.push(resolve));
      onWire -= 1;
      return answer(`Re: ${String(body.messages[0]!.content)}`);
    });
    const prompts = ['a', 'b', 'c', 'd', 'e'].map(ask);
    const { result } = renderKit(
      () => {
        const client = useClaudeClient();
        return useQueries({ queries: prompts.map((p) => claudeQueryOptions(client, p, { select: messageText })) }).map((q) => q.data);
      },
      { gate: { ...TEST_GATE, maxConcurrency: 2 } },
    );
    await settle();
    expect(api.count).toBe(2);
    while (waiting.length > 0) {
      for (const release of waiting.splice(0)) release();
      await advance(1_000); // the gate spreads the ones it let wait over its drain window
      await settle();
      expect(onWire).toBeLessThanOrEqual(2);
    }
    expect(mostOnWire).toBe(2);
    expect(api.count).toBe(5);
    expect(result.current).toEqual(['Re: a', 'Re: b', 'Re: c', 'Re: d', 'Re: e']);
  });

  it('lets the banner\'s "Retry now" ask again for useQueries after the kit gave up: once per query', async () => {
    let busy = true;
    const api = endpoint((_n, _request, body) => (busy ? reply('overloaded') : answer(`Re: ${String(body.messages[0]!.content)}`)));
    const prompts = ['a', 'b'].map(ask);
    const { result } = renderKit(
      () => {
        const client = useClaudeClient();
        const texts = useQueries({ queries: prompts.map((p) => claudeQueryOptions(client, p, { select: messageText })) }).map((q) => q.data);
        return { texts, demand: useClaudeDemand() };
      },
      { policy: { maxAttempts: 2 } },
    );
    await settle();
    await advance(60_000);
    await settle();
    expect(result.current.demand.level).toBe('unavailable');
    const sent = api.count;

    busy = false;
    result.current.demand.retryNow();
    await settle();
    await advance(1_000); // the first goes as the gate's probe, the other right after its answer
    await settle();
    expect(api.count).toBe(sent + 2);
    expect(result.current.texts).toEqual(['Re: a', 'Re: b']);
    expect(result.current.demand.level).toBe('normal');
  });

  it('asks once on "Retry now" when useClaudeQuery and useQuery read the same given-up query', async () => {
    let busy = true;
    const api = endpoint(() => (busy ? reply('overloaded') : answer('Back.')));
    const { result } = renderKit(
      () => {
        const hook = useClaudeQuery(ask('same')).text;
        const plain = useQuery(claudeQueryOptions(useClaudeClient(), ask('same'), { select: messageText })).data;
        return { hook, plain, demand: useClaudeDemand() };
      },
      { policy: { maxAttempts: 2 } },
    );
    await settle();
    await advance(60_000);
    await settle();
    const sent = api.count;
    busy = false;
    result.current.demand.retryNow();
    await settle();
    expect(api.count).toBe(sent + 1);
    expect(result.current).toMatchObject({ hook: 'Back.', plain: 'Back.' });
  });
});

describe('useClaudeSuspenseQuery', () => {
  function Summary({ request }: { request: MessageRequest }) {
    const { text } = useClaudeSuspenseQuery(request);
    return <p>{text}</p>;
  }
  const app = (request: MessageRequest) => (
    <>
      <HighDemandBanner />
      <QueryErrorResetBoundary>
        {({ reset }) => (
          <ErrorBoundary onReset={reset}>
            <Suspense fallback={<p>Loading…</p>}>
              <Summary request={request} />
            </Suspense>
          </ErrorBoundary>
        )}
      </QueryErrorResetBoundary>
    </>
  );

  it('shows the wait in the banner while the boundary waits, then the answer', async () => {
    const api = endpoint((n) => (n <= 2 ? reply('overloaded', `req_${n}`) : answer('Done.')));
    renderInKit(app(ask('go')));
    await settle();
    expect(screen.getByRole('region', BANNER).textContent).toMatch(/Claude is busy right now\.[\s\S]*Retrying in 1 s/);
    await advance(3_000);
    await settle();
    expect(screen.getByText('Done.')).toBeTruthy();
    expect(api.calls.map((c) => c.at - NOW)).toEqual([0, 1_000, 2_000]);
  });

  it('shows the wait in the toaster too, where the app has no banner', async () => {
    // Radix Toast needs pointer capture, which jsdom lacks.
    Element.prototype.hasPointerCapture ??= () => false;
    Element.prototype.setPointerCapture ??= () => {};
    Element.prototype.releasePointerCapture ??= () => {};
    endpoint((n) => (n <= 2 ? reply('overloaded') : answer('Done.')));
    renderInKit(
      <>
        <Suspense fallback={<p>Loading…</p>}>
          <Summary request={ask('go')} />
        </Suspense>
        <ClaudeToaster />
      </>,
    );
    await settle();
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.getByRole('region', { name: /^Notifications/ }).textContent).toContain('Claude is busy right now.');
    await advance(3_000);
    await settle();
    expect(screen.getByText('Done.')).toBeTruthy();
  });

  it('throws a failure the kit gave up on to the error boundary, as a ClaudeError', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React reports what an error boundary caught
    const api = endpoint(() => reply('invalid_request'));
    renderInKit(app(ask('')));
    await settle();
    expect(screen.getByRole('alert').textContent).toBe('ClaudeError invalid_request');
    await advance(60_000);
    expect(api.count).toBe(1);
  });

  it('throws an exhausted overload to the error boundary too, after the banner told it', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    endpoint(() => reply('overloaded'));
    renderInKit(app(ask('go')), { policy: { maxAttempts: 2 } });
    await settle();
    expect(screen.getByRole('region', BANNER).textContent).toContain('Claude is busy right now.');
    await advance(60_000);
    await settle();
    expect(screen.getByRole('alert').textContent).toBe('ClaudeError overloaded');
  });

  it("asks again from the error boundary's \"Try again\" (TanStack's QueryErrorResetBoundary), and shows the answer", async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    let busy = true;
    const api = endpoint(() => (busy ? reply('overloaded') : answer('Second time lucky.')));
    renderInKit(app(ask('go')), { policy: { maxAttempts: 2 } });
    await settle();
    await advance(60_000);
    await settle();
    const sent = api.count;
    busy = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await settle();
    expect(screen.getByText('Second time lucky.')).toBeTruthy();
    expect(api.count).toBe(sent + 1);
  });
});
