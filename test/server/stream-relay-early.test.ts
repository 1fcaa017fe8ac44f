// A stream's relay is made while Claude thinks (issue 29: its body stream alone costs 10–20 µs to make in Node 20,
// which delayed the first token). Whether the answer comes before or after it is made, the browser gets the same
// bytes; a relay made for an answer that turns out not to be a stream (a 529 before the first byte) leaves nothing
// behind, and the line still gets its slot back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { API_KEY, post } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const SSE = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
  + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hé"}}\n\n'
  + 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

/** An upstream that answers only when the test says so, recording each call's abort signal. */
function heldUpstream() {
  const calls: { answer: (response: Response) => void; signal?: AbortSignal | null }[] = [];
  const fetch = (_input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((answer) => {
      calls.push({ answer, signal: init?.signal });
    });
  return { calls, fetch };
}

const streamAnswer = () => new Response(SSE, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_early' } });

describe('a stream relayed through a relay made before the answer came', () => {
  it('relays the same bytes whether Claude answers before or after the relay is made', async () => {
    vi.useFakeTimers();
    const texts: string[] = [];
    for (const early of [false, true]) {
      const { calls, fetch } = heldUpstream();
      const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch });
      const pending = handler(post({ stream: true }));
      await vi.waitFor(() => expect(calls).toHaveLength(1));
      // The next turn of the event loop: the relay is made while the upstream call is out.
      if (early) await vi.advanceTimersByTimeAsync(0);
      calls[0]!.answer(streamAnswer());
      const response = await pending;
      expect(response.status).toBe(200);
      expect(response.headers.get('request-id')).toBe('req_early');
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      texts.push(await response.text());
      expect(handler.stats()).toMatchObject({ active: 0, queued: 0 });
      expect(vi.getTimerCount()).toBe(0);
    }
    expect(texts).toEqual([SSE, SSE]);
  });

  it('leaves no timer behind, and gives the slot back, when the answer to a stream request is a 529', async () => {
    vi.useFakeTimers();
    const { calls, fetch } = heldUpstream();
    // holdMs 0: Claude's 529 is passed on at once (nothing is requeued), so the one relay made is never used.
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch, holdMs: 0 });
    const pending = handler(post({ stream: true }));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.answer(Response.json(
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_529' },
      { status: 529, headers: { 'request-id': 'req_529', 'x-should-retry': 'true' } },
    ));
    const response = await pending;
    expect(response.status).toBe(529);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('overloaded_error');
    expect(handler.stats()).toMatchObject({ active: 0, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
