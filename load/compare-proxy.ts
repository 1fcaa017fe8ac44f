/**
 * `npm run load -- --compare-proxy`: what the kit's handler costs against the cheapest thing that could stand in its
 * place, a plain fetch proxy, both on loopback in front of the same fake Claude, in one run. Both are loaded at once,
 * each client connection sending to them in turn (time to first byte: one request at a time, to each in turn), so
 * that a neighbour's load on a shared machine falls on both alike; each figure is the median of its rounds. Memory per
 * waiting request is measured in fresh processes, against a server that only reads the body and never answers: what
 * any Node HTTP server costs per open request is not the handler's.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromFront, FromHelper, FrontKind, ToFront, ToHelper } from './compare-roles.js';
import { STREAM_TOKENS } from './compare-roles.js';

export interface CompareOptions {
  rounds: number;
  /** Sequential streamed requests per round for the time to first byte. */
  ttfbRequests: number;
  /** Small non-streamed requests kept going at once, and for how long per round. */
  rpsConcurrency: number;
  rpsMs: number;
  /** 2,000-token streams kept going at once, and for how long per round. */
  streamConcurrency: number;
  streamMs: number;
  /** Requests left waiting for the memory figure. */
  waiting: number;
  /**
   * Load on each front before anything counts (JIT, pools). On a busy machine V8's compiler threads get little CPU,
   * and the handler, more code than a proxy, kept costing more for several seconds: 3 s of warming left the first
   * rounds' figures about twice the later ones'.
   */
  warmMs: number;
}

interface Targets {
  ttfb: number;
  rps: number;
  ownKiB: number;
}

const TARGETS: Targets = { ttfb: 1.1, rps: 0.9, ownKiB: 10 };

const self = fileURLToPath(import.meta.url);

function start(role: string, env: Record<string, string> = {}): ChildProcess {
  // LOAD_FRONT_NODE_OPTIONS: extra flags for the fronts, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a
  // front's time goes under this load (a front stopped by the run exits normally, so the profile is written).
  const extra = role === 'front' ? (process.env.LOAD_FRONT_NODE_OPTIONS ?? '').split(' ').filter(Boolean) : [];
  return fork(self, [], { env: { ...process.env, LOAD_ROLE: role, ...env }, execArgv: ['--expose-gc', ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`a load process exited (${code}) before answering ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function ask<T extends FromHelper | FromFront>(child: ChildProcess, message: ToHelper | ToFront, answer: T['type']): Promise<T> {
  const reply = next<T>(child, answer);
  child.send(message);
  return reply;
}

async function front(kind: FrontKind, upstream: string): Promise<{ child: ChildProcess; url: string }> {
  const child = start('front', { LOAD_FRONT: kind, LOAD_UPSTREAM: upstream });
  const { url } = await next<Extract<FromFront, { type: 'listening' }>>(child, 'listening');
  return { child, url };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill();
  });

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : ((sorted[middle - 1]! + sorted[middle]!) / 2);
};

type Memory = Extract<FromFront, { type: 'memory' }>;

/** Per waiting request, in bytes: RSS and heap, from a fresh front with `waiting` requests open on it. */
async function waitingCost(kind: FrontKind, helper: ChildProcess, upstream: string, waiting: number) {
  const { child, url } = await front(kind, upstream);
  try {
    // Warm: the first requests load code and grow pools that every later request shares.
    await ask(helper, { type: 'rps', url, concurrency: 32, ms: 500 }, 'count');
    const before = await ask<Memory>(child, { type: 'memory' }, 'memory');
    const seenBefore = (await ask<Extract<FromFront, { type: 'seen' }>>(child, { type: 'seen' }, 'seen')).seen;
    await ask(helper, { type: 'hold', url, requests: waiting }, 'holding');
    for (let tries = 0; tries < 600; tries += 1) {
      const { seen } = await ask<Extract<FromFront, { type: 'seen' }>>(child, { type: 'seen' }, 'seen');
      if (seen - seenBefore >= waiting) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Let the last bodies be read and the last upstream calls be made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await ask<Memory>(child, { type: 'memory' }, 'memory');
    if (kind !== 'server') await ask(helper, { type: 'release' }, 'released');
    return {
      rss: (after.rss - before.rss) / waiting,
      heap: (after.heapUsed - before.heapUsed) / waiting,
      external: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / waiting,
    };
  } finally {
    await stop(child);
  }
}

type Counts = Extract<FromHelper, { type: 'counts' }>;
type Cpu = Extract<FromFront, { type: 'cpu' }>;
type Front = { child: ChildProcess; url: string };

/**
 * One window of load on every front at once, each client connection taking them in turn, so that whatever the
 * neighbours do at any moment falls on all of them alike: each front's CPU time per request, and its requests per
 * wall second (which they share).
 */
async function window(helper: ChildProcess, fronts: Front[], load: 'rps' | 'streams', concurrency: number, ms: number) {
  const before = await Promise.all(fronts.map((front) => ask<Cpu>(front.child, { type: 'cpu' }, 'cpu')));
  const counts = await ask<Counts>(helper, { type: 'paired', load, urls: fronts.map((front) => front.url), concurrency, ms }, 'counts');
  const after = await Promise.all(fronts.map((front) => ask<Cpu>(front.child, { type: 'cpu' }, 'cpu')));
  return fronts.map((_, i) => ({
    perSecond: (counts.done[i]! / counts.ms) * 1000,
    cpuPerRequest: (after[i]!.micros - before[i]!.micros) / Math.max(1, counts.done[i]!),
    failures: counts.failures[i]!,
  }));
}

export async function runCompareProxy(options: CompareOptions): Promise<boolean> {
  const helper = start('helper');
  const { url: upstream } = await next<Extract<FromHelper, { type: 'upstream' }>>(helper, 'upstream');
  const fronts = { handler: await front('handler', upstream), proxy: await front('proxy', upstream), guarded: await front('guarded', upstream) };
  // LOAD_BEFORE=path/to/server.mjs (another build of src/server/index.ts, bundled with esbuild, e.g. main's): that
  // build's handler as a fourth front, in every round with the others, so a change is measured against its base in
  // one run, under the same neighbours (over HTTP on a shared machine, runs minutes apart differ by more than a cut).
  const before = process.env.LOAD_BEFORE ? await front('before', upstream) : undefined;
  const direct = `${upstream}/v1/messages`;
  const empty = () => ({ ttfb: [] as number[], rps: [] as number[], rpsCpu: [] as number[], streams: [] as number[], streamsCpu: [] as number[] });
  const figures = { handler: empty(), proxy: empty(), guarded: empty(), before: empty(), direct: [] as number[] };
  // Requests that did not end well (not a 200, or a stream without message_stop), by where they went.
  const failed = { ttfb: 0, handler: 0, proxy: 0, guarded: 0, before: 0 };
  const load = os.loadavg()[0]!;
  // LOAD_COMPARE_PARTS=ttfb,rps,streams,memory (any of them): only those parts, e.g. to profile one kind of load.
  const parts = new Set((process.env.LOAD_COMPARE_PARTS ?? 'ttfb,rps,streams,memory').split(','));
  try {
    // Warm both (JIT, connection pools) before anything counts.
    const both = [fronts.handler, fronts.proxy, fronts.guarded, ...(before ? [before] : [])];
    if (parts.has('rps') || parts.has('ttfb')) await window(helper, both, 'rps', options.rpsConcurrency, options.warmMs);
    if (parts.has('streams') || parts.has('ttfb')) await window(helper, both, 'streams', options.streamConcurrency, options.warmMs / 2);
    for (let round = 0; round < options.rounds; round += 1) {
      // Each front first in turn: the handler and the plain proxy swap every round, the guarded proxy takes each place.
      const kinds = before ? (['handler', 'proxy', 'guarded', 'before'] as const) : (['handler', 'proxy', 'guarded'] as const);
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
      const frontOf = (kind: (typeof kinds)[number]) => (kind === 'before' ? before! : fronts[kind]);
      const urls = [direct, ...order.map((kind) => frontOf(kind).url)];
      if (parts.has('ttfb')) {
        const ttfb = await ask<Extract<FromHelper, { type: 'ttfb' }>>(helper, { type: 'ttfb', urls, requests: options.ttfbRequests }, 'ttfb');
        failed.ttfb += ttfb.failures;
        figures.direct.push(median(ttfb.samples[0]!));
        order.forEach((kind, i) => figures[kind].ttfb.push(median(ttfb.samples[i + 1]!)));
      }
      const pair = order.map(frontOf);
      const small = parts.has('rps') ? await window(helper, pair, 'rps', options.rpsConcurrency, options.rpsMs) : undefined;
      const streams = parts.has('streams') ? await window(helper, pair, 'streams', options.streamConcurrency, options.streamMs) : undefined;
      for (const [i, kind] of order.entries()) {
        if (small) {
          failed[kind] += small[i]!.failures;
          figures[kind].rps.push(small[i]!.perSecond);
          figures[kind].rpsCpu.push(small[i]!.cpuPerRequest);
        }
        if (streams) {
          failed[kind] += streams[i]!.failures;
          figures[kind].streams.push(streams[i]!.perSecond);
          figures[kind].streamsCpu.push(streams[i]!.cpuPerRequest);
        }
      }
    }
  } finally {
    await Promise.all([...Object.values(fronts), ...(before ? [before] : [])].map(({ child }) => stop(child)));
  }
  const none = { rss: NaN, heap: NaN, external: NaN };
  const memory = parts.has('memory')
    ? {
        server: await waitingCost('server', helper, upstream, options.waiting),
        proxy: await waitingCost('proxy', helper, upstream, options.waiting),
        handler: await waitingCost('handler', helper, upstream, options.waiting),
      }
    : { server: none, proxy: none, handler: none };
  await stop(helper);
  const loadEnd = os.loadavg()[0]!;

  const summary = (f: ReturnType<typeof empty>) => ({
    ttfb: median(f.ttfb), rps: median(f.rps), rpsCpu: median(f.rpsCpu), streams: median(f.streams), streamsCpu: median(f.streamsCpu),
  });
  const h = summary(figures.handler);
  const p = summary(figures.proxy);
  const g = summary(figures.guarded);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const own = (kind: 'handler' | 'proxy') => ({
    rss: memory[kind].rss - memory.server.rss,
    objects: memory[kind].heap + memory[kind].external - memory.server.heap - memory.server.external,
  });
  const handlerOwn = own('handler');
  const proxyOwn = own('proxy');
  // Requests per CPU-second of the front: what it serves with a core to itself, whatever else the machine runs.
  const ratio = {
    ttfb: h.ttfb / p.ttfb, rps: h.rps / p.rps, rpsCpu: p.rpsCpu / h.rpsCpu, streams: h.streams / p.streams, streamsCpu: p.streamsCpu / h.streamsCpu,
  };
  // Each round's own ratio (the two fronts measured minutes apart at most): their range shows how far one run's
  // median can be trusted on a machine shared with others.
  const perRound = (ratioOf: (h: number, p: number) => number, h: number[], p: number[]) => {
    const ratios = h.map((value, i) => ratioOf(value, p[i]!)).sort((a, b) => a - b);
    if (ratios.length === 0) return '';
    return `${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}`;
  };
  const spread = {
    ttfb: perRound((a, b) => a / b, figures.handler.ttfb, figures.proxy.ttfb),
    rpsCpu: perRound((a, b) => b / a, figures.handler.rpsCpu, figures.proxy.rpsCpu),
    streamsCpu: perRound((a, b) => b / a, figures.handler.streamsCpu, figures.proxy.streamsCpu),
  };
  const x = (value: number) => `${value.toFixed(2)} ×`;
  const rows: [string, string, string, string, string, string][] = [
    ['measure', 'handler', 'plain proxy', 'ratio', 'rounds', 'target'],
    [`time to first byte p50, streamed, one at a time (direct ${median(figures.direct).toFixed(2)} ms)`, `${h.ttfb.toFixed(2)} ms`, `${p.ttfb.toFixed(2)} ms`, x(ratio.ttfb), spread.ttfb, `≤ ${TARGETS.ttfb.toFixed(2)} ×`],
    [`small requests per CPU-second of the front, ${options.rpsConcurrency} at once`, (1e6 / h.rpsCpu).toFixed(0), (1e6 / p.rpsCpu).toFixed(0), x(ratio.rpsCpu), spread.rpsCpu, `≥ ${TARGETS.rps.toFixed(2)} ×`],
    ['  per wall second (the machine shared)', h.rps.toFixed(0), p.rps.toFixed(0), x(ratio.rps), '', ''],
    [`${STREAM_TOKENS.toLocaleString('en')}-token streams per CPU-second, ${options.streamConcurrency} at once`, (1e6 / h.streamsCpu).toFixed(1), (1e6 / p.streamsCpu).toFixed(1), x(ratio.streamsCpu), spread.streamsCpu, ''],
    ['  per wall second', h.streams.toFixed(1), p.streams.toFixed(1), x(ratio.streams), '', ''],
    [`RSS per waiting request (${options.waiting} waiting)`, kib(memory.handler.rss), kib(memory.proxy.rss), '', '', ''],
    ['  the HTTP server alone (reads the body, never answers)', kib(memory.server.rss), kib(memory.server.rss), '', '', ''],
    ['  the rest: the handler\'s own / the proxy\'s own', kib(handlerOwn.rss), kib(proxyOwn.rss), '', '', `≤ ${TARGETS.ownKiB} KiB`],
    ['  heap and buffers of its own (after GC)', kib(handlerOwn.objects), kib(proxyOwn.objects), '', '', `≤ ${TARGETS.ownKiB} KiB`],
    ['against the guarded proxy (the plain one, plus its body parsed and a deadline on its upstream call):', '', 'guarded', '', '', ''],
    ['  time to first byte p50', `${h.ttfb.toFixed(2)} ms`, `${g.ttfb.toFixed(2)} ms`, x(h.ttfb / g.ttfb), perRound((a, b) => a / b, figures.handler.ttfb, figures.guarded.ttfb), ''],
    ['  small requests per CPU-second', (1e6 / h.rpsCpu).toFixed(0), (1e6 / g.rpsCpu).toFixed(0), x(g.rpsCpu / h.rpsCpu), perRound((a, b) => b / a, figures.handler.rpsCpu, figures.guarded.rpsCpu), ''],
    ['  the guarded proxy against the plain one: time to first byte, small requests per CPU-second', '', '', `${x(g.ttfb / p.ttfb)}, ${x(p.rpsCpu / g.rpsCpu)}`, '', ''],
  ];
  if (before) {
    const b = summary(figures.before);
    rows.push(
      [`the build in LOAD_BEFORE, in the same rounds:`, 'handler', 'before', '', '', ''],
      ['  time to first byte p50, and before / plain proxy', `${h.ttfb.toFixed(2)} ms`, `${b.ttfb.toFixed(2)} ms`, x(b.ttfb / p.ttfb), perRound((a, c) => a / c, figures.before.ttfb, figures.proxy.ttfb), ''],
      ['  small requests per CPU-second, and before / plain proxy', (1e6 / h.rpsCpu).toFixed(0), (1e6 / b.rpsCpu).toFixed(0), x(p.rpsCpu / b.rpsCpu), perRound((a, c) => c / a, figures.before.rpsCpu, figures.proxy.rpsCpu), ''],
      ['  streams per CPU-second, and before / plain proxy', (1e6 / h.streamsCpu).toFixed(1), (1e6 / b.streamsCpu).toFixed(1), x(p.streamsCpu / b.streamsCpu), '', ''],
    );
  }
  const width = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`claude-overload-kit: the handler against a plain fetch proxy on loopback, ${options.rounds} alternating rounds (medians); Node ${process.version}, ${os.cpus().length} CPUs, load average ${load.toFixed(1)} at the start, ${loadEnd.toFixed(1)} at the end\n`);
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(width[c]!) : cell.padStart(width[c]!))).join('   ').trimEnd());
    if (i === 0) console.log(width.map((w) => '─'.repeat(w)).join('   '));
  }
  const busiest = Math.max(load, loadEnd);
  if (busiest > os.cpus().length) console.log(`\nThe machine was busy (load average up to ${busiest.toFixed(1)}): wall-clock figures are noisy; the CPU-second figures less so.`);
  const failures = failed.ttfb + failed.handler + failed.proxy + failed.guarded + failed.before;
  const misses = [
    ratio.ttfb > TARGETS.ttfb && 'time to first byte',
    ratio.rpsCpu < TARGETS.rps && 'requests per CPU-second',
    Math.max(handlerOwn.rss, handlerOwn.objects) / 1024 > TARGETS.ownKiB && 'memory per waiting request',
    failures > 0 && `${failures} requests failed (handler ${failed.handler}, proxy ${failed.proxy}, guarded ${failed.guarded}, time to first byte ${failed.ttfb})`,
  ].filter(Boolean);
  console.log(misses.length === 0 ? '\nPASS: every target met' : `\nMISS: ${misses.join('; ')}`);
  return misses.length === 0;
}
