// createClaudeHandler with `userKey`, on the memory store: one user floods it with 1,100 requests while Claude
// refuses, and another user's request still gets a place and is answered within its turn; the flooder's surplus is
// its own 429. Without `userKey`, the same flood leaves everyone else a 529 at once with 1,000 ahead (as before).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { until } from '../testing/helpers.js';
import { errorOf, handlerOnSimulator, post } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const as = (user: string, kit = false) => {
  const request = post();
  request.headers.set('x-user', user);
  if (kit) request.headers.set('x-claude-kit-ticket', 'new');
  return request;
};
const userKey = (request: Request) => request.headers.get('x-user') ?? undefined;

/** Claude takes two calls at once, each for a second; a third meets a 529 at once. */
function flooded(handlerOptions: Parameters<typeof handlerOnSimulator>[1] = {}) {
  const { handler } = handlerOnSimulator({ capacity: 2, serviceTimeMs: 1000 }, handlerOptions);
  const answered: string[] = [];
  const statuses = new Map<number, number>();
  const send = (name: string, request: Request) =>
    handler(request).then((response) => {
      answered.push(`${name} ${response.status}`);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return response;
    });
  const flood = Array.from({ length: 1100 }, (_, i) => send(`flood ${i}`, as('flood')));
  /** Lets the line drain: every held request is answered or refused within its hold budget. */
  const drain = async () => {
    for (let i = 0; i < 60 && answered.length < flood.length; i++) await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(flood);
  };
  return { handler, answered, statuses, send, drain };
}

describe('createClaudeHandler with userKey', () => {
  it("gives another user's request a place during one user's flood of 1,100, and answers it within its turn", async () => {
    const { handler, answered, statuses, send, drain } = flooded({ userKey });
    // The flooder holds a tenth of the line (maxPerUser 100); the rest of its requests are its own 429s at once.
    // (32 calls went at once, the line's first limit; the 30 that Claude refused wait again at their user's next turn.)
    await until(() => (statuses.get(429) ?? 0) >= 968 && handler.stats().queued >= 130);
    expect([...statuses]).toEqual([[429, 968]]);
    const queued = handler.stats().queued;
    const before = answered.filter((a) => a.endsWith(' 200')).length;
    const other = send('other', as('someone else'));
    await until(() => handler.stats().queued === queued + 1);
    await drain();
    expect((await other).status).toBe(200);
    // Answered among the next few: each user takes its turn, whatever the flooder holds.
    const served = answered.filter((a) => a.endsWith(' 200'));
    expect(served.indexOf('other 200') - before).toBeLessThanOrEqual(3);
  }, 30_000);

  it("answers the flooder's surplus 429 rate_limit_error with retry-after, not Claude's 529", async () => {
    const { handler, send, drain } = flooded({ userKey });
    await until(() => handler.stats().queued >= 100);
    const more = await send('more', as('flood'));
    expect(more.status).toBe(429);
    expect((await errorOf(more)).type).toBe('rate_limit_error');
    expect(Number(more.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(more.headers.get('x-should-retry')).toBe('true');
    await drain();
  }, 30_000);

  it("tells the kit's browser its user's own place in line, not the 100 the flooder holds", async () => {
    const { handler, send, drain } = flooded({ userKey });
    await until(() => handler.stats().queued >= 100);
    const mine = send('mine', as('me', true));
    // The kit's first arrival hears its place within a second.
    await vi.advanceTimersByTimeAsync(1000);
    const response = await mine;
    expect(response.status).toBe(529);
    expect(Number(response.headers.get('x-claude-kit-line-ahead'))).toBeLessThanOrEqual(2);
    await drain();
  }, 30_000);

  it('without userKey, leaves every other request of the same flood a 529 at once with 1,000 ahead (unchanged)', async () => {
    const { handler, send, drain } = flooded();
    await until(() => handler.stats().queued >= 1000);
    const other = await send('other', as('someone else', true));
    expect(other.status).toBe(529);
    expect(other.headers.get('x-claude-kit-line-ahead')).toBe('1000');
    await drain();
  }, 30_000);

  it('refuses a userKey that is not a function, and a maxPerUser below one place, when the handler is created', () => {
    expect(() => handlerOnSimulator({}, { userKey: 'x-user' as never })).toThrow(/userKey: a function/);
    for (const maxPerUser of [0, 2.5, Number.NaN]) {
      expect(() => handlerOnSimulator({}, { userKey, maxPerUser })).toThrow(/maxPerUser: a whole number/);
    }
  });

  it('answers 500 when userKey throws, and never reaches Claude', async () => {
    const { handler, simulator } = handlerOnSimulator({}, {
      userKey: () => {
        throw new Error('no session store');
      },
      logger: { warn: () => {} },
    });
    const response = await handler(post());
    expect(response.status).toBe(500);
    expect(simulator.stats().requests).toBe(0);
  });
});
