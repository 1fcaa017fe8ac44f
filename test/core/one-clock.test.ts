// The browser's side of "one clock": where the kit handler's line paces a request (its 529 names the place), the
// line's turn is the request's next attempt and the one wait on screen; the browser adds no window or backoff.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';

const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
const message = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello' }] };
const ok = () => new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json' } });

/** The handler's 529 to the kit transport: held to tell the person, it names the place and the expected turn. */
const inLine = (expectedWaitMs: number, retryAfter: string | undefined = '1') =>
  new Response(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_kit_1' }), {
    status: 529,
    headers: {
      'content-type': 'application/json', 'x-should-retry': 'true', ...(retryAfter !== undefined && { 'retry-after': retryAfter }),
      'x-claude-kit-ticket': 't', 'x-claude-kit-line-ahead': '4', 'x-claude-kit-expected-wait-ms': String(expectedWaitMs),
    },
  });
const overloaded = () =>
  new Response(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), {
    status: 529, headers: { 'content-type': 'application/json', 'x-should-retry': 'true' },
  });

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a request the handler's line paces", () => {
  it('keeps waiting at its place for as long as its wait budget lasts: its returns spend no retry attempts', async () => {
    let calls = 0;
    // 60 returns to its place (overloaded allows 40 attempts), then its turn.
    const fetch = vi.fn(async () => (++calls <= 60 ? inLine(30_000) : ok()));
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(120_000);
    await expect(sent.promise).resolves.toMatchObject({ id: 'msg_1' });
    expect(calls).toBe(61);
    client.dispose();
  });

  it("closes no window in the browser's gate: another request of the tab goes to the line at once", async () => {
    const sentAt: number[] = [];
    let calls = 0;
    const fetch = vi.fn(async () => {
      sentAt.push(Date.now());
      return ++calls === 1 ? inLine(20_000) : ok();
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const first = client.send(request);
    await vi.advanceTimersByTimeAsync(10);
    const second = client.send({ messages: [{ role: 'user', content: 'another' }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(sentAt).toEqual([0, 10]);
    expect(client.gate?.snapshotOf(undefined).state ?? 'open').toBe('open');
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all([first.promise, second.promise]);
    client.dispose();
  });

  it('shows one moment, its expected turn, while it waits and while it is back at its place', async () => {
    let calls = 0;
    const fetch = vi.fn(async () => {
      calls += 1;
      if (calls === 1) return inLine(30_000);
      // Held at its place by the handler for 8 s, then told its turn is 15 s further off.
      await new Promise<void>((done) => {
        setTimeout(done, 8_000);
      });
      return calls === 2 ? inLine(15_000) : ok();
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot().nextAttemptAt).toBe(30_000);
    await vi.advanceTimersByTimeAsync(1_000); // back at its place, on the wire
    expect(client.demand.getSnapshot()).toMatchObject({ level: 'busy', retrying: true, nextAttemptAt: 30_000 });
    await vi.advanceTimersByTimeAsync(8_000); // the handler's next word: 15 s from now
    expect(client.demand.getSnapshot().nextAttemptAt).toBe(9_000 + 15_000);
    await vi.advanceTimersByTimeAsync(20_000);
    await expect(sent.promise).resolves.toMatchObject({ id: 'msg_1' });
    expect(client.demand.getSnapshot().level).toBe('normal');
    client.dispose();
  });

  it('is not promised "about 1 s" again and again in an outage: once a turn passed, the next is no sooner than it has waited', async () => {
    // An outage: the handler's line names its next probe, a second away, each time it sends the request back.
    let calls = 0;
    const fetch = vi.fn(async () => {
      calls += 1;
      if (calls > 12) return ok();
      // Held at its place for 2 s by the handler, then told its turn is a second away, as every time before.
      if (calls > 1) await new Promise<void>((done) => {
        setTimeout(done, 2_000);
      });
      return inLine(1_000);
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(0);
    // The first estimate is shown as it comes: its turn in a second.
    expect(client.demand.getSnapshot().nextAttemptAt).toBe(1_000);
    const shown: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      // The handler's next word comes 1 s (its retry-after) + 2 s (the hold) later.
      await vi.advanceTimersByTimeAsync(3_000);
      const at = client.demand.getSnapshot().nextAttemptAt;
      if (at !== undefined) shown.push(at - Date.now());
    }
    // The turns it was shown passed: what it is shown next grows with its wait, not "1 s" each time, and a turn shown
    // counts down to its end (3 s less at each word of the handler), never jumping back up mid-way.
    expect(shown.length).toBeGreaterThan(4);
    expect(shown.at(-1)!).toBeGreaterThan(10_000);
    for (let i = 1; i < shown.length; i += 1) {
      if (shown[i]! > shown[i - 1]!) expect(shown[i - 1]!).toBeLessThanOrEqual(3_000);
      else expect(shown[i]!).toBe(shown[i - 1]! - 3_000);
    }
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(sent.promise).resolves.toMatchObject({ id: 'msg_1' });
    client.dispose();
  });

  it('shows a moving line\'s turn as the line names it, also after it missed one turn by a little', async () => {
    let calls = 0;
    // Held by the handler 8 s, then 5 s; its turn named at 10 s, then 13 s (missed by 2 s), then a second away.
    const replies = [[0, 10_000], [8_000, 4_000], [5_000, 1_000]] as const;
    const fetch = vi.fn(async () => {
      const reply = replies[calls++];
      if (!reply) return ok();
      if (reply[0] > 0) await new Promise<void>((done) => {
        setTimeout(done, reply[0]);
      });
      return inLine(reply[1]);
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(0);
    expect(client.demand.getSnapshot().nextAttemptAt).toBe(10_000);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(client.demand.getSnapshot().nextAttemptAt).toBe(13_000);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(Date.now()).toBe(15_000);
    expect(client.demand.getSnapshot().nextAttemptAt).toBe(16_000);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(sent.promise).resolves.toMatchObject({ id: 'msg_1' });
    client.dispose();
  });

  it('never comes back in a loop: without a retry-after after 1 s, and never sooner than half a second', async () => {
    const sentAt: number[] = [];
    const answers = [inLine(10_000, undefined), inLine(10_000, '0'), ok()];
    const fetch = vi.fn(async () => {
      sentAt.push(Date.now());
      return answers.shift()!;
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(5_000);
    await sent.promise;
    expect(sentAt).toEqual([0, 1_000, 1_500]);
    client.dispose();
  });

  it('still backs off on its own when the 529 names no place (a backend without the kit, or holdMs 0)', async () => {
    const sentAt: number[] = [];
    const answers = [overloaded(), ok()];
    const fetch = vi.fn(async () => {
      sentAt.push(Date.now());
      return answers.shift()!;
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(0);
    const { nextAttemptAt, line } = client.demand.getSnapshot();
    expect(line).toBeUndefined();
    expect(nextAttemptAt).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(70_000);
    await sent.promise;
    expect(sentAt[1]).toBe(nextAttemptAt);
    client.dispose();
  });
});

describe('a request the line starts pacing after refusals that closed the tab\'s gate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes back to its place after the handler\'s retry-after, not after the window "Retry now" went past', async () => {
    const sentAt: number[] = [];
    // Claude's own 529 (a handler that passes it through, holdMs 0) closes the tab's gate; the person presses
    // Retry now, which goes past the window, and this time the line names the place.
    const answers = [overloaded(), inLine(4_000), ok()];
    const fetch = vi.fn(async () => {
      sentAt.push(Date.now());
      return answers.shift()!;
    });
    const client = createClaudeClient({ fetch: fetch as unknown as typeof globalThis.fetch });
    const sent = client.send(request);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.gate?.snapshotOf(undefined).state).toBe('closed');
    client.demand.retryNow();
    await vi.advanceTimersByTimeAsync(100);
    expect(sentAt).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(60_000);
    await sent.promise;
    expect(sentAt).toHaveLength(3);
    // The gate's window (5 s from the first 529) was still shut; the return came 1 s after the line's 529.
    expect(sentAt[2]! - sentAt[1]!).toBe(1_000);
    client.dispose();
  });
});
