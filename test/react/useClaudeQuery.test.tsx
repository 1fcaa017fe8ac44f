// @vitest-environment jsdom
import { QueryClient } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { MessageRequest } from '../../src/core/transport.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { ClaudeProvider } from '../../src/react/context.js';
import {
  advance, answer, ask, endpoint, ENDPOINT, NOW, renderKit, reply, settle, TEST_GATE, testClock, useKitTestEnvironment,
  type KitProps,
} from './helpers.js';

useKitTestEnvironment();

const PROMPTS = Array.from({ length: 10 }, (_, i) => ask(`question ${i + 1}`));
const BUSY_MS = 10_000;
const textOf = (body: MessageRequest) => `answer to ${String(body.messages[0]!.content)}`;

/** Ten requests at once, against an API that answers 529 for the first ten seconds. */
async function tenRequestsDuringAnOverload(props: KitProps) {
  const api = endpoint((_n, _request, body) => (Date.now() < NOW + BUSY_MS ? reply('overloaded') : answer(textOf(body))));
  const { result } = renderKit(() => ({ queries: PROMPTS.map((p) => useClaudeQuery(p)), demand: useClaudeDemand() }), props);
  await settle();
  return { api, result };
}

function Answer({ request }: { request: MessageRequest }) {
  const { text, retry } = useClaudeQuery(request);
  return <p>{text ?? retry.phase}</p>;
}

describe('useClaudeQuery', () => {
  it('asks once for the same request read by two components, and answers a remount from the cache', async () => {
    const api = endpoint(() => answer('Cached.'));
    const queryClient = new QueryClient();
    const app = (
      <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={queryClient} gate={TEST_GATE}>
        <Answer request={ask('same')} />
        <Answer request={{ messages: [{ content: 'same', role: 'user' }], max_tokens: 64, model: 'claude-sonnet-4-5' }} />
      </ClaudeProvider>
    );
    const view = render(app);
    await settle();
    expect(screen.getAllByText('Cached.')).toHaveLength(2);
    expect(api.count).toBe(1);

    view.unmount();
    render(app);
    expect(screen.getAllByText('Cached.')).toHaveLength(2);
    await settle();
    expect(api.count).toBe(1);
  });

  it('shows the same retry state in every component that reads a query in flight', async () => {
    endpoint((n) => (n === 1 ? reply('overloaded') : answer()));
    const { result } = renderKit(() => [useClaudeQuery(ask('x')), useClaudeQuery(ask('x'))] as const);
    await settle();
    const [first, second] = result.current;
    expect(first.retry).toMatchObject({ phase: 'waiting', attempt: 1 });
    expect(second.retry).toBe(first.retry);
    await advance(1_000);
    await settle();
    expect(result.current[0].text).toBe('Hello! How can I help you today?');
    expect(result.current[1].text).toBe('Hello! How can I help you today?');
  });

  it('waits for input while the request is null', async () => {
    const api = endpoint(() => answer());
    const { result } = renderKit(() => useClaudeQuery(null));
    await settle();
    expect(api.count).toBe(0);
    expect(result.current.retry.phase).toBe('idle');
    expect(result.current.fetchStatus).toBe('idle');
  });

  it('holds ten concurrent requests meeting 529 behind the gate: one probe per window, then all ten succeed', async () => {
    const { api, result } = await tenRequestsDuringAnOverload({});
    // The first burst is bounded by the concurrency limit (8); the first 529 closes the gate for everyone.
    expect(api.between(NOW, NOW + 1)).toBe(8);
    expect(result.current.demand).toMatchObject({ level: 'busy', waiting: 10 });
    expect(api.between(NOW + 1, NOW + 1_000)).toBe(0);

    await advance(BUSY_MS);
    // While Claude is overloaded, each closed window lets one probe through, not ten retries.
    for (let t = NOW + 1_000; t < NOW + BUSY_MS; t += 1_000) expect(api.between(t, t + 1_000)).toBeLessThanOrEqual(1);
    expect(api.between(NOW + 1, NOW + BUSY_MS)).toBeLessThanOrEqual(10);

    await advance(5_000);
    await settle();
    expect(result.current.queries.map((q) => q.text)).toEqual(PROMPTS.map(textOf));
    expect(result.current.demand.level).toBe('normal');
    expect(api.between(NOW + BUSY_MS, Infinity)).toBe(10);
  });

  it('without the gate, the same ten requests hammer the API several times as hard', async () => {
    const { api } = await tenRequestsDuringAnOverload({ gate: false });
    expect(api.between(NOW, NOW + 1)).toBe(10);
    await advance(BUSY_MS);
    expect(api.between(NOW + 1, NOW + BUSY_MS)).toBeGreaterThanOrEqual(30);
  });

  it('never double-sends under StrictMode', async () => {
    const api = endpoint(() => answer('Once.'));
    const { result } = renderKit(() => useClaudeQuery(ask('strict')), {}, { strict: true });
    await settle();
    expect(result.current.text).toBe('Once.');
    expect(api.count).toBe(1);
  });

  it('never double-sends under StrictMode while retrying', async () => {
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : answer('Once.')));
    const { result } = renderKit(() => useClaudeQuery(ask('strict')), {}, { strict: true });
    await settle();
    expect(result.current.retry.phase).toBe('waiting');
    await advance(1_000);
    await settle();
    expect(result.current.text).toBe('Once.');
    expect(api.count).toBe(2);
  });

  it('stops retrying when its last reader unmounts, and starts over when one mounts again', async () => {
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : answer('Again.')));
    const queryClient = new QueryClient();
    const first = renderKit(() => useClaudeQuery(ask('leave')).retry.phase, { queryClient });
    await settle();
    expect(first.result.current).toBe('waiting');
    first.unmount();
    await advance(60_000);
    expect(api.count).toBe(1);

    const second = renderKit(() => useClaudeQuery(ask('leave')).text, { queryClient });
    await settle();
    expect(second.result.current).toBe('Again.');
    expect(api.count).toBe(2);
  });

  it('fails without retrying a 400, and shows the error', async () => {
    const api = endpoint(() => reply('invalid_request'));
    // React Query re-renders for the fields read during render (tracked results), as a component would read them.
    const { result } = renderKit(() => {
      const { status, error, retry } = useClaudeQuery(ask(''));
      return { status, error, retry };
    });
    await settle();
    await advance(60_000);
    expect(api.count).toBe(1);
    expect(result.current.status).toBe('error');
    expect(result.current.error?.kind).toBe('invalid_request');
    // The state says it failed, and why; nothing to revive, since a 400 is not Claude's load.
    expect(result.current.retry.phase).toBe('failed');
    expect(result.current.retry.failure?.kind).toBe('invalid_request');
  });

  it('asks again when "Retry now" is pressed after the kit gave up on a query', async () => {
    let busy = true;
    const api = endpoint(() => (busy ? reply('overloaded') : answer('Back.')));
    const { result } = renderKit(
      () => {
        const { text, retry } = useClaudeQuery(ask('summarise'));
        return { text, retry, demand: useClaudeDemand() };
      },
      { policy: { maxAttempts: 2 } },
    );
    await settle();
    await advance(60_000);
    expect(result.current.retry.phase).toBe('failed');
    expect(result.current.demand.level).toBe('unavailable');
    const sent = api.count;

    busy = false;
    result.current.demand.retryNow();
    await settle();
    expect(api.count).toBe(sent + 1);
    expect(result.current.text).toBe('Back.');
    expect(result.current.demand.level).toBe('normal');
  });
});
