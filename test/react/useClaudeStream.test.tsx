// @vitest-environment jsdom
import { useEffect } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeStream, type ClaudeStreamOptions } from '../../src/react/useClaudeStream.js';
import {
  advance, ask, CUT_SSE, endpoint, NO_STOP_SSE, openSse, OVERLOAD_BEFORE_TEXT, renderKit, reply, settle, sse, SUCCESS_SSE,
  useKitTestEnvironment,
} from './helpers.js';

useKitTestEnvironment();

const FULL = 'Hello! How can I help?';
const useApp = (options?: ClaudeStreamOptions) => ({ stream: useClaudeStream(options), demand: useClaudeDemand() });

describe('useClaudeStream', () => {
  it('shows the text as it grows, then the whole message', async () => {
    const live = openSse();
    const api = endpoint(() => live.response);
    const { result } = renderKit(() => useApp());
    expect(result.current.stream.status).toBe('idle');
    result.current.stream.send('Say hello');
    await settle();
    expect(api.calls[0]!.body).toMatchObject({ stream: true, messages: [{ role: 'user', content: 'Say hello' }] });
    expect(api.calls[0]!.headers.get('accept')).toBe('text/event-stream');
    expect(result.current.stream.status).toBe('sending');

    const cut = SUCCESS_SSE.indexOf('event: content_block_delta', SUCCESS_SSE.indexOf('"Hello"'));
    live.push(SUCCESS_SSE.slice(0, cut));
    await settle();
    expect(result.current.stream).toMatchObject({ status: 'streaming', text: 'Hello' });

    live.push(SUCCESS_SSE.slice(cut));
    live.close();
    await settle();
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL, restarted: false, error: undefined });
    expect(result.current.stream.message).toMatchObject({ id: 'msg_01StreamOK000000000000001', stop_reason: 'end_turn' });
    expect(result.current.stream.retry).toMatchObject({ phase: 'succeeded', attempt: 1 });
  });

  it('retries an overload that arrives before the first token without the person noticing a restart', async () => {
    const api = endpoint((n) => sse(n === 1 ? OVERLOAD_BEFORE_TEXT : SUCCESS_SSE));
    const { result } = renderKit(() => useApp());
    result.current.stream.send(ask('hi'));
    await settle();
    expect(result.current.stream).toMatchObject({ status: 'waiting', text: '' });
    expect(result.current.stream.retry.failure).toMatchObject({ kind: 'overloaded', midStream: true });
    expect(result.current.demand.level).toBe('busy');
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL, restarted: false });
    expect(result.current.demand.level).toBe('normal');
  });

  it('restarts an answer cut by an overload after its first token, and says it restarted', async () => {
    const api = endpoint((n) => sse(n === 1 ? CUT_SSE : SUCCESS_SSE));
    const { result } = renderKit(() => useApp());
    result.current.stream.send(ask('hi'));
    await settle();
    expect(result.current.stream.status).toBe('waiting');
    expect(result.current.stream.retry.failure).toMatchObject({ kind: 'overloaded', midStream: true });
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL, restarted: true });
    expect(result.current.stream.message?.id).toBe('msg_01StreamOK000000000000001');
  });

  it("keeps the partial text and stops when asked to with afterFirstToken: 'keep'", async () => {
    const api = endpoint(() => sse(CUT_SSE));
    const { result } = renderKit(() => useApp({ afterFirstToken: 'keep' }));
    result.current.stream.send(ask('hi'));
    await settle();
    await advance(60_000);
    expect(api.count).toBe(1);
    expect(result.current.stream).toMatchObject({ status: 'error', text: 'Here is the first half of', restarted: false });
    expect(result.current.stream.error).toMatchObject({ kind: 'overloaded', midStream: true, retryable: false });
    expect(result.current.stream.retry.phase).toBe('failed');
  });

  it('treats a stream that ends without message_stop as broken and asks again', async () => {
    const api = endpoint((n) => sse(n === 1 ? NO_STOP_SSE : SUCCESS_SSE));
    const { result } = renderKit(() => useApp());
    result.current.stream.send(ask('hi'));
    await settle();
    expect(result.current.stream.status).toBe('waiting');
    expect(result.current.stream.retry.failure).toMatchObject({ kind: 'server_error', midStream: true });
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL, restarted: true });
  });

  it('gives up on a stream that never completes, with an error and the unavailable level', async () => {
    const api = endpoint(() => sse(NO_STOP_SSE));
    const { result } = renderKit(() => useApp());
    result.current.stream.send(ask('hi'));
    await advance(60_000);
    await settle();
    expect(api.count).toBe(5);
    expect(result.current.stream.status).toBe('error');
    expect(result.current.stream.error?.kind).toBe('server_error');
    expect(result.current.demand.level).toBe('unavailable');
  });

  it('retries a 529 before the stream opens like any request', async () => {
    const api = endpoint((n) => (n === 1 ? reply('overloaded') : sse(SUCCESS_SSE)));
    const { result } = renderKit(() => useApp());
    result.current.stream.send(ask('hi'));
    await settle();
    expect(result.current.stream.retry).toMatchObject({ phase: 'waiting', attempt: 1 });
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL, restarted: false });
  });

  it('cancels a stream under way: no further request, status cancelled, demand normal', async () => {
    const live = openSse();
    const api = endpoint(() => live.response);
    const { result } = renderKit(() => useApp());
    result.current.stream.send(ask('hi'));
    await settle();
    live.push(SUCCESS_SSE.slice(0, SUCCESS_SSE.indexOf('event: content_block_stop')));
    await settle();
    expect(result.current.stream.status).toBe('streaming');
    result.current.stream.cancel();
    await settle();
    expect(result.current.stream.status).toBe('cancelled');
    expect(result.current.stream.retry.failure?.kind).toBe('aborted');
    expect(result.current.demand.level).toBe('normal');
    await advance(60_000);
    expect(api.count).toBe(1);
  });

  it('after a cancel says so and keeps the question, which "Send again" sends as it was', async () => {
    const live = openSse();
    const api = endpoint((n) => (n === 1 ? live.response : sse(SUCCESS_SSE)));
    const { result } = renderKit(() => useApp());
    expect(result.current.stream).toMatchObject({ cancelled: false, request: undefined });
    result.current.stream.send(ask('What is jitter?'));
    await settle();
    result.current.stream.cancel();
    await settle();
    expect(result.current.stream.cancelled).toBe(true);
    expect(result.current.stream.request).toMatchObject({ messages: [{ role: 'user', content: 'What is jitter?' }] });
    result.current.stream.send(result.current.stream.request!);
    await settle();
    expect(result.current.stream).toMatchObject({ cancelled: false, status: 'done', text: FULL });
    expect(api.calls[1]!.body).toMatchObject({ messages: [{ role: 'user', content: 'What is jitter?' }] });
  });

  it('a new send replaces the answer under way', async () => {
    const first = openSse();
    const api = endpoint((n) => (n === 1 ? first.response : sse(SUCCESS_SSE)));
    const { result } = renderKit(() => useApp());
    result.current.stream.send('first');
    await settle();
    first.push(CUT_SSE.slice(0, CUT_SSE.indexOf('event: error')));
    await settle();
    expect(result.current.stream.text).toBe('Here is the first half of');
    result.current.stream.send('second');
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL, restarted: false });
  });

  it('calls onFinish with the message and onError with a real failure, never for a cancel', async () => {
    endpoint((n) => (n === 1 ? sse(SUCCESS_SSE) : reply('invalid_request')));
    const onFinish = vi.fn();
    const onError = vi.fn();
    const { result } = renderKit(() => useApp({ onFinish, onError }));
    result.current.stream.send('one');
    await settle();
    expect(onFinish).toHaveBeenCalledWith(expect.objectContaining({ id: 'msg_01StreamOK000000000000001' }));
    result.current.stream.send('two');
    await settle();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ kind: 'invalid_request' }));
    expect(result.current.stream.status).toBe('error');

    endpoint(() => reply('overloaded'));
    result.current.stream.send('three');
    await settle();
    result.current.stream.cancel();
    await settle();
    expect(result.current.stream.status).toBe('cancelled');
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('never double-sends a stream started from an effect under StrictMode', async () => {
    const api = endpoint(() => sse(SUCCESS_SSE));
    const { result } = renderKit(
      () => {
        const stream = useClaudeStream();
        const { send } = stream;
        useEffect(() => send('hi'), [send]);
        return stream;
      },
      {},
      { strict: true },
    );
    await settle();
    expect(api.count).toBe(1);
    expect(result.current).toMatchObject({ status: 'done', text: FULL });
  });

  it('streams the answer again when "Retry now" is pressed after the kit gave up', async () => {
    let busy = true;
    const api = endpoint(() => (busy ? reply('overloaded') : sse(SUCCESS_SSE)));
    const { result } = renderKit(() => useApp(), { policy: { maxAttempts: 2 } });
    result.current.stream.send(ask('hi'));
    await settle();
    await advance(60_000);
    expect(result.current.stream.status).toBe('error');
    expect(result.current.demand.level).toBe('unavailable');
    const sent = api.count;

    busy = false;
    result.current.stream.retry.retryNow();
    await settle();
    expect(api.count).toBe(sent + 1);
    expect(result.current.stream).toMatchObject({ status: 'done', text: FULL });
    expect(result.current.demand.level).toBe('normal');
  });
});
