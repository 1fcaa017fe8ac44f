// @vitest-environment jsdom
import { QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeMutation } from '../../src/react/useClaudeMutation.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { advance, answer, ask, endpoint, renderKit, reply, settle, useKitTestEnvironment, type KitProps } from './helpers.js';

useKitTestEnvironment();

// React Query's own garbage-collection timers (gcTime, 5 min) are React Query's business: switched off here so the
// count is of the kit's timers only.
const noGcTimers = () => new QueryClient({ defaultOptions: { queries: { gcTime: Infinity }, mutations: { gcTime: Infinity } } });

/** One of each request kind, all waiting after a 529. */
async function everyHookWaiting(props: KitProps = {}) {
  const api = endpoint(() => reply('overloaded'));
  const view = renderKit(
    () => ({ mutation: useClaudeMutation(), stream: useClaudeStream(), query: useClaudeQuery(ask('q')), demand: useClaudeDemand() }),
    { queryClient: noGcTimers(), ...props },
  );
  view.result.current.mutation.mutate(ask('m'));
  view.result.current.stream.send('s');
  await settle();
  expect(api.count).toBe(3);
  expect(view.result.current.demand).toMatchObject({ level: 'busy', waiting: 3 });
  return { api, ...view };
}

describe('ClaudeProvider', () => {
  it('sends nothing more once unmounted in the middle of a wait', async () => {
    const { api, unmount } = await everyHookWaiting();
    unmount();
    await advance(10 * 60_000);
    expect(api.count).toBe(3);
  });

  it('leaves none of its retry or escalation timers behind when unmounted mid-wait', async () => {
    const { unmount } = await everyHookWaiting({ gate: false });
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    unmount();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });

  // Regression (fixed in gate.ts, e7af0b8): the gate's reopen timer outlived the provider by up to a retry-after,
  // which also kept a Node process alive after client.dispose().
  it('leaves no timer at all behind when unmounted mid-wait, the gate included', async () => {
    const { unmount } = await everyHookWaiting();
    unmount();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });

  // Mutations run side by side by default, as TanStack's do, so an effect StrictMode runs twice would send twice in
  // development (React 18 does; docs/queries.md says so): `concurrency: 'latest'` is the documented answer.
  it("never double-sends a mutation fired from an effect under StrictMode, with concurrency: 'latest'", async () => {
    const api = endpoint(() => answer('Once.'));
    const { result } = renderKit(
      () => {
        const mutation = useClaudeMutation({ concurrency: 'latest' });
        const { mutate } = mutation;
        useEffect(() => mutate(ask('hi')), [mutate]);
        return mutation;
      },
      {},
      { strict: true },
    );
    await settle();
    expect(api.count).toBe(1);
    expect(result.current.retry.phase).toBe('succeeded');
  });

  it("keeps the demand summary alive after StrictMode's rehearsal unmount", async () => {
    endpoint((n) => (n === 1 ? reply('overloaded') : answer()));
    const { result } = renderKit(() => ({ mutation: useClaudeMutation(), demand: useClaudeDemand() }), {}, { strict: true });
    result.current.mutation.mutate(ask('hi'));
    await settle();
    expect(result.current.demand.level).toBe('busy');
    await advance(1_000);
    await settle();
    expect(result.current.mutation.retry.phase).toBe('succeeded');
    expect(result.current.demand.level).toBe('normal');
  });

  it('sends the headers a function gives, asked anew for every attempt', async () => {
    let token = 0;
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : answer()));
    const { result } = renderKit(() => useClaudeMutation(), { headers: () => ({ authorization: `Bearer ${++token}` }) });
    result.current.mutate(ask('hi'));
    await settle();
    await advance(1_000);
    await settle();
    expect(api.calls.map((c) => c.headers.get('authorization'))).toEqual(['Bearer 1', 'Bearer 2']);
    expect(api.calls[0]!.headers.get('content-type')).toBe('application/json');
  });

  it('throws a clear error when a hook is used outside the provider', async () => {
    const { renderHook } = await import('@testing-library/react');
    vi.spyOn(console, 'error').mockImplementation(() => {});
    // React 18 rethrows render errors through a window "error" event, which jsdom prints with its stack unless handled.
    const expected = (event: ErrorEvent) => event.preventDefault();
    window.addEventListener('error', expected);
    try {
      expect(() => renderHook(() => useClaudeDemand())).toThrow('useClaudeClient must be used inside <ClaudeProvider>.');
    } finally {
      window.removeEventListener('error', expected);
    }
  });
});
