/**
 * `npm run load -- --in-process`: the handler's own CPU per request against a plain fetch proxy's, in one process and
 * without sockets, so that what differs is only what each front does (through HTTP, a request costs the front 0.7–1 ms
 * of CPU whatever it is, and a shared machine's neighbours move that by more than the difference). Both fronts get
 * requests shaped as `@hono/node-server` makes them (its lightweight `Request` and `Response` in place of the globals,
 * the body a one-chunk stream, an abort signal per request) and an upstream `fetch` that answers at once with a native
 * `Response`, as undici's is; a front's answer is taken as the adapter takes it (a string body as is, a stream read to
 * its end). Batches of each kind in turn, each front's figure the lowest batch's (the least disturbed by neighbours),
 * with the median of the batches beside it.
 *
 * Run with `node --cpu-prof` to see where the handler's time goes (`LOAD_ONLY=handler` loads it alone, `LOAD_KIND=small`
 * sends one kind). `LOAD_BEFORE=/path/to/server.mjs` (another build of `src/server/index.ts`, e.g. main's, bundled with
 * esbuild) adds its handler as a third front, `before`, measured in turn with the others in the same process: the
 * fairest before/after on a shared machine.
 */
import { getRequestListener } from '@hono/node-server';
import { createClaudeHandler } from '../src/server/index.js';
// The load run's fake Claude's answer and events, the same bytes in one process.
import { DELTA, END, guardedProxy, LOAD_KEY, MESSAGE, START, STREAM_TOKENS } from './compare-roles.js';

// The fetch-API globals as the adapter sets them (its Request, and a Response that keeps a string body as is).
const NativeResponse = globalThis.Response;
getRequestListener(() => new Response(null));

const URL_ = 'http://127.0.0.1:3000/api/claude/v1/messages';
const UPSTREAM = 'http://127.0.0.1:8787';
const encoder = new TextEncoder();

/** A stream's chunks as the load run's fake Claude writes them: 20 events per write. */
function streamChunks(tokens: number): Uint8Array[] {
  const chunks = [START];
  let batch = '';
  for (let i = 0; i < tokens; i += 1) {
    batch += DELTA(i);
    if ((i + 1) % 20 === 0) {
      chunks.push(batch);
      batch = '';
    }
  }
  chunks.push(batch + END);
  return chunks.map((chunk) => encoder.encode(chunk));
}
const SHORT = streamChunks(5);
const LONG = streamChunks(STREAM_TOKENS);
const MESSAGE_BYTES = encoder.encode(MESSAGE);

/** Claude at once: a native Response with a stream body, as undici's fetch gives. */
async function upstreamFetch(_url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const body = String(init?.body ?? '');
  if (!body.includes('"stream":true')) {
    return new NativeResponse(MESSAGE_BYTES, { status: 200, headers: { 'content-type': 'application/json', 'request-id': 'req_load_1' } });
  }
  const chunks = body.includes('"model":"short"') ? SHORT : LONG;
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
  return new NativeResponse(stream, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_load_1' } });
}

const bodyOf = (model: string, stream: boolean) =>
  encoder.encode(JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'Load comparison: say hello.' }] }));

/** A request as the adapter makes it: its body a stream the adapter pulls, its own abort controller. */
function requestOf(body: Uint8Array): Request {
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.close();
      sent = true;
      controller.enqueue(body);
    },
  });
  return new Request(URL_, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(body.byteLength), host: '127.0.0.1:3000' },
    body: stream,
    signal: new AbortController().signal,
    duplex: 'half',
  } as RequestInit);
}

/** The body the adapter's Response keeps as given (a string or a stream), which the adapter writes without a native Response. */
const keptBody = (response: Response): unknown => {
  const symbol = Object.getOwnPropertySymbols(response).find((candidate) => candidate.description === 'cache');
  return symbol === undefined ? undefined : (response as unknown as Record<symbol, unknown[] | undefined>)[symbol]?.[1];
};

/** The answer as the adapter takes it: a string body written as is, a stream read to its end. */
async function consume(response: Response): Promise<number> {
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  const kept = keptBody(response);
  if (typeof kept === 'string') return 1;
  const reader = (kept instanceof ReadableStream ? kept : response.body!).getReader();
  let chunks = 0;
  for (;;) {
    const { done } = await reader.read();
    if (done) return chunks;
    chunks += 1;
  }
}

type Front = (request: Request) => Promise<Response>;

const proxy: Front = async (req) => {
  const body = await req.text();
  const answer = await upstreamFetch(`${UPSTREAM}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': LOAD_KEY, 'anthropic-version': '2023-06-01' },
    body,
    signal: req.signal,
  });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
};

const handlerOptions = { apiKey: LOAD_KEY, baseURL: UPSTREAM, fetch: upstreamFetch, maxQueue: 100_000, logger: { warn: () => {} } };
type Create = (options: typeof handlerOptions) => Front;
/**
 * This build's handler, or with LOAD_HANDLER the one of a build of its own: with LOAD_BEFORE, like is compared with
 * like (over HTTP, the same code ran about 4 % faster from a module of its own than bundled with the harness).
 */
const ownHandler = async (): Promise<Front> => (process.env.LOAD_HANDLER
  ? ((await import(process.env.LOAD_HANDLER)) as { createClaudeHandler: Create }).createClaudeHandler(handlerOptions)
  : createClaudeHandler(handlerOptions));

const KINDS = {
  small: { body: bodyOf('claude-sonnet-5-5', false), batch: 500 },
  'short stream': { body: bodyOf('short', true), batch: 500 },
  [`${STREAM_TOKENS}-token stream`]: { body: bodyOf('claude-sonnet-5-5', true), batch: 50 },
} as const;

/** CPU µs per request over one batch, `concurrency` requests at a time. */
async function batch(front: Front, body: Uint8Array, requests: number, concurrency: number): Promise<number> {
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < requests / concurrency; i += 1) await consume(await front(requestOf(body)));
  }));
  const { user, system } = process.cpuUsage(before);
  return (user + system) / requests;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Time to the first byte of a short stream in one process, one request at a time, each front in turn (the first of
 * six rounds unbilled): the latency a front adds without sockets, to set beside the HTTP run's.
 */
async function firstByteMicros(fronts: ReadonlyArray<readonly [string, Front]>, coldKiB = 0): Promise<Map<string, number>> {
  const body = bodyOf('short', true);
  const samples = new Map<string, number[]>();
  const thrash = new Uint8Array(coldKiB * 1024);
  let seed = 0;
  for (let round = 0; round < 6; round += 1) {
    for (const [name, front] of fronts) {
      for (let i = 0; i < 200; i += 1) {
        if (coldKiB > 0) {
          // Between two requests over HTTP the front sleeps while other processes run: its code and data leave the
          // CPU's caches. Writing over a buffer larger than them does the same here.
          seed += 1;
          for (let at = 0; at < thrash.length; at += 64) thrash[at] = seed;
        }
        const started = process.hrtime.bigint();
        const response = await front(requestOf(body));
        const kept = keptBody(response);
        const reader = (kept instanceof ReadableStream ? kept : response.body!).getReader();
        await reader.read();
        const at = Number(process.hrtime.bigint() - started) / 1000;
        while (!(await reader.read()).done);
        if (round > 0) samples.set(name, [...(samples.get(name) ?? []), at]);
      }
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

export async function runInProcess(options: { batches: number; concurrency: number }): Promise<void> {
  const only = process.env.LOAD_ONLY;
  const all: Record<string, Front> = { handler: await ownHandler(), proxy, guarded: guardedProxy(upstreamFetch as typeof fetch, UPSTREAM) };
  if (process.env.LOAD_BEFORE) {
    const module = (await import(process.env.LOAD_BEFORE)) as { createClaudeHandler: Create };
    all.before = module.createClaudeHandler(handlerOptions);
  }
  const fronts = Object.entries(all).filter(([name]) => !only || only.split(',').includes(name));
  const results = new Map<string, number[]>();
  // Warm: the JIT, and the handler's first calls (its upstream check).
  const kinds = Object.entries(KINDS).filter(([kind]) => !process.env.LOAD_KIND || kind === process.env.LOAD_KIND);
  for (const [, front] of fronts) for (const [, { body, batch: size }] of kinds) await batch(front, body, size, options.concurrency);
  for (let round = 0; round < options.batches; round += 1) {
    for (const [kind, { body, batch: size }] of kinds) {
      // Each front first in turn: whatever the neighbours do falls on all of them alike.
      const turn = round % fronts.length;
      for (const [name, front] of [...fronts.slice(turn), ...fronts.slice(0, turn)]) {
        const key = `${kind}\u0000${name}`;
        results.set(key, [...(results.get(key) ?? []), await batch(front, body, size, options.concurrency)]);
      }
    }
  }
  console.log(`CPU µs per request in one process, ${options.batches} batches, ${options.concurrency} at a time; lowest batch (median)`);
  for (const [kind] of kinds) {
    const cells = fronts.map(([name]) => {
      const values = results.get(`${kind}\u0000${name}`)!;
      return `${name} ${Math.min(...values).toFixed(1)} (${median(values).toFixed(1)})`;
    });
    console.log(`  ${kind.padEnd(20)} ${cells.join('   ')}`);
  }
  const firstByte = await firstByteMicros(fronts);
  console.log(`Time to first byte of a short stream in one process, one at a time (median µs): ${[...firstByte].map(([name, µs]) => `${name} ${µs.toFixed(1)}`).join('   ')}`);
  const coldKiB = Number(process.env.LOAD_COLD_KIB ?? 0);
  if (coldKiB > 0) {
    const cold = await firstByteMicros(fronts, coldKiB);
    console.log(`  the same with the caches cleared first (${coldKiB} KiB written between requests): ${[...cold].map(([name, µs]) => `${name} ${µs.toFixed(1)}`).join('   ')}`);
  }
}
