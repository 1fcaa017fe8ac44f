// @vitest-environment jsdom
import { onlineManager } from '@tanstack/react-query';
import { HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { escalation, type EscalationInfo } from '../../src/core/escalation.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeMutation } from '../../src/react/useClaudeMutation.js';
import { advance, answer, ask, endpoint, NOW, renderKit, reply, settle, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();

const useApp = () => ({ mutation: useClaudeMutation(), demand: useClaudeDemand() });
const MARKUP = /<\/?[a-z!][^>]*>/i;

describe('useClaudeMutation', () => {
  it('retries 529, 529, then succeeds, showing each step in the retry state and the demand level', async () => {
    const api = endpoint((n) => (n <= 2 ? reply('overloaded', `req_${n}`) : answer('Finally.')));
    const { result } = renderKit(useApp);
    expect(result.current.mutation.retry).toMatchObject({ phase: 'idle', attempt: 0 });
    expect(result.current.demand.level).toBe('normal');

    result.current.mutation.mutate(ask('hi'));
    await settle();
    // Full jitter with a draw of 0.5 picks 500 ms, but the gate keeps its window closed for at least 1 s: the
    // countdown shows the moment the request really goes.
    expect(api.count).toBe(1);
    expect(result.current.mutation.retry).toMatchObject({ phase: 'waiting', attempt: 1, nextAttemptAt: NOW + 1000 });
    expect(result.current.mutation.retry.failure).toMatchObject({ kind: 'overloaded', status: 529, requestId: 'req_1' });
    expect(result.current.demand).toMatchObject({ level: 'busy', since: NOW, nextAttemptAt: NOW + 1000, waiting: 1, lastRequestId: 'req_1' });

    await advance(999);
    expect(api.count).toBe(1);
    await advance(1);
    expect(api.calls.map((c) => c.at - NOW)).toEqual([0, 1000]);
    expect(result.current.mutation.retry).toMatchObject({ phase: 'waiting', attempt: 2, nextAttemptAt: NOW + 2000 });
    expect(result.current.mutation.retry.failure?.requestId).toBe('req_2');
    expect(result.current.demand).toMatchObject({ level: 'busy', since: NOW, nextAttemptAt: NOW + 2000, attempt: 2, lastRequestId: 'req_2' });

    await advance(999);
    expect(api.count).toBe(2);
    await advance(1);
    await settle();
    expect(api.calls.map((c) => c.at - NOW)).toEqual([0, 1000, 2000]);
    expect(result.current.mutation.retry).toMatchObject({ phase: 'succeeded', attempt: 3, failure: undefined });
    expect(result.current.mutation.data?.content[0]?.text).toBe('Finally.');
    expect(result.current.demand.level).toBe('normal');
  });

  // Regression (fixed in retryer.ts, e7af0b8): the first countdown showed the policy's delay (500 ms) although the
  // gate stayed closed for minClosedMs (1 s), so it was short and then jumped.
  it('shows from the first wait the moment the next request really goes', async () => {
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : answer()));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    const promised = result.current.mutation.retry.nextAttemptAt;
    await advance(2_000);
    expect(api.calls[1]!.at).toBe(promised);
  });

  it('waits out a 429 retry-after of 17 s to the second, then sends once', async () => {
    const api = endpoint((n) => (n === 1 ? reply('rate_limited') : answer()));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    expect(result.current.mutation.retry.phase).toBe('waiting');
    expect(result.current.mutation.retry.failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 17_000 });
    const at = result.current.mutation.retry.nextAttemptAt!;
    expect(at).toBeGreaterThanOrEqual(NOW + 17_000);
    expect(at).toBeLessThan(NOW + 18_000);
    expect(result.current.demand).toMatchObject({ level: 'rate_limited', nextAttemptAt: at, lastRequestId: 'req_011CTrate00000000000000001' });

    await advance(16_999);
    expect(api.count).toBe(1);
    await advance(1_001);
    await settle();
    expect(api.count).toBe(2);
    expect(api.calls[1]!.at).toBe(at);
    expect(result.current.mutation.retry.phase).toBe('succeeded');
    expect(result.current.demand.level).toBe('normal');
  });

  it('never retries the spend-limit 429 and says the app is unavailable', async () => {
    const api = endpoint(() => reply('spend_limited'));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    await advance(10 * 60_000);
    expect(api.count).toBe(1);
    expect(result.current.mutation.retry).toMatchObject({ phase: 'failed', attempt: 1 });
    expect(result.current.mutation.error).toMatchObject({ kind: 'spend_limited', retryable: false });
    expect(result.current.demand).toMatchObject({ level: 'unavailable', lastFailureKind: 'spend_limited', lastRequestId: 'req_011CTspend0000000000000001' });

    result.current.demand.dismiss();
    await settle();
    expect(result.current.demand.level).toBe('normal');
  });

  it('never retries a 400 and keeps it out of the demand summary: it is an app error, not busyness', async () => {
    const api = endpoint(() => reply('invalid_request'));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask(''));
    await settle();
    await advance(60_000);
    expect(api.count).toBe(1);
    expect(result.current.mutation.retry.phase).toBe('failed');
    expect(result.current.mutation.error).toMatchObject({ kind: 'invalid_request', status: 400, message: 'messages: at least one message is required' });
    expect(result.current.demand.level).toBe('normal');
  });

  it('retries an HTML 503 from a proxy without ever putting its markup in the message', async () => {
    const api = endpoint((n) => (n === 1 ? reply('service_unavailable_html') : answer('Back.')));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    const failure = result.current.mutation.retry.failure!;
    expect(failure).toMatchObject({ kind: 'server_error', status: 503 });
    expect(failure.message).not.toMatch(MARKUP);
    expect(result.current.demand).toMatchObject({ level: 'busy', lastFailureKind: 'server_error' });
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.mutation.data?.content[0]?.text).toBe('Back.');
  });

  it('gives up on a proxy that keeps answering with HTML, with a plain message and the unavailable level', async () => {
    const api = endpoint(() => reply('bad_gateway_html'));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await advance(60_000);
    await settle();
    expect(api.count).toBe(5); // server_error: 5 attempts in all
    expect(result.current.mutation.retry.phase).toBe('failed');
    expect(result.current.mutation.error?.message).not.toMatch(MARKUP);
    expect(result.current.demand).toMatchObject({ level: 'unavailable', lastFailureKind: 'server_error' });
  });

  it('retries a network error and succeeds', async () => {
    const api = endpoint((n) => (n === 1 ? HttpResponse.error() : answer()));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    expect(result.current.mutation.retry).toMatchObject({ phase: 'waiting', attempt: 1 });
    expect(result.current.mutation.retry.failure?.kind).toBe('network');
    expect(result.current.demand).toMatchObject({ level: 'busy', lastFailureKind: 'network' });
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.mutation.retry.phase).toBe('succeeded');
  });

  it('cancels during the wait: no further request, failed as aborted, demand back to normal', async () => {
    const api = endpoint(() => reply('overloaded'));
    const { result } = renderKit(useApp, { gate: false });
    result.current.mutation.mutate(ask('hi'));
    await settle();
    expect(result.current.demand.level).toBe('busy');
    result.current.mutation.retry.cancel();
    await settle();
    expect(result.current.mutation.retry.phase).toBe('failed');
    expect(result.current.mutation.retry.failure?.kind).toBe('aborted');
    expect(result.current.mutation.error?.kind).toBe('aborted');
    expect(result.current.demand.level).toBe('normal');
    await advance(60_000);
    expect(api.count).toBe(1);
  });

  it('never sends a request cancelled during the wait, even when the gate reopens', async () => {
    const api = endpoint(() => reply('rate_limited'));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    result.current.mutation.retry.cancel();
    await advance(60_000);
    expect(api.count).toBe(1);
    expect(result.current.mutation.retry.failure?.kind).toBe('aborted');
    expect(result.current.demand.level).toBe('normal');
  });

  // Regression (fixed in retryer.ts, 6ce206c): cancel woke the pause, then the loop queued at the closed gate.
  it('cancels during a wait behind the closed gate at once, not when the window ends', async () => {
    endpoint(() => reply('rate_limited'));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    result.current.mutation.retry.cancel();
    await settle();
    expect(result.current.mutation.retry.phase).toBe('failed');
    expect(result.current.demand.level).toBe('normal');
  });

  it('cancels during an attempt: the request is aborted on the wire and never sent again', async () => {
    let aborted = false;
    const api = endpoint(
      (_n, request) =>
        new Promise<Response>((resolve) => {
          request.signal.addEventListener('abort', () => {
            aborted = true;
            resolve(reply('overloaded'));
          });
        }),
    );
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    expect(result.current.mutation.retry).toMatchObject({ phase: 'sending', attempt: 1 });
    result.current.mutation.retry.cancel();
    await settle();
    expect(aborted).toBe(true);
    expect(result.current.mutation.retry.phase).toBe('failed');
    expect(result.current.mutation.retry.failure?.kind).toBe('aborted');
    expect(result.current.demand.level).toBe('normal');
    await advance(60_000);
    expect(api.count).toBe(1);
  });

  it('sends at once on "Retry now", skipping both its own wait and the gate window', async () => {
    const api = endpoint((n) => (n === 1 ? reply('rate_limited') : answer()));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    expect(result.current.mutation.retry.phase).toBe('waiting');
    result.current.mutation.retry.retryNow();
    await settle();
    expect(api.calls.map((c) => c.at - NOW)).toEqual([0, 0]);
    expect(result.current.mutation.retry).toMatchObject({ phase: 'succeeded', attempt: 2 });
    expect(result.current.demand.level).toBe('normal');
  });

  it('"Retry now" on the demand summary sends every waiting request', async () => {
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : answer()));
    const { result } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    result.current.demand.retryNow();
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.mutation.retry.phase).toBe('succeeded');
  });

  it('pauses while offline, says so in the demand level, and sends when back online', async () => {
    const api = endpoint(() => answer());
    const { result } = renderKit(useApp);
    onlineManager.setOnline(false);
    await settle();
    expect(result.current.demand.level).toBe('offline');
    result.current.mutation.mutate(ask('hi'));
    await settle();
    await advance(60_000);
    expect(api.count).toBe(0);
    expect(result.current.mutation.retry.phase).toBe('paused');
    expect(result.current.demand.level).toBe('offline');

    onlineManager.setOnline(true);
    await settle();
    expect(api.count).toBe(1);
    expect(result.current.mutation.retry.phase).toBe('succeeded');
    expect(result.current.demand.level).toBe('normal');
  });

  it('escalates to "slow" after 30 s of overload, with the request ids of the episode', async () => {
    endpoint((n) => reply('overloaded', `req_${n}`));
    const onEscalate = vi.fn<(stage: EscalationInfo['stage'], info: EscalationInfo) => void>();
    const { result } = renderKit(useApp, { features: [escalation({ onEscalate })] });
    result.current.mutation.mutate(ask('hi'));
    await settle();
    await advance(29_999);
    expect(onEscalate).not.toHaveBeenCalled();
    expect(result.current.demand.escalation).toBe('none');
    await advance(1);
    expect(onEscalate).toHaveBeenCalledTimes(1);
    const [stage, info] = onEscalate.mock.calls[0]!;
    expect(stage).toBe('slow');
    expect(info).toMatchObject({ stage: 'slow', level: 'busy', since: NOW });
    expect(info.requestIds).toEqual(Array.from({ length: info.failures }, (_, i) => `req_${i + 1}`));
    expect(result.current.demand.escalation).toBe('slow');
  });

  // Regression (fixed in demand.ts, 6ce206c): the recompute after 'slow' fired 'unusual' and 'contact' at once.
  it('fires each escalation stage once, and not before its threshold', async () => {
    endpoint((n) => reply('overloaded', `req_${n}`));
    const onEscalate = vi.fn();
    const { result } = renderKit(useApp, { features: [escalation({ onEscalate })] });
    result.current.mutation.mutate(ask('hi'));
    await settle();
    await advance(90_000);
    expect(onEscalate.mock.calls.map(([stage]) => stage)).toEqual(['slow']);
    expect(result.current.demand.escalation).toBe('slow');
  });

  it('cancels the request when the component unmounts', async () => {
    const api = endpoint(() => reply('overloaded'));
    const { result, unmount } = renderKit(useApp);
    result.current.mutation.mutate(ask('hi'));
    await settle();
    unmount();
    await advance(60_000);
    expect(api.count).toBe(1);
  });

  it('sends the request again when "Retry now" is pressed after the kit gave up, from the hook or the banner', async () => {
    let busy = true;
    const api = endpoint(() => (busy ? reply('overloaded') : answer('Made it.')));
    const { result } = renderKit(useApp, { policy: { maxAttempts: 2 } });
    result.current.mutation.mutate(ask('hi'));
    await settle();
    await advance(60_000);
    expect(result.current.mutation.retry.phase).toBe('failed');
    expect(result.current.demand.level).toBe('unavailable');
    const sent = api.count;

    // The hook's own "Retry now" tries again, and so would the banner's (demand.retryNow): once, not twice.
    result.current.mutation.retry.retryNow();
    await settle();
    await advance(60_000);
    expect(api.count).toBe(sent + 2);
    expect(result.current.mutation.retry.phase).toBe('failed');

    busy = false;
    result.current.demand.retryNow();
    await settle();
    expect(api.count).toBe(sent + 3);
    expect(result.current.mutation.data?.content[0]?.text).toBe('Made it.');
    expect(result.current.demand.level).toBe('normal');
  });

  it('runs quick calls side by side by default, as TanStack does: three clicks, three requests, one busy episode', async () => {
    const api = endpoint((n, _request, body) => (n <= 3 ? reply('overloaded', `req_${n}`) : answer(`Re: ${String(body.messages[0]?.content)}`)));
    const { result } = renderKit(useApp);
    const answers = ['one', 'two', 'three'].map((word) => result.current.mutation.mutateAsync(ask(word)));
    await settle();
    expect(api.calls.map((c) => c.body.messages[0]?.content)).toEqual(['one', 'two', 'three']);
    // The banner reads this summary: one episode for the three, each waiting for its own retry.
    expect(result.current.demand).toMatchObject({ level: 'busy', waiting: 3 });
    expect(result.current.mutation.retry.phase).toBe('waiting');

    await advance(5_000);
    await settle();
    const texts = (await Promise.all(answers)).map((message) => message.content[0]?.text);
    expect(texts).toEqual(['Re: one', 'Re: two', 'Re: three']);
    expect(api.count).toBe(6);
    expect(result.current.mutation.retry.phase).toBe('succeeded');
    expect(result.current.demand.level).toBe('normal');
  });

  it('cancels every call still under way when the component unmounts, not only the latest', async () => {
    const api = endpoint(() => reply('overloaded'));
    const { result, unmount } = renderKit(useApp);
    result.current.mutation.mutate(ask('one'));
    result.current.mutation.mutate(ask('two'));
    await settle();
    expect(result.current.demand.waiting).toBe(2);
    unmount();
    await advance(60_000);
    expect(api.count).toBe(2);
  });

  it("with concurrency: 'latest', lets the latest mutate() win: the one still under way is cancelled, never sent twice", async () => {
    const api = endpoint((_n, _request, body) => answer(`Re: ${String(body.messages[0]?.content)}`));
    const { result } = renderKit(() => ({ mutation: useClaudeMutation({ concurrency: 'latest' }) }));
    const first = expect(result.current.mutation.mutateAsync(ask('one'))).rejects.toMatchObject({ kind: 'aborted' });
    const second = expect(result.current.mutation.mutateAsync(ask('two'))).resolves.toMatchObject({ content: [{ text: 'Re: two' }] });
    await settle();
    await first;
    await second;
    expect(api.calls.map((c) => c.body.messages[0]?.content)).toEqual(['two']);
  });

  it("with concurrency: 'latest', still shows the busy episode of the call that won", async () => {
    const api = endpoint((n, _request, body) => (n === 1 ? reply('overloaded') : answer(`Re: ${String(body.messages[0]?.content)}`)));
    const { result } = renderKit(() => ({ mutation: useClaudeMutation({ concurrency: 'latest' }), demand: useClaudeDemand() }));
    const first = expect(result.current.mutation.mutateAsync(ask('one'))).rejects.toMatchObject({ kind: 'aborted' });
    await settle();
    expect(result.current.demand).toMatchObject({ level: 'busy', waiting: 1 });
    const second = result.current.mutation.mutateAsync(ask('two'));
    await settle();
    await first;
    // The first call met the 529 and closed the gate; the second waits behind it, and the banner says so.
    expect(result.current.demand).toMatchObject({ level: 'busy', waiting: 1 });
    expect(result.current.mutation.retry.phase).toBe('waiting');
    await advance(1_000);
    await settle();
    expect((await second).content[0]?.text).toBe('Re: two');
    expect(api.calls.map((c) => c.body.messages[0]?.content)).toEqual(['one', 'two']);
    expect(result.current.demand.level).toBe('normal');
  });
});
