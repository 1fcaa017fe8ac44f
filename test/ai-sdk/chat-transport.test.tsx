// @vitest-environment jsdom
// useChat over createClaudeChatTransport under <ClaudeProvider>: the kit's banner and toaster follow the chat, from
// the route's HTTP refusals (retried by the kit's policy through the gate) and from the route's data-claude-wait parts.
import { useChat } from '@ai-sdk/react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { createUIMessageStream, createUIMessageStreamResponse } from 'ai';
import type { UIMessageChunk } from 'ai';
import { useMemo } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeChatTransport } from '../../src/ai-sdk/index.js';
import type { ClaudeWait } from '../../src/ai-sdk/index.js';
import { ClaudeToaster, HighDemandBanner } from '../../src/components/index.js';
import type { Clock } from '../../src/core/clock.js';
import { ClaudeProvider, useClaudeClient } from '../../src/react/index.js';

const API = 'http://localhost/api/chat';

/** The real clock (fake timers drive it) with a fixed random draw: full jitter waits half its ceiling. */
const clock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => 0.5,
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: Date.UTC(2026, 11, 5, 12, 0, 0) });
  for (const name of ['hasPointerCapture', 'setPointerCapture', 'releasePointerCapture'] as const) {
    Element.prototype[name] ??= (() => false) as never;
  }
});
afterEach(() => {
  vi.useRealTimers();
});

const overloaded = () => Response.json(
  { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_route' },
  { status: 529, headers: { 'request-id': 'req_route' } },
);

/** The route's streamed answer: `before` chunks (data parts), then the text, written when `go` resolves. */
function answer(text: string, before: UIMessageChunk[] = [], go: Promise<void> = Promise.resolve()) {
  return createUIMessageStreamResponse({
    stream: createUIMessageStream({
      execute: async ({ writer }) => {
        for (const chunk of before) writer.write(chunk);
        await go;
        writer.write({ type: 'text-start', id: 't' });
        writer.write({ type: 'text-delta', id: 't', delta: text });
        writer.write({ type: 'text-end', id: 't' });
      },
    }),
  });
}

function Chat({ fetch }: { fetch: typeof globalThis.fetch }) {
  const client = useClaudeClient();
  const transport = useMemo(() => createClaudeChatTransport({ api: API, client, fetch }), [client, fetch]);
  const { messages, sendMessage, status, error } = useChat({ transport });
  return (
    <>
      <HighDemandBanner />
      <button type="button" onClick={() => void sendMessage({ text: 'Hello' })}>Send</button>
      <output data-testid="status">{status}{error ? `: ${error.message}` : ''}</output>
      <ul aria-label="Messages">
        {messages.map((m) => (
          <li key={m.id}>{m.role}: {m.parts.map((p) => (p.type === 'text' ? p.text : '')).join('')}</li>
        ))}
      </ul>
      <ClaudeToaster />
    </>
  );
}

function renderChat(fetch: typeof globalThis.fetch) {
  render(
    <ClaudeProvider endpoint="/api/claude" clock={clock} gate={{ minClosedMs: 1_000, maxClosedMs: 1_000 }}>
      <Chat fetch={fetch} />
    </ClaudeProvider>,
  );
}

const advance = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));
const banner = () => screen.queryByRole('region', { name: 'Claude status' });
/** The banner's level: 'normal' when it shows nothing. */
const level = () => banner()?.getAttribute('data-level') ?? 'normal';
const bannerText = () => banner()?.textContent ?? '';
const messagesText = () => screen.getByRole('list', { name: 'Messages' }).textContent;
const send = async () => {
  fireEvent.click(screen.getByRole('button', { name: 'Send' }));
};

describe('createClaudeChatTransport', () => {
  it('shows the banner while the route answers 529 twice, retries through the gate, then shows the answer', async () => {
    const calls: number[] = [];
    const fetch = vi.fn(async () => {
      calls.push(Date.now());
      return calls.length <= 2 ? overloaded() : answer('Here is the answer.');
    });
    renderChat(fetch as unknown as typeof globalThis.fetch);
    await send();
    await advance(0);
    expect(calls).toHaveLength(1);
    expect(level()).toBe('busy');
    expect(bannerText()).toContain('Claude is busy right now.');
    // The kit's policy and gate pace the retries (the gate's window is 1 s here): not the AI SDK's, not at once.
    await advance(1_000);
    expect(calls).toHaveLength(2);
    expect(level()).toBe('busy');
    await advance(2_000);
    expect(calls).toHaveLength(3);
    await advance(0);
    expect(messagesText()).toContain('assistant: Here is the answer.');
    expect(screen.getByTestId('status').textContent).toBe('ready');
    expect(level()).toBe('normal');
  });

  it('sends the refused route again at once when the person presses Retry now', async () => {
    const calls: number[] = [];
    const fetch = vi.fn(async () => {
      calls.push(Date.now());
      return calls.length === 1
        ? Response.json({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } }, { status: 429, headers: { 'retry-after': '30' } })
        : answer('Sooner.');
    });
    renderChat(fetch as unknown as typeof globalThis.fetch);
    await send();
    await advance(0);
    expect(level()).toBe('rate_limited');
    await advance(1_000);
    expect(calls).toHaveLength(1);
    fireEvent.click(screen.getAllByRole('button', { name: 'Retry now' })[0]!);
    await advance(0);
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBe(1_000);
    expect(messagesText()).toContain('assistant: Sooner.');
  });

  it('shows the place in line the route reports in data-claude-wait parts, until Claude answers', async () => {
    let go!: () => void;
    const turn = new Promise<void>((resolve) => (go = resolve));
    const waiting: ClaudeWait = { state: 'waiting', ahead: 3, expectedWaitMs: 40_000, retryAfterMs: 1_000, waitedMs: 8_000 };
    const fetch = vi.fn(async () => answer('After the wait.', [
      { type: 'data-claude-wait', id: 'w', data: waiting, transient: true },
    ], turn));
    renderChat(fetch as unknown as typeof globalThis.fetch);
    await send();
    await advance(0);
    expect(level()).toBe('busy');
    expect(bannerText()).toContain("Claude is busy — you're in line.");
    // One duration on screen, the expected turn: the browser makes no attempt of its own to count down to.
    expect(bannerText()).toContain('Your turn in about 40 s.');
    expect(bannerText().match(/\d+ s\b/g)).toHaveLength(1);
    go();
    await advance(0);
    expect(messagesText()).toContain('assistant: After the wait.');
    expect(level()).toBe('normal');
    await advance(5_000);
    expect(screen.queryByText('Back to normal', { exact: true })).not.toBeNull();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('says Claude is unavailable when the server stops waiting, and the chat shows its error', async () => {
    const fetch = vi.fn(async () => createUIMessageStreamResponse({
      stream: createUIMessageStream({
        execute: ({ writer }) => {
          writer.write({ type: 'data-claude-wait', data: { state: 'waiting', waitedMs: 0 }, transient: true });
          writer.write({ type: 'data-claude-wait', data: { state: 'gave-up', retryAfterMs: 1_000, waitedMs: 240_000 }, transient: true });
          throw new Error('Overloaded');
        },
        onError: () => 'Claude is overloaded.',
      }),
    }));
    renderChat(fetch as unknown as typeof globalThis.fetch);
    await send();
    await advance(0);
    expect(level()).toBe('unavailable');
    expect(screen.getByTestId('status').textContent).toBe('error: Claude is overloaded.');
  });

  it('ends the wait without "back to normal" when the route’s call fails otherwise', async () => {
    const fetch = vi.fn(async () => createUIMessageStreamResponse({
      stream: createUIMessageStream({
        execute: ({ writer }) => {
          writer.write({ type: 'data-claude-wait', data: { state: 'waiting', ahead: 2, expectedWaitMs: 9_000, waitedMs: 1_000 }, transient: true });
          throw new Error('max_tokens is above the limit');
        },
        onError: () => 'Bad request.',
      }),
    }));
    renderChat(fetch as unknown as typeof globalThis.fetch);
    await send();
    await advance(0);
    expect(level()).toBe('normal');
    expect(bannerText()).toBe('');
    expect(screen.getByTestId('status').textContent).toBe('error: Bad request.');
    await advance(5_000);
    expect(screen.queryByText('Back to normal', { exact: true })).toBeNull();
  });

  it('stops the chat’s request when the person presses Cancel on the banner', async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      const signal = init?.signal;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify({ type: 'data-claude-wait', data: { state: 'waiting', waitedMs: 0 }, transient: true })}\n\n`));
          signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    renderChat(fetch as unknown as typeof globalThis.fetch);
    await send();
    await advance(0);
    expect(level()).toBe('busy');
    fireEvent.click(screen.getAllByRole('button', { name: 'Cancel' })[0]!);
    await advance(0);
    expect(screen.getByTestId('status').textContent).toBe('ready');
    expect(level()).toBe('normal');
  });

  it('asks for the kit’s client', () => {
    expect(() => createClaudeChatTransport({} as never)).toThrow(/client/);
  });
});
