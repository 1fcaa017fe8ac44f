import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import type { MessageRequest } from '../../src/core/transport.js';
import { fakeTimersClock } from './helpers.js';

const REQUEST: MessageRequest = { max_tokens: 2048, messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'enabled', budget_tokens: 1024 } };
const event = (name: string, data: Record<string, unknown>) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
const START = event('message_start', {
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 20, output_tokens: 1 } },
});
const block = (index: number, content_block: Record<string, unknown>) => event('content_block_start', { index, content_block });
const delta = (index: number, d: Record<string, unknown>) => event('content_block_delta', { index, delta: d });
const THINKING = block(0, { type: 'thinking', thinking: '', signature: '' }) + delta(0, { type: 'thinking_delta', thinking: 'Let me think.' });
const TOOL_CALL = block(0, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }) + delta(0, { type: 'input_json_delta', partial_json: '' });
const TEXT = block(1, { type: 'text', text: '' }) + delta(1, { type: 'text_delta', text: 'Hello' });

const overloaded = () => new Response(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), { status: 529 });

/** Answers the first attempt 529, then streams `events` and holds the stream open (`cut()` breaks it). */
function claude(events: string[]) {
  const cuts: Array<() => void> = [];
  const fetch = vi.fn(async () => {
    if (fetch.mock.calls.length === 1) return overloaded();
    return new Response(new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of events) controller.enqueue(new TextEncoder().encode(chunk));
        cuts.push(() => controller.error(new TypeError('network error')));
      },
    }), { headers: { 'content-type': 'text/event-stream' } });
  });
  return { fetch, cut: () => cuts.at(-1)!() };
}

const clock = fakeTimersClock;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a retried stream whose answer does not start with text', () => {
  it('ends the busy episode as soon as Claude starts thinking, as the first text does', async () => {
    const { fetch } = claude([START, THINKING]);
    const client = createClaudeClient({ fetch, gate: false, clock });
    const onDelta = vi.fn();
    const retryer = client.stream(REQUEST, { onDelta });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot().level).toBe('busy');
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(onDelta).toHaveBeenCalledTimes(1); // the app's own callback hears it too
    // Thinking can last a minute: the banner, toast and countdown must not say "busy" through it.
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'normal', recovered: true });
    retryer.cancel();
    client.dispose();
  });

  it('ends the busy episode as soon as a tool call’s input starts', async () => {
    const { fetch } = claude([START, TOOL_CALL]);
    const client = createClaudeClient({ fetch, gate: false, clock });
    const retryer = client.stream(REQUEST);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'normal', recovered: true });
    retryer.cancel();
    client.dispose();
  });

  it('stays busy while the stream has only opened (its start, an empty block, pings)', async () => {
    const { fetch } = claude([START, block(0, { type: 'thinking', thinking: '', signature: '' }), event('ping', {})]);
    const client = createClaudeClient({ fetch, gate: false, clock });
    const retryer = client.stream(REQUEST);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy', retrying: true });
    retryer.cancel();
    client.dispose();
  });

  it("starts over, even under afterFirstToken: 'keep', when the stream breaks after thinking and before any text", async () => {
    const { fetch, cut } = claude([START, THINKING]);
    const client = createClaudeClient({ fetch, gate: false, clock });
    const onRestart = vi.fn();
    const retryer = client.stream(REQUEST, { afterFirstToken: 'keep', onRestart });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    cut();
    await vi.advanceTimersByTimeAsync(0);
    // Nothing was shown: the stream is retried, silently, and the episode is back until Claude answers again.
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'waiting', failure: { kind: 'network' } });
    expect(client.demand.getSnapshot().level).toBe('busy');
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(onRestart).not.toHaveBeenCalled();
    retryer.cancel();
    client.dispose();
  });
});
