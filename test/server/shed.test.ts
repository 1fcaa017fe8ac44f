// The handler's line toward Claude, seen from the browser: requests wait their turn, Claude's 529s send a request
// back to its place instead of to the browser, and a request that cannot be served within its hold budget gets a 529
// that says when to come back, with a ticket for its place when the kit's transport asks for one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { createMemoryStore } from '../../src/server/index.js';
import { MODEL, until } from '../testing/helpers.js';
import { errorOf, handlerOnSimulator, post } from './helpers.js';

// setImmediate stays real so `until` can let the in-process request pipeline settle; timeouts are fake.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const kitPost = (ticket = 'new', init: RequestInit = {}) => {
  const request = post({}, init);
  request.headers.set('x-claude-kit-ticket', ticket);
  return request;
};

describe('createClaudeHandler keeps one line toward Claude', () => {
  it('answers a request that finds the line full 529 with retry-after, and plain Anthropic headers to other clients', async () => {
    const { handler } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 1 });
    const first = handler(post());
    const second = handler(post());
    await until(() => handler.stats().active === 1 && handler.stats().queued === 1);
    const third = await handler(post());
    expect(third.status).toBe(529);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(third.headers.get('x-should-retry')).toBe('true');
    expect(third.headers.get('request-id')).toMatch(/^req_kit_/);
    expect((await errorOf(third)).type).toBe('overloaded_error');
    expect([...third.headers.keys()].filter((name) => name.startsWith('x-claude-kit'))).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
  });

  it('tells the kit its place in line, its expected wait and a ticket when the line is full', async () => {
    const { handler } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 1 });
    const first = handler(post());
    const second = handler(post());
    await until(() => handler.stats().queued === 1);
    const third = await handler(kitPost());
    expect(third.status).toBe(529);
    expect(third.headers.get('x-claude-kit-ticket')).toMatch(/^[0-9a-f-]{36}$/);
    expect(third.headers.get('x-claude-kit-line-ahead')).toBe('1');
    expect(Number(third.headers.get('x-claude-kit-expected-wait-ms'))).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all([first, second]);
  });

  it("holds a request that Claude refuses and answers it once Claude takes it, so the browser never sees that 529", async () => {
    const { handler, simulator } = handlerOnSimulator({ script: ['529'] });
    const answer = handler(post());
    // The 529 closed the line's window for a second; then the request goes again, first in line.
    await vi.advanceTimersByTimeAsync(1000);
    const response = await answer;
    expect(response.status).toBe(200);
    expect(simulator.stats().requests).toBe(2);
  });

  it('holds a stream refused before its first byte the same way', async () => {
    const { handler, simulator } = handlerOnSimulator({ script: ['529'] });
    const answer = handler(post({ stream: true }));
    await vi.advanceTimersByTimeAsync(1000);
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    await response.text();
    expect(simulator.stats().requests).toBe(2);
    expect(handler.stats().active).toBe(0);
  });

  it('answers 529 once the hold budget is spent, after one probe per closed window rather than a tight loop', async () => {
    const { handler, simulator } = handlerOnSimulator({ script: Array(50).fill('529') }, { holdMs: 5000 });
    const answer = handler(post());
    await vi.advanceTimersByTimeAsync(5000);
    const response = await answer;
    expect(response.status).toBe(529);
    // One call, then one probe per closed window (one a second in an outage's first 10 s, then 2 s, never longer: a
    // probe at least every 2 s finds Claude's return within 2 s): calls at 0, 1, 2, 3, 4 and 5 s, not fifty.
    expect(simulator.stats().requests).toBe(6);
  });

  it("tells the kit's first arrival its place within a second, its returns within lineUpdateMs, while an SDK request is held the whole holdMs", async () => {
    const { handler } = handlerOnSimulator({ script: Array(50).fill('529') }, { holdMs: 20_000, lineUpdateMs: 6_000 });
    let firstStatus = 0;
    let first: Response | undefined;
    void handler(kitPost()).then((r) => ((first = r), (firstStatus = r.status)));
    await vi.advanceTimersByTimeAsync(999);
    expect(firstStatus).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => firstStatus !== 0);
    expect(firstStatus).toBe(529);
    const ticket = first!.headers.get('x-claude-kit-ticket');
    expect(ticket).toBeTruthy();
    let kitStatus = 0;
    let sdkStatus = 0;
    let kit: Response | undefined;
    void handler(kitPost(ticket!)).then((r) => ((kit = r), (kitStatus = r.status)));
    void handler(post()).then((r) => (sdkStatus = r.status));
    await vi.advanceTimersByTimeAsync(5_999);
    expect(kitStatus).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => kitStatus !== 0);
    expect(kitStatus).toBe(529);
    // Its place is kept: it comes straight back with its ticket rather than staying away while its turn may come.
    expect(kit!.headers.get('retry-after')).toBe('1');
    expect(kit!.headers.get('x-claude-kit-ticket')).toBeTruthy();
    expect(sdkStatus).toBe(0);
    await vi.advanceTimersByTimeAsync(14_000);
    await until(() => sdkStatus !== 0);
    expect(sdkStatus).toBe(529);
  });

  it("lets the official SDK read the handler's own 529 as Anthropic's overloaded_error, with retry-after and no kit header", async () => {
    const { handler } = handlerOnSimulator({ script: Array(50).fill('529') }, { holdMs: 5000 });
    const sdk = new Anthropic({ apiKey: 'unused', baseURL: 'http://app.test', maxRetries: 0, fetch: async (url, init) => handler(new Request(url, init)) });
    const failing = sdk.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5000);
    const error = await failing;
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect([apiError.status, apiError.type]).toEqual([529, 'overloaded_error']);
    expect(Number(apiError.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect([...(apiError.headers?.keys() ?? [])].filter((name) => name.startsWith('x-claude-kit'))).toEqual([]);
  });

  it('serves a request that comes back with its ticket before those that arrived after it', async () => {
    // A limit that starts at one call and may grow once Claude answers.
    const store = createMemoryStore({ line: { limit: { initial: 1 }, maxQueue: 2 } });
    const { handler } = handlerOnSimulator({ serviceTimeMs: 1000 }, { store, holdMs: 500 });
    const order: string[] = [];
    const track = (name: string, response: Promise<Response>) => response.then((r) => (order.push(`${name} ${r.status}`), r));
    const first = track('first', handler(post()));
    await until(() => handler.stats().active === 1);
    const early = handler(kitPost());
    await vi.advanceTimersByTimeAsync(500);
    const ticket = (await early).headers.get('x-claude-kit-ticket')!;
    expect((await early).status).toBe(529);
    const later = track('later', handler(post()));
    await until(() => handler.stats().queued === 1);
    // The ticket's owner arrived before the later one: it goes first, though it joined the line after it.
    const back = track('back', handler(kitPost(ticket)));
    await until(() => handler.stats().queued === 2);
    await vi.advanceTimersByTimeAsync(3000);
    await Promise.all([first, back, later]);
    expect(order).toEqual(['first 200', 'back 200', 'later 200']);
  });

  it('keeps the line within maxQueue, and gives a request refused for that a ticket for the same place', async () => {
    const { handler } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 1 });
    const first = handler(post());
    const second = handler(post());
    await until(() => handler.stats().queued === 1);
    const refused = await handler(kitPost());
    const again = await handler(kitPost(refused.headers.get('x-claude-kit-ticket')!));
    expect([refused.status, again.status]).toEqual([529, 529]);
    expect(again.headers.get('x-claude-kit-ticket')).toMatch(/^[0-9a-f-]{36}$/);
    expect(handler.stats().queued).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all([first, second]);
  });

  it('frees the place of a queued request whose browser goes away', async () => {
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 1 });
    const first = handler(post());
    const browser = new AbortController();
    const leaving = handler(post({}, { signal: browser.signal }));
    await until(() => handler.stats().queued === 1);
    browser.abort();
    expect((await leaving).status).toBe(499);
    const third = handler(post());
    await until(() => handler.stats().queued === 1);
    await vi.advanceTimersByTimeAsync(2000);
    expect([(await first).status, (await third).status]).toEqual([200, 200]);
    expect(simulator.stats().requests).toBe(2);
  });

  it('never lets more calls reach Claude at once than a maxConcurrency the app set', async () => {
    const { handler, simulator } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 2 });
    const answers = Array.from({ length: 6 }, () => handler(post()));
    for (let i = 0; i < 4; i++) await vi.advanceTimersByTimeAsync(1000);
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(simulator.stats().maxInFlight).toBe(2);
  });

  it('holds a slot for a stream until it has been relayed to the end', async () => {
    const { handler } = handlerOnSimulator({ serviceTimeMs: 1000 }, { maxConcurrency: 1, maxQueue: 0 });
    const stream = await handler(post({ stream: true }));
    expect(handler.stats().active).toBe(1);
    expect((await handler(post())).status).toBe(529);
    const text = stream.text();
    await vi.advanceTimersByTimeAsync(1000);
    await text;
    expect(handler.stats().active).toBe(0);
  });
});
