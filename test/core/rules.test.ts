import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { readClaudeError, toClaudeError } from '../../src/core/failure.js';
import { createGate } from '../../src/core/gate.js';
import { defaultMessages, headlineFor } from '../../src/core/messages.js';
import { frenchMessages } from '../../src/core/messages-fr.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { ERROR_TYPES, errorTypeFor, isPressure, isPressureAnswer, kindForStatus, kindForType, SPEND_LIMIT_CODE } from '../../src/core/rules.js';

const policy = createRetryPolicy({ random: () => 0.5 });
const body = (type: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'error', error: { type, message: 'x', ...extra }, request_id: 'req_1' });

describe('the failure rules, written once', () => {
  it.each(ERROR_TYPES)('reads status %i and type %s both ways as kind %s', (status, type, kind) => {
    expect(errorTypeFor(status)).toBe(type);
    expect(kindForType(type)).toBe(kind);
  });

  it('reads a bare status the way the classifier does: 408 a timeout, an unknown 5xx a server error', () => {
    expect(kindForStatus(408)).toBe('timeout');
    expect(kindForStatus(503)).toBe('server_error');
    expect(kindForStatus(504)).toBe('server_error');
    expect(kindForStatus(418)).toBe('unknown');
    expect(errorTypeFor(503)).toBe('api_error');
    expect(errorTypeFor(422)).toBe('invalid_request_error');
  });

  it('counts an overload and a rate limit as pressure, but never the spend limit', () => {
    expect(isPressure('overloaded')).toBe(true);
    expect(isPressure('rate_limited')).toBe(true);
    expect(isPressure('spend_limited')).toBe(false);
    expect(isPressure('server_error')).toBe(false);
    expect(isPressureAnswer(529)).toBe(true);
    expect(isPressureAnswer(429, body('rate_limit_error'))).toBe(true);
    expect(isPressureAnswer(429, body('rate_limit_error', { details: { error_code: SPEND_LIMIT_CODE } }))).toBe(false);
  });
});

describe('x-should-retry', () => {
  it.each([400, 401, 402, 403, 404, 413])('cannot make a %i retryable, as the README promises', async (status) => {
    const failure = await readClaudeError(
      new Response(body(errorTypeFor(status)), { status, headers: { 'x-should-retry': 'true' } }),
    );
    expect(failure.retryable).toBe(false);
    expect(policy.nextDelay(failure, { attempt: 1, elapsedMs: 0 })).toBeNull();
  });

  it('still makes a 409 conflict retryable, as Anthropic’s SDK does', async () => {
    const failure = await readClaudeError(new Response(body('conflict_error'), { status: 409, headers: { 'x-should-retry': 'true' } }));
    expect(failure.retryable).toBe(true);
  });
});

describe('a setup mistake on the app’s server (kind not_configured)', () => {
  const notConfigured = () =>
    new Response(body('api_error'), {
      status: 500,
      headers: { 'x-should-retry': 'false', 'x-claude-kit-error': 'not_configured' },
    });

  it('is classified as not_configured, not as a server error of Claude’s, and never retried', async () => {
    const failure = await readClaudeError(notConfigured());
    expect(failure).toMatchObject({ kind: 'not_configured', status: 500, retryable: false });
    expect(policy.nextDelay(failure, { attempt: 1, elapsedMs: 0 })).toBeNull();
    // Even a header that says otherwise cannot make a deploy problem pass by waiting.
    const insisting = toClaudeError(JSON.parse(body('api_error')), {
      status: 500,
      headers: new Headers({ 'x-should-retry': 'true', 'x-claude-kit-error': 'not_configured' }),
    });
    expect(insisting).toMatchObject({ kind: 'not_configured', retryable: false });
  });

  it('shows as unavailable with its own headline, in English and in French', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const client = createClaudeClient({ fetch: async () => notConfigured() });
      const sent = client.send({ messages: [{ role: 'user', content: 'hi' }] });
      await expect(sent.promise).rejects.toMatchObject({ kind: 'not_configured' });
      await vi.advanceTimersByTimeAsync(0);
      const demand = client.demand.getSnapshot();
      expect(demand).toMatchObject({ level: 'unavailable', lastFailureKind: 'not_configured' });
      expect(headlineFor(defaultMessages, demand)).toBe("This app can't reach Claude right now — its server isn't set up.");
      expect(headlineFor(frenchMessages, demand)).toBe(frenchMessages.notConfigured);
      expect(headlineFor({ ...defaultMessages, notConfigured: undefined }, demand)).toBe(defaultMessages.unavailable);
      client.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('long retry-after values: one treatment', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const limited = (seconds: number) =>
    readClaudeError(new Response(body('rate_limit_error'), { status: 429, headers: { 'retry-after': String(seconds) } }));

  it('waits out a retry-after that fits the budget, never earlier', async () => {
    const failure = await limited(120);
    expect(policy.nextDelay(failure, { attempt: 1, elapsedMs: 0 })).toBeGreaterThanOrEqual(120_000);
  });

  it.each([30 * 60, 2 * 60 * 60, 24 * 60 * 60])('gives up at once on a retry-after of %i s, beyond the budget, keeping when to come back', async (seconds) => {
    const failure = await limited(seconds);
    expect(failure.retryAfterMs).toBe(seconds * 1000);
    expect(policy.nextDelay(failure, { attempt: 1, elapsedMs: 0 })).toBeNull();
  });

  it('holds the others behind the gate for a retry-after within 10 min, and for its usual window only beyond', async () => {
    const within = createGate();
    (await within.acquire()).release({ ok: false, failure: await limited(120) });
    expect(within.getSnapshot().reopenAt).toBe(120_000);

    const beyond = createGate();
    (await beyond.acquire()).release({ ok: false, failure: await limited(24 * 60 * 60) });
    expect(beyond.getSnapshot()).toMatchObject({ state: 'closed', reopenAt: 5_000 });
  });
});
