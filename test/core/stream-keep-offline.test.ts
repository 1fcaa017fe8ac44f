import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import type { MessageRequest } from '../../src/core/transport.js';
import { createOnlineSwitch } from './helpers.js';

const SUCCESS = readFileSync(new URL('../fixtures/stream-success.sse', import.meta.url), 'utf8');
const START = SUCCESS.slice(0, SUCCESS.indexOf('event: ping'));
const DELTA = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\n';
const REQUEST: MessageRequest = { max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a stream with afterFirstToken: 'keep'", () => {
  it('keeps its partial text and does not start over when the device went offline mid-answer', async () => {
    const online = createOnlineSwitch(true);
    let breakStream: (() => void) | undefined;
    const fetch = vi.fn(async () => new Response(new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(START + DELTA));
        breakStream = () => controller.error(new TypeError('Failed to fetch'));
      },
    })));
    const client = createClaudeClient({ fetch, online: online.source, gate: false });
    const texts: string[] = [];
    const onRestart = vi.fn();
    const retryer = client.stream(REQUEST, { afterFirstToken: 'keep', onText: (text) => texts.push(text), onRestart });
    const outcome = expect(retryer.promise).rejects.toMatchObject({ kind: 'network', retryable: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(texts).toEqual(['Hel']);
    // The network drops: the browser reports offline and the body errors.
    online.set(false);
    breakStream!();
    await vi.advanceTimersByTimeAsync(0);
    online.set(true);
    await vi.advanceTimersByTimeAsync(60_000);
    await outcome;
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(onRestart).not.toHaveBeenCalled();
    expect(retryer.getSnapshot().phase).toBe('failed');
    client.dispose();
  });
});
