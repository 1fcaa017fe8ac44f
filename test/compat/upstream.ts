// A byte-exact fake of Claude's API for the compatibility matrix: it serves recorded bytes (the fixtures in
// test/fixtures, and answers built to the same wire format for tools and thinking), records every request it gets,
// and is put behind the handler or called directly by the same client, so the two results can be compared.
import { createClaudeHandler } from '../../src/server/index.js';
import type { ClaudeHandlerOptions } from '../../src/server/index.js';
import { anthropic, streamOverloadedMidway, streamSuccess } from '../testing/helpers.js';
import type { FixtureResponse } from '../testing/helpers.js';

export interface UpstreamCall {
  path: string;
  headers: Headers;
  body: Record<string, unknown>;
  at: number;
}

export type Answer = (call: UpstreamCall, index: number) => Response;

export function fakeClaude(answer: Answer) {
  const calls: UpstreamCall[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const call = { path: url.pathname + url.search, headers: request.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, at: Date.now() };
    calls.push(call);
    return answer(call, calls.length - 1);
  };
  return { calls, fetch };
}

const json = (status: number, headers: Record<string, string>, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } });

const sse = (text: string, requestId: string) =>
  new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': requestId, 'cache-control': 'no-cache' } });

export const fixtureAnswer = (fixture: FixtureResponse): Response =>
  json(fixture.status, fixture.headers, typeof fixture.body === 'string' ? fixture.body : JSON.stringify(fixture.body));

const error = (name: string) => anthropic.errors.find((fixture) => fixture.name === name)!;

const message = (content: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'msg_01Compat0000000000000001',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content,
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 10 },
  ...extra,
});

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** A streamed answer that thinks first, in Anthropic's event order (thinking, signature, then text). */
const thinkingStream = [
  event('message_start', { type: 'message_start', message: { ...message([]), id: 'msg_01Think000000000000000001', stop_reason: null, usage: { input_tokens: 20, output_tokens: 1 } } }),
  event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user greets me; ' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'answer briefly.' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCkYIBRgCIkCsig' } }),
  event('content_block_stop', { type: 'content_block_stop', index: 0 }),
  event('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hello!' } }),
  event('content_block_stop', { type: 'content_block_stop', index: 1 }),
  event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 30 } }),
  event('message_stop', { type: 'message_stop' }),
].join('');

/** The answers the matrix serves, one per row. */
export const answers = {
  plain: () => fixtureAnswer(anthropic.success),
  stream: () => sse(streamSuccess, 'req_011CTstream0000000000001'),
  thinking: () => sse(thinkingStream, 'req_011CTthink00000000000001'),
  /** A tool call for the first tool the request offers (a structured-output tool included), else JSON text. */
  tools: (call: UpstreamCall) => {
    const tool = (call.body.tools as { name?: string }[] | undefined)?.[0];
    const content = tool?.name
      ? [{ type: 'tool_use', id: 'toolu_01Compat000000000000001', name: tool.name, input: { city: 'Paris', name: 'Ada', age: 36 } }]
      : [{ type: 'text', text: '{"name":"Ada","age":36}' }];
    return json(200, { 'request-id': 'req_011CTtools00000000000001' }, JSON.stringify(message(content, { stop_reason: tool?.name ? 'tool_use' : 'end_turn' })));
  },
  cached: () =>
    json(200, { 'request-id': 'req_011CTcache00000000000001' }, JSON.stringify(message([{ type: 'text', text: 'Cached.' }], {
      usage: { input_tokens: 4, output_tokens: 3, cache_creation_input_tokens: 2048, cache_read_input_tokens: 0 },
    }))),
  countTokens: () => json(200, { 'request-id': 'req_011CTcount00000000000001' }, '{"input_tokens":14}'),
  overloaded: () => fixtureAnswer(error('overloaded')),
  rateLimited: () => fixtureAnswer(error('rate_limited')),
  midStreamError: () => sse(streamOverloadedMidway, 'req_011CTmidway0000000000001'),
} satisfies Record<string, Answer>;

export const DIRECT_BASE = 'http://claude.test';
export const MOUNT_BASE = 'http://app.test/api/claude';
/** The key the handler holds; the clients hold their own, which the handler never forwards. */
export const SERVER_KEY = ['sk', 'ant', 'api03', 'compatSERVERkey0123456789abcdef', 'AA'].join('-');

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

const settle = <T>(promise: Promise<T>): Promise<Outcome<T>> =>
  promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/**
 * Runs one client call twice: straight at the fake, and at the handler mounted at MOUNT_BASE in front of an
 * identical fake. `run` gets the `fetch` and base URL to give the client. The rows compare relaying, so Claude's
 * 529s are passed on at once (`holdMs: 0`); holding them in line is tested in test/server/shed.test.ts.
 */
export async function bothWays<T>(answer: Answer, run: (fetch: typeof globalThis.fetch, base: string) => Promise<T>, options: ClaudeHandlerOptions = {}) {
  const direct = fakeClaude(answer);
  const behind = fakeClaude(answer);
  const handler = createClaudeHandler({ apiKey: SERVER_KEY, fetch: behind.fetch, logger: { warn: () => {} }, holdMs: 0, ...options });
  const viaHandler = (async (input: string | URL | Request, init?: RequestInit) => handler(new Request(input, init))) as typeof globalThis.fetch;
  return {
    direct: await settle(run(direct.fetch as typeof globalThis.fetch, DIRECT_BASE)),
    viaHandler: await settle(run(viaHandler, MOUNT_BASE)),
    directCalls: direct.calls,
    handlerCalls: behind.calls,
  };
}

/** What Claude received is the same either way: path, body, version and betas (the key is the server's). */
export function sameRequests(a: UpstreamCall[], b: UpstreamCall[]) {
  const view = (calls: UpstreamCall[]) =>
    calls.map((call) => ({ path: call.path, body: call.body, version: call.headers.get('anthropic-version'), beta: call.headers.get('anthropic-beta') }));
  return { direct: view(a), viaHandler: view(b) };
}

export function valueOf<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

export function errorOf(outcome: Outcome<unknown>): unknown {
  if (outcome.ok) throw new Error(`expected an error, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}
