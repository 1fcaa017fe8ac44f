// @vitest-environment jsdom
// Run by test/production/queries-tarball.test.ts inside a fresh app that installed the packed tarball: every import
// below is the published package, not the sources. Claude is the kit's simulator (claude-overload-kit/testing),
// reached through the client's `fetch`; time is Vitest's fake clock.
import { QueryClient, useQueries, useSuspenseQuery } from '@tanstack/react-query';
import { act, cleanup, render, screen } from '@testing-library/react';
import { ClaudeProvider, HighDemandBanner, messageText, useClaudeClient, useClaudeQuery } from 'claude-overload-kit';
import { createClaudeClient } from 'claude-overload-kit/core';
import { claudeQueryOptions } from 'claude-overload-kit/query';
import { createOverloadSimulator, type SimulatorOutcome } from 'claude-overload-kit/testing';
import { createElement as h, Fragment, Suspense, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ENDPOINT = 'http://claude.test/v1/messages';
const ask = (content: string) => ({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content }] });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const advance = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));
async function settle() {
  for (let i = 0; i < 20; i += 1) await advance(0);
}

/** The simulator as Claude, counting the requests on the wire and the most at once. */
function claude(script: readonly SimulatorOutcome[], serviceTimeMs = 0) {
  const simulator = createOverloadSimulator({ script, serviceTimeMs, capacity: 100 });
  let onWire = 0;
  let mostAtOnce = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    onWire += 1;
    mostAtOnce = Math.max(mostAtOnce, onWire);
    try {
      return await simulator.fetch(new Request(input, init));
    } finally {
      onWire -= 1;
    }
  };
  return { simulator, fetch, get onWire() { return onWire; }, get mostAtOnce() { return mostAtOnce; } };
}

const GATE = { minClosedMs: 1_000, maxClosedMs: 1_000 };

function app(children: ReactNode, props: Record<string, unknown>) {
  return h(ClaudeProvider, { endpoint: ENDPOINT, gate: GATE, ...props }, h(HighDemandBanner), children);
}

describe('the packed kit with TanStack Query', () => {
  it('suspends on useSuspenseQuery(claudeQueryOptions(...)) through two 529s, the banner telling the wait, then renders the answer', async () => {
    const api = claude(['529', '529', 'ok']);
    function Summary() {
      const { data } = useSuspenseQuery(claudeQueryOptions(useClaudeClient(), ask('summarise'), { select: messageText }));
      return h('p', null, data);
    }
    render(app(h(Suspense, { fallback: h('p', null, 'Loading…') }, h(Summary)), { fetch: api.fetch }));
    await settle();
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Claude status' }).textContent).toContain('Claude is busy right now.');
    await advance(1_000);
    await settle();
    expect(api.simulator.stats().requests).toBe(2);
    expect(screen.getByRole('region', { name: 'Claude status' }).textContent).toContain('Claude is busy right now.');
    await advance(2_000);
    await settle();
    expect(api.simulator.stats().requests).toBe(3);
    expect(screen.getByText(/^You said: "summarise"/)).toBeTruthy();
    expect(screen.queryByText('Loading…')).toBeNull();
  });

  it('prefetchQuery then the hook: one request, not two', async () => {
    const api = claude([]);
    const client = createClaudeClient({ endpoint: ENDPOINT, fetch: api.fetch });
    const queryClient = new QueryClient();
    const prefetched = queryClient.prefetchQuery(claudeQueryOptions(client, ask('hover')));
    await settle();
    await prefetched;
    function Answer() {
      return h('p', null, useClaudeQuery(ask('hover')).text ?? 'asking');
    }
    render(app(h(Answer), { client, queryClient }));
    await settle();
    expect(screen.getByText(/^You said: "hover"/)).toBeTruthy();
    expect(api.simulator.stats().requests).toBe(1);
    client.dispose();
  });

  it("useQueries over five prompts: never more on the wire than the gate's limit", async () => {
    const api = claude([], 1_000);
    const prompts = ['a', 'b', 'c', 'd', 'e'].map(ask);
    function Answers() {
      const client = useClaudeClient();
      const results = useQueries({ queries: prompts.map((p) => claudeQueryOptions(client, p, { select: messageText })) });
      return h(Fragment, null, results.map((r, i) => h('p', { key: i }, r.data ?? 'asking')));
    }
    render(app(h(Answers), { fetch: api.fetch, gate: { ...GATE, maxConcurrency: 2 } }));
    await settle();
    expect(api.onWire).toBe(2);
    for (let second = 0; second < 5; second += 1) {
      await advance(1_000);
      await settle();
    }
    expect(api.mostAtOnce).toBe(2);
    expect(api.simulator.stats().requests).toBe(5);
    expect(screen.getAllByText(/^You said: "[a-e]"/)).toHaveLength(5);
  });
});
