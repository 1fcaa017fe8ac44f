// A small test app harness: MSW on the real fetch, a deterministic clock over Vitest's fake timers, and a provider.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { notifyManager, onlineManager, QueryClient } from '@tanstack/react-query';
import { act, render, renderHook, type RenderHookResult, type RenderResult } from '@testing-library/react';
import { http, HttpResponse, type DefaultBodyType, type StrictRequest } from 'msw';
import { setupServer } from 'msw/node';
import { StrictMode, type ReactNode } from 'react';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import type { MessageRequest } from '../../src/core/transport.js';
import { ClaudeProvider, type ClaudeProviderProps } from '../../src/react/context.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';

export const ENDPOINT = 'http://localhost/api/claude';
export const NOW = Date.UTC(2026, 10, 27, 20, 41, 0);

// jsdom gives modules an http: import.meta.url, so fixtures are found from the project root.
const fixtureUrl = (name: string) => resolve(process.cwd(), 'test/fixtures', name);
interface Fixture { name: string; status: number; headers: Record<string, string>; body: unknown }
const responses = JSON.parse(readFileSync(fixtureUrl('anthropic-responses.json'), 'utf8')) as {
  success: Fixture; errors: Fixture[]; proxy_pages: Fixture[];
};
export const SUCCESS_SSE = readFileSync(fixtureUrl('stream-success.sse'), 'utf8');
export const CUT_SSE = readFileSync(fixtureUrl('stream-overloaded-midway.sse'), 'utf8');

export function fixture(name: string): Fixture {
  const found = [...responses.errors, ...responses.proxy_pages].find((f) => f.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

/** A fixture's response; `requestId` replaces its request id (header and body) so episodes can be told apart. */
export function reply(name: string, requestId?: string): Response {
  const f = fixture(name);
  const headers = { ...f.headers, ...(requestId ? { 'request-id': requestId } : {}) };
  if (typeof f.body === 'string') return new HttpResponse(f.body === '' ? null : f.body, { status: f.status, headers });
  const body = requestId ? { ...(f.body as object), request_id: requestId } : f.body;
  return HttpResponse.json(body as DefaultBodyType, { status: f.status, headers });
}

/** A successful Messages answer with the given text. */
export function answer(text = 'Hello! How can I help you today?', id = 'msg_test'): Response {
  const body = responses.success.body as Record<string, unknown>;
  return HttpResponse.json({ ...body, id, content: [{ type: 'text', text }] }, { headers: responses.success.headers });
}

/** An SSE answer. Pass chunks to control where the bytes are cut. */
export function sse(...chunks: string[]): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
}

/** An SSE answer whose chunks the test pushes, to see the text while it grows. */
export function openSse(): { response: Response; push(text: string): void; close(): void } {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    response: new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } }),
    push: (text) => controller.enqueue(encoder.encode(text)),
    close: () => controller.close(),
  };
}

/** An overload that arrives as `event: error` after HTTP 200, before any text. */
export const OVERLOAD_BEFORE_TEXT = SUCCESS_SSE.slice(0, SUCCESS_SSE.indexOf('event: ping')) +
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
/** The success stream cut before `message_stop`, as a proxy that drops the connection would leave it. */
export const NO_STOP_SSE = SUCCESS_SSE.slice(0, SUCCESS_SSE.indexOf('event: message_stop'));

export interface Call { at: number; body: MessageRequest; headers: Headers }

/**
 * The app's endpoint, scripted: each call is answered by `respond(call number from 1, request)`. Calls are
 * recorded with their fake-clock time so tests can count what the gate let through per window.
 */
export function endpoint(respond: (n: number, request: StrictRequest<DefaultBodyType>, body: MessageRequest) => Response | Promise<Response>) {
  const calls: Call[] = [];
  server.use(
    http.post(ENDPOINT, async ({ request }) => {
      const body = (await request.clone().json()) as MessageRequest;
      calls.push({ at: Date.now(), body, headers: request.headers });
      return respond(calls.length, request, body);
    }),
  );
  return {
    calls,
    get count() {
      return calls.length;
    },
    /** Calls whose fake-clock time is in [from, to). */
    between: (from: number, to: number) => calls.filter((c) => c.at >= from && c.at < to).length,
  };
}

export const server = setupServer();

/** MSW on, fake timers (never the microtask queue: fetch and MSW need it), back online after each test. */
export function useKitTestEnvironment(): void {
  beforeAll(() => {
    server.listen({ onUnhandledRequest: 'error' });
    // React Query batches its notifications with setTimeout(0), and fake timers turn a 0 ms timer set during a tick
    // into 1 ms: results would lag until time moves. A microtask keeps every call time in these tests exact.
    notifyManager.setScheduler(queueMicrotask);
  });
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: NOW });
  });
  afterEach(() => {
    server.resetHandlers();
    onlineManager.setOnline(true);
    vi.useRealTimers();
  });
  afterAll(() => server.close());
}

/** The real clock (so fake timers drive it) with a fixed random draw: full jitter then waits half its ceiling. */
export const testClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => 0.5,
};

/**
 * A gate whose shortest window is a steady 1 s: these tests are about the hooks, and read easier in whole seconds
 * than with the default 5 s doubling to 15 s (test/core/gate.test.ts covers that).
 */
export const TEST_GATE = { minClosedMs: 1_000, maxClosedMs: 1_000 } as const;

/** Moves fake time on (0 lets pending fetches, MSW and React settle) inside act. */
export async function advance(ms = 0): Promise<void> {
  await act(() => vi.advanceTimersByTimeAsync(ms));
}

/** Lets network and React settle without moving time: many rounds, since a fetch through MSW crosses many tasks. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await advance(0);
}

export type KitProps = Omit<ClaudeProviderProps, 'children'>;

/** Renders hooks inside `<ClaudeProvider>` (the endpoint above, the test clock) and returns the QueryClient too. */
export function renderKit<T>(
  hook: () => T,
  props: KitProps = {},
  { strict = false }: { strict?: boolean } = {},
): RenderHookResult<T, unknown> & { queryClient: QueryClient } {
  const queryClient = props.queryClient ?? new QueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => {
    const tree = (
      <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={queryClient} gate={TEST_GATE} {...props}>
        {children}
      </ClaudeProvider>
    );
    return strict ? <StrictMode>{tree}</StrictMode> : tree;
  };
  return Object.assign(renderHook(hook, { wrapper }), { queryClient });
}

/** Renders a component tree inside `<ClaudeProvider>`, as `renderKit` does hooks. */
export function renderInKit(ui: ReactNode, props: KitProps = {}): RenderResult & { queryClient: QueryClient } {
  const queryClient = props.queryClient ?? new QueryClient();
  const view = render(
    <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={queryClient} gate={TEST_GATE} {...props}>
      {ui}
    </ClaudeProvider>,
  );
  return Object.assign(view, { queryClient });
}

export const ask = (content: string): MessageRequest => ({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content }] });

/** A chat of one button: "Send" streams `ask('hi')` through the provider's client. */
export function SendButton() {
  const stream = useClaudeStream();
  return (
    <button type="button" onClick={() => stream.send(ask('hi'))}>
      Send
    </button>
  );
}
