/**
 * The processes of `npm run load -- --compare-proxy`, each its own Node process so that the RSS of a front server is
 * its own:
 * - `front`: one server in front of the fake Claude, over @hono/node-server as `serve()` mounts a fetch handler —
 *   the kit's handler, a plain fetch proxy (`req.text()` → `fetch` → `new Response(r.body)`), or a server that
 *   reads the body and never answers (what an HTTP server costs per waiting request before any proxying).
 * - `helper`: a fake Claude on node:http (small answers, 2,000-token streams, requests held on demand) and the
 *   client (undici), which never share a thread with the front being measured.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Agent, request } from 'undici';
import { createClaudeHandler } from '../src/server/index.js';

export type FrontKind = 'handler' | 'proxy' | 'guarded' | 'server' | 'before';

export type ToFront = { type: 'memory' } | { type: 'seen' } | { type: 'cpu' };
export type FromFront =
  | { type: 'listening'; url: string }
  | { type: 'memory'; rss: number; heapUsed: number; external: number; arrayBuffers: number }
  | { type: 'seen'; seen: number }
  /** CPU time this process has used, user and system, in µs. */
  | { type: 'cpu'; micros: number };

export type ToHelper =
  | { type: 'ttfb'; urls: string[]; requests: number }
  | { type: 'rps'; url: string; concurrency: number; ms: number }
  | { type: 'streams'; url: string; concurrency: number; ms: number }
  /** Load on several fronts at once, each client connection taking them in turn: every front under the same neighbours. */
  | { type: 'paired'; load: 'rps' | 'streams'; urls: string[]; concurrency: number; ms: number }
  | { type: 'hold'; url: string; requests: number }
  | { type: 'release' };
export type FromHelper =
  | { type: 'upstream'; url: string }
  | { type: 'ttfb'; samples: number[][]; failures: number }
  | { type: 'count'; done: number; failures: number; ms: number }
  | { type: 'counts'; done: number[]; failures: number[]; ms: number }
  | { type: 'holding' }
  | { type: 'released'; answered: number };

/** Shaped like a real key (redaction runs on everything relayed, as it would in production). */
export const LOAD_KEY = ['sk', 'ant', 'load', 'compareProxyKey0123456789'].join('-');
export const STREAM_TOKENS = 2000;

/**
 * The plain proxy with the two guards no front door facing browsers can go without: the body parsed (a malformed one
 * answered 400, not forwarded on the app's key), and a deadline on the upstream call (an upstream that never answers
 * must not hold the request for ever). What the handler costs beyond this is its own craft: the line, redaction,
 * CORS, validation, the relay.
 */
const UPSTREAM_DEADLINE_MS = 600_000;
export const guardedProxy = (fetchUpstream: typeof fetch, upstream: string) => async (req: Request): Promise<Response> => {
  const body = await req.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return new Response('{"type":"error"}', { status: 400 });
  const answer = await fetchUpstream(`${upstream}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': LOAD_KEY, 'anthropic-version': '2023-06-01' },
    body,
    signal: AbortSignal.any([req.signal, AbortSignal.timeout(UPSTREAM_DEADLINE_MS)]),
  });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
};

const send = (message: unknown) => process.send!(message);
// The run is over (or its orchestrator died): nothing of it outlives it.
process.on('disconnect', () => process.exit(0));
const gc = () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
};

// ---- front ----------------------------------------------------------------------------------------------------------

export async function runFront(kind: FrontKind, upstream: string): Promise<void> {
  // Stopped by the run: exit normally (a profile asked for with LOAD_FRONT_NODE_OPTIONS is written on exit).
  process.on('SIGTERM', () => process.exit(0));
  let seen = 0;
  const proxy = async (req: Request): Promise<Response> => {
    const body = await req.text();
    const answer = await fetch(`${upstream}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': LOAD_KEY, 'anthropic-version': '2023-06-01' },
      body,
      signal: req.signal,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
  const never = new Promise<Response>(() => {});
  // Answers at once, except the requests to be held, which it never answers.
  const serverAlone = async (req: Request): Promise<Response> => {
    const body = await req.text();
    return body.includes('"model":"hold"') ? never : new Response(MESSAGE, { headers: { 'content-type': 'application/json' } });
  };
  const handlerOptions = { apiKey: LOAD_KEY, baseURL: upstream, maxQueue: 100_000, logger: { warn: () => {} } };
  // `before`: another build of the handler (LOAD_BEFORE, see compare-proxy.ts), loaded in turn with this one; with
  // LOAD_HANDLER this one is loaded from a build of its own too (a handler loaded from a module of its own ran about 4 %
  // faster than the same code bundled here: compare like with like).
  const bundle = kind === 'before' ? process.env.LOAD_BEFORE : kind === 'handler' ? process.env.LOAD_HANDLER : undefined;
  const create = bundle
    ? ((await import(bundle)) as { createClaudeHandler: typeof createClaudeHandler }).createClaudeHandler
    : createClaudeHandler;
  const handler = create(handlerOptions);
  const target = kind === 'handler' || kind === 'before' ? handler : kind === 'proxy' ? proxy : kind === 'guarded' ? guardedProxy(fetch, upstream) : serverAlone;
  const server = createAdaptorServer({
    hostname: '127.0.0.1',
    fetch: (req: Request) => {
      seen += 1;
      return target(req);
    },
  }) as Server;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;
  process.on('message', (message: ToFront) => {
    if (message.type === 'seen') return send({ type: 'seen', seen } satisfies FromFront);
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      return send({ type: 'cpu', micros: user + system } satisfies FromFront);
    }
    gc();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    send({ type: 'memory', rss, heapUsed, external, arrayBuffers } satisfies FromFront);
  });
  send({ type: 'listening', url: `http://127.0.0.1:${port}/api/claude/v1/messages` } satisfies FromFront);
}

// ---- helper: the fake Claude ----------------------------------------------------------------------------------------

export const MESSAGE = JSON.stringify({
  id: 'msg_01LoadCompare000000000001', type: 'message', role: 'assistant', model: 'claude-sonnet-5-5',
  content: [{ type: 'text', text: 'Hello! How can I help?' }], stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 8 },
});
export const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
export const START = event('message_start', { type: 'message_start', message: { ...JSON.parse(MESSAGE), content: [], stop_reason: null } })
  + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
export const DELTA = (i: number) => event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ` tok${i}` } });
export const END = event('content_block_stop', { type: 'content_block_stop', index: 0 })
  + event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: STREAM_TOKENS } })
  + event('message_stop', { type: 'message_stop' });
/** Events per write: about what a fast model's stream brings per network read (Claude's own come a few at a time). */
const EVENTS_PER_WRITE = 20;

let requestNumber = 0;
const held: ServerResponse[] = [];

async function streamAnswer(res: ServerResponse, tokens: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': `req_load_${requestNumber}`, 'cache-control': 'no-cache' });
  res.write(START);
  let batch = '';
  for (let i = 0; i < tokens; i += 1) {
    batch += DELTA(i);
    if ((i + 1) % EVENTS_PER_WRITE === 0) {
      res.write(batch);
      batch = '';
      await new Promise((resolve) => setImmediate(resolve));
      if (res.destroyed) return;
    }
  }
  res.end(batch + END);
}

function answer(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    requestNumber += 1;
    const body = Buffer.concat(chunks).toString();
    if (body.includes('"model":"hold"')) return void held.push(res);
    if (body.includes('"stream":true')) return void streamAnswer(res, body.includes('"model":"short"') ? 5 : STREAM_TOKENS);
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_load_${requestNumber}` }).end(MESSAGE);
  });
}

// ---- helper: the client ---------------------------------------------------------------------------------------------

const bodyOf = (model: string, stream: boolean) =>
  JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'Load comparison: say hello.' }] });

async function once(agent: Agent, url: string, body: string, onFirstByte?: () => void): Promise<boolean> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher: agent });
  let tail = '';
  let first = true;
  for await (const chunk of response.body) {
    if (first) {
      onFirstByte?.();
      first = false;
    }
    tail = (tail + (chunk as Buffer).toString('latin1')).slice(-64);
  }
  return response.statusCode === 200 && (tail.includes('message_stop') || tail.includes('"type":"message"') || tail.endsWith('}'));
}

/** As many requests as `concurrency` keeps going for `ms`; how many ended well, and how many did not. */
async function sustained(agent: Agent, url: string, body: string, concurrency: number, ms: number) {
  const started = performance.now();
  const endAt = started + ms;
  let done = 0;
  let failures = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < endAt) {
      const ok = await once(agent, url, body).catch(() => false);
      if (ok) done += 1;
      else failures += 1;
    }
  }));
  return { done, failures, ms: performance.now() - started };
}

/** `concurrency` clients for `ms`, each sending to every URL in turn: how many ended well, and how many not, per URL. */
async function paired(agent: Agent, urls: string[], body: string, concurrency: number, ms: number) {
  const started = performance.now();
  const endAt = started + ms;
  const done = urls.map(() => 0);
  const failures = urls.map(() => 0);
  await Promise.all(Array.from({ length: concurrency }, async (_, client) => {
    // Each client starts at another URL, so that every front has requests in flight from the first moment.
    for (let turn = client; performance.now() < endAt; turn += 1) {
      const u = turn % urls.length;
      const ok = await once(agent, urls[u]!, body).catch(() => false);
      if (ok) done[u]! += 1;
      else failures[u]! += 1;
    }
  }));
  return { done, failures, ms: performance.now() - started };
}

export async function runHelper(): Promise<void> {
  const upstream = createServer(answer);
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => upstream.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const agent = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });
  let holdAgent: Agent | undefined;
  let holding: Promise<boolean[]> | undefined;
  process.on('message', async (message: ToHelper) => {
    if (message.type === 'ttfb') {
      // One request to each URL in turn, so that whatever else the machine is doing falls on all of them alike.
      const samples: number[][] = message.urls.map(() => []);
      let failures = 0;
      const body = bodyOf('short', true);
      for (let i = 0; i < message.requests; i += 1) {
        for (const [u, url] of message.urls.entries()) {
          const started = performance.now();
          let at = 0;
          const ok = await once(agent, url, body, () => (at = performance.now() - started)).catch(() => false);
          if (ok) samples[u]!.push(at);
          else failures += 1;
        }
      }
      return send({ type: 'ttfb', samples, failures } satisfies FromHelper);
    }
    if (message.type === 'rps' || message.type === 'streams') {
      const body = bodyOf('claude-sonnet-5-5', message.type === 'streams');
      return send({ type: 'count', ...(await sustained(agent, message.url, body, message.concurrency, message.ms)) } satisfies FromHelper);
    }
    if (message.type === 'paired') {
      const body = bodyOf('claude-sonnet-5-5', message.load === 'streams');
      return send({ type: 'counts', ...(await paired(agent, message.urls, body, message.concurrency, message.ms)) } satisfies FromHelper);
    }
    if (message.type === 'hold') {
      holdAgent = new Agent({ connections: message.requests, pipelining: 1, connectTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
      const body = bodyOf('hold', false);
      holding = Promise.all(Array.from({ length: message.requests }, () => once(holdAgent!, message.url, body).catch(() => false)));
      return send({ type: 'holding' } satisfies FromHelper);
    }
    // release: answer every held request, then the client's requests end (a handler's waiting ones go up in turn).
    const release = () => {
      for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(MESSAGE);
    };
    const timer = setInterval(release, 20);
    const results = holding ? await holding : [];
    clearInterval(timer);
    release();
    await holdAgent?.close();
    holdAgent = undefined;
    holding = undefined;
    send({ type: 'released', answered: results.filter(Boolean).length } satisfies FromHelper);
  });
  send({ type: 'upstream', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` } satisfies FromHelper);
}
