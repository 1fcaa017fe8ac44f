/**
 * The load check behind `npm run load`: thousands of requests at once, over loopback, to the kit's handler in front
 * of the overload simulator at low capacity. It records every answer (status, body, how a stream ended, connection
 * errors, timeouts), the handler's queue and slots as they go, and the process's memory, so `main.ts` can decide
 * whether the handler held: nothing dropped, nothing turned into a 500, the bounds kept, no memory left behind.
 * The handler and the simulator run on this thread; the client runs in a worker (client.ts).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Worker } from 'node:worker_threads';
import { createClaudeHandler } from '../src/server/index.js';
import type { ClaudeHandler } from '../src/server/index.js';
import { createOverloadSimulator } from '../src/testing/index.js';
import type { ListeningSimulator } from '../src/testing/index.js';
import type { ClientConfig, FromClient, Outcome, ToClient } from './client.js';

export type { Outcome } from './client.js';

export interface LoadOptions {
  /** Requests sent at once in each round. */
  requests: number;
  /** Rounds, one after the other on the same server; heap growth is measured between the first and the last. */
  rounds: number;
  /** Share of the requests sent with `stream: true`. */
  streamShare: number;
  /** The simulator's concurrent slots. */
  capacity: number;
  /** How long the simulator holds a slot per answer (a stream spreads its events over it). */
  serviceTimeMs: number;
  /** The simulator's delay before any answer, 529s included: a real 529 takes a round trip too. */
  latencyMs: number;
  /** The handler's bounds. */
  maxConcurrency: number;
  maxQueue: number;
  /** A request still unanswered after this counts as a timeout. */
  requestTimeoutMs: number;
  /** Serve the simulator on 127.0.0.1 too, so the SDK reaches it over a real socket instead of in-process. */
  upstreamOverHttp: boolean;
  /** Listen with Node's default backlog (511), as `serve()` does, instead of one as deep as the burst. */
  defaultBacklog: boolean;
}

export interface RoundResult {
  outcomes: Outcome[];
  wallMs: number;
  /** heapUsed after a full GC once the round is over (null without --expose-gc). */
  heapAfterGc: number | null;
}

export interface LoadResult {
  options: LoadOptions;
  rounds: RoundResult[];
  maxQueued: number;
  maxActive: number;
  /** The most requests the simulator had in flight at once: what the handler really let through. */
  upstreamMaxInFlight: number;
  /** handler.stats() once everything is answered and has settled: both should be back to 0. */
  settled: { active: number; queued: number; shed: number; upstreamInFlight: number };
  /** The process's RSS: the server's thread and the client's worker together. */
  peakRss: number;
  /** This thread's heap: the handler, the simulator and the HTTP server, not the client. */
  peakHeapUsed: number;
  startRss: number;
  /** heapUsed after a full GC before the first request (null without --expose-gc). This thread's heap: the server's. */
  baselineHeap: number | null;
  wallMs: number;
  samples: number;
}

function gc(): boolean {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) return false;
  collect();
  collect();
  return true;
}

const heapAfterGc = (): number | null => (gc() ? process.memoryUsage().heapUsed : null);

/**
 * The handler behind @hono/node-server, as `serve()` mounts it, but listening with a backlog as deep as the burst:
 * `serve()` listens with Node's default of 511, so 2,000 connections opened at once can overflow the kernel's accept
 * queue, and those wait 1 s, 3 s, 7 s in SYN retransmits before the handler sees them. That measures the kernel, not
 * the handler. `--default-backlog` keeps Node's default to show it.
 */
function listen(handler: ClaudeHandler, backlog: number | undefined, onEach: () => void): Promise<{ server: Server; url: string }> {
  const server = createAdaptorServer({
    hostname: '127.0.0.1',
    // Look at the handler's queue on every arrival and every answer, so a peak between timer samples is seen too.
    fetch: async (request: Request) => {
      onEach();
      try {
        return await handler(request);
      } finally {
        onEach();
      }
    },
  }) as Server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', ...(backlog === undefined ? {} : { backlog }) }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/v1/messages` });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const simulator = createOverloadSimulator({
    capacity: options.capacity,
    serviceTimeMs: options.serviceTimeMs,
    latencyMs: options.latencyMs,
    seed: 1,
  });
  let upstream: ListeningSimulator | null = null;
  if (options.upstreamOverHttp) upstream = await simulator.listen({ host: '127.0.0.1' });
  const handler = createClaudeHandler({
    apiKey: 'load',
    ...(upstream ? { baseURL: upstream.url } : { fetch: simulator.fetch }),
    maxConcurrency: options.maxConcurrency,
    maxQueue: options.maxQueue,
  });

  let maxQueued = 0;
  let maxActive = 0;
  let peakRss = 0;
  let peakHeapUsed = 0;
  let samples = 0;
  const sampleQueue = () => {
    const { active, queued } = handler.stats();
    if (queued > maxQueued) maxQueued = queued;
    if (active > maxActive) maxActive = active;
  };
  const sampleMemory = () => {
    const { rss, heapUsed } = process.memoryUsage();
    if (rss > peakRss) peakRss = rss;
    if (heapUsed > peakHeapUsed) peakHeapUsed = heapUsed;
    samples += 1;
  };

  const { server, url } = await listen(handler, options.defaultBacklog ? undefined : options.requests, sampleQueue);
  const config: ClientConfig = { url, connections: options.requests, timeoutMs: options.requestTimeoutMs };
  // The bundle is its own worker: main.ts runs the client when it is not on the main thread.
  const worker = new Worker(new URL(import.meta.url), { workerData: config });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const ask = (message: ToClient) =>
    new Promise<FromClient>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once('error', onError);
      worker.once('message', (answer: FromClient) => {
        worker.off('error', onError);
        resolve(answer);
      });
      worker.postMessage(message);
    });

  const baselineHeap = heapAfterGc();
  const startRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    sampleQueue();
    sampleMemory();
  }, 10);
  const started = performance.now();
  const rounds: RoundResult[] = [];
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      const roundStarted = performance.now();
      const answer = await ask({ type: 'round', first: round * options.requests, requests: options.requests, streamShare: options.streamShare });
      const wallMs = performance.now() - roundStarted;
      sampleMemory();
      const outcomes = answer.type === 'round' ? answer.outcomes : [];
      rounds.push({ outcomes, wallMs, heapAfterGc: heapAfterGc() });
    }
  } finally {
    clearInterval(sampler);
  }
  const wallMs = performance.now() - started;
  sampleMemory();

  // A relayed stream frees its slot when the handler reads the upstream's end, a moment after the client has it all.
  for (let waited = 0; waited < 2_000 && (handler.stats().active > 0 || simulator.stats().inFlight > 0); waited += 20) await sleep(20);
  const { active, queued, shed } = handler.stats();
  const simStats = simulator.stats();

  await ask({ type: 'close' });
  await exited;
  await closeServer(server);
  await upstream?.close();

  return {
    options,
    rounds,
    maxQueued,
    maxActive,
    upstreamMaxInFlight: simStats.maxInFlight,
    settled: { active, queued, shed, upstreamInFlight: simStats.inFlight },
    peakRss,
    peakHeapUsed,
    startRss,
    baselineHeap,
    wallMs,
    samples,
  };
}
