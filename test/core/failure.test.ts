import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { ClaudeError, isClaudeError, parseRetryAfter, readClaudeError, toClaudeError } from '../../src/core/failure.js';
import type { FailureKind } from '../../src/core/types.js';

const fixtureUrl = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
interface Fixture { name: string; status: number; headers: Record<string, string>; body: unknown }
const fixtures = JSON.parse(readFileSync(fixtureUrl('anthropic-responses.json'), 'utf8')) as {
  errors: Fixture[]; proxy_pages: Fixture[];
};

const KINDS: FailureKind[] = ['overloaded', 'rate_limited', 'spend_limited', 'server_error', 'timeout', 'network',
  'offline', 'invalid_request', 'authentication', 'billing', 'permission', 'not_found', 'conflict',
  'request_too_large', 'aborted', 'unknown'];
const MARKUP = /<\/?[a-z!][^>]*>/i;

function responseOf(f: Pick<Fixture, 'status' | 'headers' | 'body'>): Response {
  const body = typeof f.body === 'string' ? f.body : JSON.stringify(f.body);
  return new Response(body === '' ? null : body, { status: f.status, headers: f.headers });
}

const expected: Record<string, [FailureKind, boolean]> = {
  overloaded: ['overloaded', true], rate_limited: ['rate_limited', true], spend_limited: ['spend_limited', false],
  invalid_request: ['invalid_request', false], authentication: ['authentication', false], billing: ['billing', false],
  permission: ['permission', false], not_found: ['not_found', false], conflict: ['conflict', false],
  request_too_large: ['request_too_large', false], api_error: ['server_error', true],
  timeout: ['server_error', true], // 504 timeout_error: Claude's side gave up, see KIND_BY_TYPE
  bad_gateway_html: ['server_error', true], service_unavailable_html: ['server_error', true],
  empty_529: ['overloaded', true],
};

describe('readClaudeError', () => {
  it.each([...fixtures.errors, ...fixtures.proxy_pages].map((f) => [f.name, f] as const))(
    'classifies the %s fixture',
    async (name, fixture) => {
      const error = await readClaudeError(responseOf(fixture));
      const [kind, retryable] = expected[name]!;
      expect(error).toBeInstanceOf(ClaudeError);
      expect(error.kind).toBe(kind);
      expect(error.retryable).toBe(retryable);
      expect(error.status).toBe(fixture.status);
      expect(error.midStream).toBe(false);
      expect(error.message).not.toMatch(MARKUP);
      expect(error.message.length).toBeGreaterThan(0);
      const body = fixture.body as { request_id?: string; error?: { type: string; message: string } };
      expect(error.requestId).toBe(fixture.headers['request-id'] ?? body.request_id);
      if (body.error) expect([error.type, error.message]).toEqual([body.error.type, body.error.message]);
    },
  );

  it('reads retry-after seconds of the 429 into retryAfterMs', async () => {
    const f = fixtures.errors.find((e) => e.name === 'rate_limited')!;
    expect((await readClaudeError(responseOf(f))).retryAfterMs).toBe(17_000);
  });

  it('gives a bare 529 a clean developer message', async () => {
    const error = await readClaudeError(new Response(null, { status: 529 }));
    expect(error.message).toBe('overloaded (HTTP 529)');
  });

  it('falls back to the status for JSON that is not an Anthropic error', async () => {
    const error = await readClaudeError(responseOf({ status: 503, headers: {}, body: { message: 'Service <b>down</b>' } }));
    expect([error.kind, error.message]).toEqual(['server_error', 'Service down']);
  });

  it('lets a known error type win over the status', async () => {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    expect((await readClaudeError(responseOf({ status: 500, headers: {}, body }))).kind).toBe('overloaded');
  });

  it('does not reject when the body was already read', async () => {
    const response = new Response('{}', { status: 502 });
    await response.text();
    expect((await readClaudeError(response)).kind).toBe('server_error');
  });
});

describe('x-should-retry', () => {
  const body = (type: string) => ({ type: 'error', error: { type, message: 'm' } });
  it('makes a retryable kind not retryable when false', async () => {
    const r = responseOf({ status: 529, headers: { 'x-should-retry': 'false' }, body: body('overloaded_error') });
    expect((await readClaudeError(r)).retryable).toBe(false);
  });
  it('makes a conflict retryable when true', async () => {
    const r = responseOf({ status: 409, headers: { 'x-should-retry': 'true' }, body: body('conflict_error') });
    expect((await readClaudeError(r)).retryable).toBe(true);
  });
  it('never makes a spend limit or an abort retryable', () => {
    const headers = new Headers({ 'x-should-retry': 'true' });
    const spend = { type: 'error', error: { type: 'rate_limit_error', message: 'm', details: { error_code: 'enforced_spend_limit_reached' } } };
    expect(toClaudeError(spend, { status: 429, headers }).retryable).toBe(false);
    expect(toClaudeError(new DOMException('stop', 'AbortError'), { headers }).retryable).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = () => Date.parse('2026-11-27T20:41:00Z');
  it.each([
    ['retry-after-ms as float milliseconds, first', { 'retry-after-ms': '1500.4', 'retry-after': '9' }, 1501],
    ['retry-after as seconds', { 'retry-after': '20' }, 20_000],
    ['retry-after as an HTTP date', { 'retry-after': 'Fri, 27 Nov 2026 20:41:17 GMT' }, 17_000],
    ['retry-after when retry-after-ms is garbage', { 'retry-after-ms': 'soon', 'retry-after': '2' }, 2000],
    ['zero as zero', { 'retry-after': '0' }, 0],
    ['a negative value as nothing', { 'retry-after': '-5' }, undefined],
    ['garbage as nothing', { 'retry-after': 'tomorrow-ish' }, undefined],
    ['a bare number-like date as nothing', { 'retry-after': '1e3' }, undefined],
    ['a past date as nothing', { 'retry-after': 'Fri, 27 Nov 2026 20:40:00 GMT' }, undefined],
    ['a day as a day (the policy, not the parser, decides what is too long)', { 'retry-after': '86400' }, 86_400_000],
    ['an hour exactly as an hour', { 'retry-after-ms': '3600000' }, 3_600_000],
    ['more than a timer can wait (24.8 days) as the most it can (the policy then gives up at once)', { 'retry-after': '2147484' }, 2_147_483_647],
  ] as const)('reads %s', (_, headers, ms) => {
    expect(parseRetryAfter(new Headers(headers), now)).toBe(ms);
    expect(parseRetryAfter(headers, now)).toBe(ms); // plain-object headers, as older SDKs give
  });
});

describe('request id', () => {
  it('comes from the request-id header first', () => {
    const error = toClaudeError({ type: 'error', error: { type: 'api_error', message: 'x' }, request_id: 'req_body' },
      { headers: new Headers({ 'request-id': 'req_header' }) });
    expect(error.requestId).toBe('req_header');
  });
  it('comes from the body request_id otherwise', () => {
    expect(toClaudeError({ type: 'error', error: { type: 'api_error', message: 'x' }, request_id: 'req_b' }).requestId)
      .toBe('req_b');
  });
  it('comes from an SDK error requestID', () => {
    const error = new APIError(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined, new Headers({ 'request-id': 'req_sdk', 'x-should-retry': 'true' }));
    expect(toClaudeError(error)).toMatchObject({ kind: 'overloaded', requestId: 'req_sdk', retryable: true,
      status: 529, message: 'Overloaded' });
  });
});

describe('toClaudeError on stream errors', () => {
  const errorEvent = (file: string) => {
    const text = readFileSync(fixtureUrl(file), 'utf8');
    const block = text.split(/\n\n/).find((b) => b.startsWith('event: error'));
    return block?.split('\n').find((l) => l.startsWith('data: '))?.slice(6);
  };
  it('marks the overloaded error event of a stream cut midway', () => {
    const data = errorEvent('stream-overloaded-midway.sse')!;
    for (const input of [JSON.parse(data), data]) {
      expect(toClaudeError(input, { midStream: true })).toMatchObject({ kind: 'overloaded', retryable: true,
        midStream: true, type: 'overloaded_error', message: 'Overloaded' });
    }
  });
  it('finds no error event in the successful stream', () => {
    expect(errorEvent('stream-success.sse')).toBeUndefined();
  });
  it('reads an SDK APIError without status from a broken stream as mid-stream overload', () => {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const error = new APIError(undefined, body, undefined, new Headers({ 'request-id': 'req_s' }), 'overloaded_error');
    expect(toClaudeError(error)).toMatchObject({ kind: 'overloaded', midStream: true, requestId: 'req_s' });
  });
});

describe('toClaudeError on thrown values', () => {
  it.each<[string, unknown, FailureKind, boolean]>([
    ['a browser fetch failure', new TypeError('Failed to fetch'), 'network', true],
    ['an undici fetch failure', new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), 'network', true],
    ['a Safari fetch failure', new TypeError('Load failed'), 'network', true],
    ['a programming TypeError', new TypeError('x is not a function'), 'unknown', false],
    ['a TimeoutError', new DOMException('timed out', 'TimeoutError'), 'timeout', true],
    ['an AbortError', new DOMException('aborted', 'AbortError'), 'aborted', false],
    ['an SDK user abort', new APIUserAbortError(), 'aborted', false],
    ['an SDK connection error', new APIConnectionError({ message: 'Connection error.' }), 'network', true],
    ['an SDK connection timeout', new APIConnectionTimeoutError(), 'timeout', true],
    ['a plain Anthropic body', { type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }, 'rate_limited', true],
    ['an SDK-like object with plain headers', { status: 503, headers: { 'X-Should-Retry': 'false' }, error: {} }, 'server_error', false],
    ['a string', 'boom', 'unknown', false],
    ['null', null, 'unknown', false],
    ['undefined', undefined, 'unknown', false],
    ['a number', 529, 'unknown', false],
    ['an unknown object', { foo: 1 }, 'unknown', false],
  ])('classifies %s', (_, input, kind, retryable) => {
    const error = toClaudeError(input);
    expect([error.kind, error.retryable]).toEqual([kind, retryable]);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('returns a ClaudeError unchanged', () => {
    const error = new ClaudeError({ kind: 'offline', message: 'Offline' });
    expect(toClaudeError(error)).toBe(error);
    expect(error.retryable).toBe(true);
    expect(isClaudeError(error)).toBe(true);
  });

  it('survives throwing getters, circular objects and hostile proxies', () => {
    const circular: Record<string, unknown> = { status: 529 };
    circular.self = circular;
    circular.error = circular;
    const getters = Object.defineProperty({ status: 429 }, 'error', { get() { throw new Error('no'); } });
    const trap = () => { throw new Error('trap'); };
    const proxy = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap });
    expect(toClaudeError(circular).kind).toBe('overloaded');
    expect(toClaudeError(getters).kind).toBe('rate_limited');
    expect(toClaudeError(proxy).kind).toBe('unknown');
    expect(toClaudeError(proxy, { status: 529 }).kind).toBe('overloaded');
  });
});

describe('toClaudeError properties', () => {
  const check = (input: unknown) => {
    const error = toClaudeError(input);
    return error instanceof ClaudeError && KINDS.includes(error.kind) && typeof error.retryable === 'boolean'
      && error.message.length > 0 && !MARKUP.test(error.message);
  };
  it('never throws and always gives a valid kind for anything', () => {
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withMap: true }), check),
      { numRuns: 3000 });
  });
  it('never throws for objects shaped like errors', () => {
    const header = fc.oneof(fc.string(), fc.constantFrom('true', 'false', '17', '-1', 'Fri, 27 Nov 2026 20:41:17 GMT'));
    const headers = fc.dictionary(fc.constantFrom('request-id', 'x-should-retry', 'retry-after', 'retry-after-ms'), header);
    const type = fc.oneof(fc.string(), fc.constantFrom('overloaded_error', 'rate_limit_error', 'api_error', 'error'));
    const body = fc.record({ type, error: fc.oneof(fc.anything(), fc.record({ type, message: fc.anything(),
      details: fc.record({ error_code: fc.constantFrom('enforced_spend_limit_reached', 'x') }) })),
    request_id: fc.anything() }, { requiredKeys: [] });
    const shaped = fc.record({
      status: fc.oneof(fc.integer({ min: -1, max: 700 }), fc.double(), fc.constant(undefined)),
      name: fc.oneof(fc.string(), fc.constantFrom('AbortError', 'TimeoutError', 'TypeError', 'APIConnectionError')),
      message: fc.oneof(fc.string(), fc.constant('<html><b>fetch failed</b></html>'), fc.anything()),
      headers: fc.oneof(headers, headers.map((h) => new Headers(h))),
      error: body, cause: fc.anything(), code: fc.oneof(fc.string(), fc.constantFrom('ECONNRESET', 'ETIMEDOUT')),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(shaped, body, body.map((b) => JSON.stringify(b))), check), { numRuns: 3000 });
  });
});
