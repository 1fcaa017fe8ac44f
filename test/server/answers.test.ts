import { describe, expect, it } from 'vitest';
import { outcomeOf, outcomeOfStored, outcomeOfStream } from '../../src/server/store/answers.js';

const answer = (status: number, headers: Record<string, string> = {}, body = '{}') => new Response(body, { status, headers });
const spendLimit = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'limit', details: { error_code: 'enforced_spend_limit_reached' } } });

describe('what the line learns from an answer', () => {
  it('takes a 529 and a rate-limit 429 as pressure, with their retry-after', async () => {
    expect(await outcomeOf(answer(529))).toEqual({ status: 529, pressure: true });
    expect(await outcomeOf(answer(429, { 'retry-after': '20' }))).toEqual({ status: 429, retryAfterMs: 20_000, pressure: true });
  });

  it('never takes the spend-limit 429 as pressure: no wait cures it, so it must not hold everyone back', async () => {
    expect(await outcomeOf(answer(429, { 'retry-after': '20' }, spendLimit))).toMatchObject({ status: 429, pressure: false });
    expect(outcomeOfStored({ status: 429, headers: {}, body: spendLimit }).pressure).toBe(false);
  });

  it("does not pass on a retry-after longer than a gate ever holds (a proxy's day-long one would shut the line for a day)", async () => {
    expect(await outcomeOf(answer(529, { 'retry-after': '86400' }))).toEqual({ status: 529, pressure: true });
    expect(await outcomeOf(answer(529, { 'retry-after': '300' }))).toEqual({ status: 529, retryAfterMs: 300_000, pressure: true });
  });
});

describe('what the line learns from a stream once it has ended', () => {
  const event = (type: string) => JSON.stringify({ type: 'error', error: { type, message: 'm' } });

  it("takes Claude's mid-stream overload or rate limit as the 529 or 429 it stands for", () => {
    expect(outcomeOfStream(200, event('overloaded_error'))).toEqual({ status: 529, pressure: true });
    expect(outcomeOfStream(200, event('rate_limit_error'))).toEqual({ status: 429, pressure: true });
  });

  it('counts a normal end, another error, an unreadable one or the spend limit as the 200 it started with', () => {
    expect(outcomeOfStream(200, undefined)).toEqual({ status: 200, pressure: false });
    expect(outcomeOfStream(200, event('api_error'))).toEqual({ status: 200, pressure: false });
    expect(outcomeOfStream(200, 'not json')).toEqual({ status: 200, pressure: false });
    expect(outcomeOfStream(200, spendLimit)).toEqual({ status: 200, pressure: false });
  });
});
