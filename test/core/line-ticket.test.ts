import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { defaultMessages, headlineFor } from '../../src/core/messages.js';
import { frenchMessages } from '../../src/core/messages-fr.js';

const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
const message = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello' }] };

/** The kit handler's own 529 when a request's turn is further off than it holds: a ticket and the place in line. */
const inLine = (ticket: string, ahead: number, expectedWaitMs: number) =>
  new Response(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_kit_1' }), {
    status: 529,
    headers: {
      'content-type': 'application/json', 'retry-after': '2', 'x-should-retry': 'true',
      'x-claude-kit-ticket': ticket, 'x-claude-kit-line-ahead': String(ahead), 'x-claude-kit-expected-wait-ms': String(expectedWaitMs),
    },
  });

function recordingFetch(answers: Response[]) {
  const tickets: Array<string | null> = [];
  const fetch = vi.fn(async (_url: unknown, init?: RequestInit) => {
    tickets.push(new Headers(init?.headers).get('x-claude-kit-ticket'));
    return answers.shift() ?? new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, tickets };
}

describe("a request's place in the handler's line", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks for a ticket on its first try and echoes the one it was given on each next try', async () => {
    const { fetch, tickets } = recordingFetch([inLine('t-1', 12, 40_000), inLine('t-2', 3, 9_000)]);
    const client = createClaudeClient({ fetch, gate: false });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(120_000);
    await expect(sent.promise).resolves.toMatchObject({ id: 'msg_1' });
    expect(tickets).toEqual(['new', 't-1', 't-2']);
    client.dispose();
  });

  it('says "Claude is busy — you\'re in line" while it waits, and counts down to its expected turn: the one wait shown', async () => {
    const { fetch } = recordingFetch([inLine('t-1', 12, 40_000)]);
    const client = createClaudeClient({ fetch, gate: false });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(0);
    const demand = client.demand.getSnapshot();
    expect(demand).toMatchObject({ level: 'busy', line: { ahead: 12, expectedWaitMs: 40_000 } });
    // The headline is the state (announced once); the figure is the countdown's, which updates silently.
    expect(headlineFor(defaultMessages, demand)).toBe("Claude is busy — you're in line.");
    expect(headlineFor(frenchMessages, demand)).toBe('Claude est très sollicité — vous êtes dans la file.');
    expect(headlineFor({ ...defaultMessages, inLine: undefined }, demand)).toBe(defaultMessages.busy);
    expect(demand.nextAttemptAt).toBe(40_000);
    // It goes back to its place after the handler's retry-after (2 s here), not after a backoff of its own, and the
    // countdown keeps counting to the same turn while it waits there.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(120_000);
    await sent.promise;
    client.dispose();
  });

  it("keeps the plain busy headline for Claude's own 529 (no place in line named)", async () => {
    const claude529 = new Response('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', { status: 529 });
    const { fetch } = recordingFetch([claude529]);
    const client = createClaudeClient({ fetch, gate: false });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(0);
    const demand = client.demand.getSnapshot();
    expect(demand.line).toBeUndefined();
    expect(headlineFor(defaultMessages, demand)).toBe(defaultMessages.busy);
    await vi.advanceTimersByTimeAsync(120_000);
    await sent.promise;
    client.dispose();
  });

  it('sends no ticket header to a cross-origin endpoint unless asked, since a custom header needs a CORS preflight', async () => {
    const crossOrigin = recordingFetch([]);
    const client = createClaudeClient({ fetch: crossOrigin.fetch, endpoint: 'https://api.example/claude' });
    await client.send(request).promise;
    expect(crossOrigin.tickets).toEqual([null]);
    const optedIn = recordingFetch([]);
    const other = createClaudeClient({ fetch: optedIn.fetch, endpoint: 'https://api.example/claude', lineTicket: true });
    await other.send(request).promise;
    expect(optedIn.tickets).toEqual(['new']);
    client.dispose();
    other.dispose();
  });
});
