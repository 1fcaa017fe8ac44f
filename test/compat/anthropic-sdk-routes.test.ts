// The rest of Claude's API through the mount, by opt-in (`allowRoutes`): the official SDK's models, batches and files
// calls, made over real HTTP to the handler on loopback, in front of a fake of those APIs that records what arrived.
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createClaudeHandler, createMemoryStore } from '../../src/server/index.js';
import type { ClaudeHandlerOptions, ClaudeRoute } from '../../src/server/index.js';
import { listenSimulator } from '../../src/testing/listen.js';
import type { ListeningSimulator } from '../../src/testing/listen.js';
import { SERVER_KEY } from './upstream.js';

const UPSTREAM = 'https://claude.test';

interface Arrived {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
}

const model = (id: string) => ({ type: 'model', id, display_name: id, created_at: '2026-01-01T00:00:00Z' });
const batch = (id: string, status = 'ended') => ({
  id, type: 'message_batch', processing_status: status,
  request_counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 0 },
  created_at: '2026-12-05T10:00:00Z', ended_at: '2026-12-05T10:01:00Z', expires_at: '2026-12-06T10:00:00Z',
  archived_at: null, cancel_initiated_at: null, results_url: `https://api.anthropic.com/v1/messages/batches/${id}/results`,
});
const fileMeta = (id: string, size: number) => ({
  type: 'file', id, filename: 'scan.pdf', mime_type: 'application/pdf', size_bytes: size, created_at: '2026-12-05T10:00:00Z', downloadable: true,
});
const resultLine = (id: string) => ({
  custom_id: id,
  result: { type: 'succeeded', message: { id: 'msg_batch1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } },
});

/** A fake of Claude's models, batches and files APIs; it demands the server's key as Anthropic would. */
function fakeApi(options: { echoKey?: boolean } = {}) {
  const arrived: Arrived[] = [];
  const files = new Map<string, Uint8Array>();
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = new Uint8Array(await request.arrayBuffer());
    arrived.push({ method: request.method, path: url.pathname + url.search, headers: request.headers, body });
    const json = (value: unknown, status = 200) => Response.json(value, { status, headers: { 'request-id': `req_${arrived.length}` } });
    if (request.headers.get('x-api-key') !== SERVER_KEY) return json({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }, 401);
    const path = url.pathname;
    const echo = options.echoKey ? ` (key ${SERVER_KEY})` : '';
    if (path === '/v1/models') return json({ data: [model('claude-sonnet-4-5'), model(`claude-opus-4-1${echo}`)], has_more: false, first_id: 'claude-sonnet-4-5', last_id: 'claude-opus-4-1' });
    if (path.startsWith('/v1/models/')) return json(model(path.slice('/v1/models/'.length)));
    if (path === '/v1/messages/batches' && request.method === 'POST') return json(batch('msgbatch_01', 'in_progress'));
    if (path === '/v1/messages/batches') return json({ data: [batch('msgbatch_01')], has_more: false, first_id: 'msgbatch_01', last_id: 'msgbatch_01' });
    if (path === '/v1/messages/batches/msgbatch_01/results') {
      return new Response(`${JSON.stringify(resultLine('first'))}\n${JSON.stringify(resultLine('second'))}\n`, { headers: { 'content-type': 'application/binary', 'request-id': 'req_results' } });
    }
    if (path === '/v1/messages/batches/msgbatch_01/cancel') return json(batch('msgbatch_01', 'canceling'));
    if (path === '/v1/messages/batches/msgbatch_01' && request.method === 'DELETE') return json({ id: 'msgbatch_01', type: 'message_batch_deleted' });
    if (path === '/v1/messages/batches/msgbatch_01') return json(batch('msgbatch_01'));
    if (path === '/v1/files' && request.method === 'POST') {
      const form = await new Request(request.url, { method: 'POST', headers: request.headers, body }).formData();
      const file = form.get('file') as File;
      const bytes = new Uint8Array(await file.arrayBuffer());
      files.set('file_01', bytes);
      return json(fileMeta('file_01', bytes.length));
    }
    if (path === '/v1/files') return json({ data: [fileMeta('file_01', files.get('file_01')?.length ?? 0)], has_more: false, first_id: 'file_01', last_id: 'file_01' });
    if (path === '/v1/files/file_01/content') {
      const stored = files.get('file_01')!;
      const withKey = options.echoKey ? new Uint8Array([...stored, ...new TextEncoder().encode(SERVER_KEY)]) : stored;
      return new Response(withKey as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="scan.pdf"', 'request-id': 'req_content' } });
    }
    if (path === '/v1/files/file_01' && request.method === 'DELETE') return json({ id: 'file_01', type: 'file_deleted' });
    if (path === '/v1/files/file_01') return json(fileMeta('file_01', files.get('file_01')?.length ?? 0));
    return json({ type: 'error', error: { type: 'not_found_error', message: `Not found: ${path}` } }, 404);
  };
  return { arrived, fetch };
}

let server: ListeningSimulator | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The handler on a real loopback HTTP server, and the official SDK pointed at its mount. */
async function mounted(options: ClaudeHandlerOptions, api = fakeApi()) {
  const handler = createClaudeHandler({ apiKey: SERVER_KEY, baseURL: UPSTREAM, fetch: api.fetch, logger: { warn: () => {} }, ...options });
  server = await listenSimulator({ fetch: (input, init) => handler(new Request(input, init)) });
  const mount = `${server.url}/api/claude`;
  const sdk = new Anthropic({ apiKey: 'client-side-key', baseURL: mount, maxRetries: 0 });
  return { api, handler, mount, sdk };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the rest of the API through the mount, by opt-in', () => {
  it('answers models, batches and files 404 by default, naming the option, without calling Claude', async () => {
    const { api, sdk } = await mounted({});
    for (const [call, route] of [
      [() => sdk.models.list(), 'models'],
      [() => sdk.messages.batches.create({ requests: [] }), 'batches'],
      [() => sdk.beta.files.list(), 'files'],
    ] as const) {
      const error = await (call as () => Promise<unknown>)().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.NotFoundError);
      expect((error as Error).message).toContain(`allowRoutes: ['${route}']`);
    }
    expect(api.arrived).toEqual([]);
  });

  it('models: list and retrieve, with the server key and the client version, never the client key', async () => {
    const { api, sdk } = await mounted({ allowRoutes: ['models'] });
    const page = await sdk.models.list({ limit: 2 });
    expect(page.data.map((m) => m.id)).toEqual(['claude-sonnet-4-5', 'claude-opus-4-1']);
    expect((await sdk.models.retrieve('claude-sonnet-4-5')).id).toBe('claude-sonnet-4-5');
    expect(api.arrived.map((a) => `${a.method} ${a.path}`)).toEqual(['GET /v1/models?limit=2', 'GET /v1/models/claude-sonnet-4-5']);
    for (const { headers } of api.arrived) {
      expect(headers.get('x-api-key')).toBe(SERVER_KEY);
      expect(headers.get('authorization')).toBeNull();
      expect(headers.get('anthropic-version')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('batches: create, retrieve, list, results (its results_url points back at the mount), cancel and delete', async () => {
    const { api, mount, sdk } = await mounted({ allowRoutes: ['batches'] });
    const params = { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user' as const, content: 'Hi' }] };
    const created = await sdk.messages.batches.create({ requests: [{ custom_id: 'first', params }] });
    expect(created.results_url).toBe(`${mount}/v1/messages/batches/msgbatch_01/results`);
    expect(JSON.parse(new TextDecoder().decode(api.arrived[0]!.body))).toEqual({ requests: [{ custom_id: 'first', params }] });
    expect((await sdk.messages.batches.retrieve('msgbatch_01')).processing_status).toBe('ended');
    expect((await sdk.messages.batches.list()).data[0]?.results_url).toBe(`${mount}/v1/messages/batches/msgbatch_01/results`);
    const results: string[] = [];
    for await (const line of await sdk.messages.batches.results('msgbatch_01')) results.push(line.custom_id);
    expect(results).toEqual(['first', 'second']);
    expect((await sdk.messages.batches.cancel('msgbatch_01')).processing_status).toBe('canceling');
    expect((await sdk.messages.batches.delete('msgbatch_01')).type).toBe('message_batch_deleted');
    expect(api.arrived.map((a) => `${a.method} ${a.path}`)).toEqual([
      'POST /v1/messages/batches',
      'GET /v1/messages/batches/msgbatch_01',
      'GET /v1/messages/batches',
      'GET /v1/messages/batches/msgbatch_01',
      'GET /v1/messages/batches/msgbatch_01/results',
      'POST /v1/messages/batches/msgbatch_01/cancel',
      'DELETE /v1/messages/batches/msgbatch_01',
    ]);
  });

  it('files: a 3 MB binary upload (multipart) and its download arrive byte for byte, the beta header passed on', async () => {
    const { api, sdk } = await mounted({ allowRoutes: ['files'] });
    const bytes = new Uint8Array(3_000_000).map((_, i) => (i * 2_654_435_761) >>> 24);
    const uploaded = await sdk.beta.files.upload({ file: await toFile(bytes, 'scan.pdf', { type: 'application/pdf' }), betas: ['files-api-2025-04-14'] });
    expect(uploaded).toMatchObject({ id: 'file_01', size_bytes: bytes.length });
    expect(api.arrived[0]!.headers.get('anthropic-beta')).toBe('files-api-2025-04-14');
    expect(api.arrived[0]!.headers.get('content-type')).toMatch(/^multipart\/form-data; boundary=/);
    expect((await sdk.beta.files.list()).data.map((f) => f.id)).toEqual(['file_01']);
    expect((await sdk.beta.files.retrieveMetadata('file_01')).size_bytes).toBe(bytes.length);
    const download = await sdk.beta.files.download('file_01');
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="scan.pdf"');
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(bytes));
    expect((await sdk.beta.files.delete('file_01')).type).toBe('file_deleted');
  });

  it('keeps the server key out of JSON answers and downloads alike', async () => {
    const { sdk } = await mounted({ allowRoutes: ['models', 'files'] }, fakeApi({ echoKey: true }));
    const page = await sdk.models.list();
    expect(JSON.stringify(page.data)).not.toContain(SERVER_KEY);
    expect(page.data[1]?.id).toBe('claude-opus-4-1 (key [redacted])');
    await sdk.beta.files.upload({ file: await toFile(new TextEncoder().encode('%PDF-1.7'), 'scan.pdf') });
    const text = await (await sdk.beta.files.download('file_01')).text();
    expect(text).toBe('%PDF-1.7[redacted]');
  });

  it('tells authorize which route each request is for, and its refusal stands', async () => {
    const seen: ClaudeRoute[] = [];
    const { api, sdk } = await mounted({
      allowRoutes: ['models', 'batches'],
      authorize: (_request, { route }) => {
        seen.push(route);
        return route !== 'batches';
      },
    });
    await sdk.models.list();
    await expect(sdk.messages.batches.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    expect(seen).toEqual(['models', 'batches']);
    expect(api.arrived.map((a) => a.path)).toEqual(['/v1/models']);
  });

  it('refuses a method the endpoint does not take with 405 and the methods it does', async () => {
    const { mount } = await mounted({ allowRoutes: ['models'] });
    const response = await fetch(`${mount}/v1/models`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('grants a preflight the methods of the route (GET and DELETE for a file) to an allowed origin', async () => {
    const { mount } = await mounted({ allowRoutes: ['files'], cors: { origin: 'https://app.example', allowHeaders: ['anthropic-version', 'x-api-key'] } });
    const response = await fetch(`${mount}/v1/files/file_01`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'DELETE' } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, DELETE, OPTIONS');
    const listed = await fetch(`${mount}/v1/files`, { headers: { origin: 'https://app.example' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('serves models while every slot of the line is taken: the opt-in routes never wait in it', async () => {
    let hold: (() => void) | undefined;
    const api = fakeApi();
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).endsWith('/v1/messages')) {
        // A stream that starts and stays open: its slot stays taken.
        const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n';
        const body = new ReadableStream({
          start: (controller) => {
            controller.enqueue(new TextEncoder().encode(start));
            hold = () => controller.close();
          },
        });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      }
      return api.fetch(input, init);
    };
    const { handler, sdk } = await mounted({ allowRoutes: ['models'], maxConcurrency: 1, maxQueue: 0, fetch });
    const stream = await sdk.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    expect(handler.stats().active).toBe(1);
    expect((await sdk.models.list()).data).toHaveLength(2);
    hold?.();
    stream.controller.abort();
  });

  it('answers the retryable 503 once the app is shutting down, and sends nothing more to Claude', async () => {
    const store = createMemoryStore();
    const { api, sdk } = await mounted({ allowRoutes: ['models'], store });
    await store.close();
    const error = await sdk.models.list().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect(api.arrived).toEqual([]);
  });

  it('refuses an unknown route name when the handler is created', () => {
    expect(() => createClaudeHandler({ allowRoutes: ['model' as 'models'] })).toThrow(/allowRoutes: model is not a route/);
  });
});
