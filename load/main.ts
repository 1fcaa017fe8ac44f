/**
 * `npm run load`: the load check. Thousands of requests at once over loopback to the kit's handler, whose upstream is
 * the overload simulator at low capacity; prints the figures and PASS or FAIL (exit code 1). Bounded: every request
 * has a timeout, the whole run a deadline, and nothing listens beyond 127.0.0.1.
 */
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { runClientWorker } from './client.js';
import { runCompareProxy } from './compare-proxy.js';
import { runInProcess } from './in-process.js';
import { runFront, runHelper } from './compare-roles.js';
import type { FrontKind } from './compare-roles.js';
import type { Outcome } from './client.js';
import { runLoad } from './load.js';
import type { LoadOptions, LoadResult } from './load.js';

const USAGE = `npm run load -- [options]
  --requests N          requests sent at once per round (default 2000)
  --rounds N            rounds on the same server; heap growth is measured from the first to the last (default 2)
  --stream-share X      share of the requests with stream: true (default 0.5)
  --capacity N          the simulator's concurrent slots (default 20)
  --service-ms MS       the simulator's time per answer (default 300)
  --latency-ms MS       the simulator's delay before any answer, 529s included (default 50)
  --max-concurrency N   the handler's maxConcurrency (default 32)
  --max-queue N         the handler's maxQueue (default 64)
  --over-http           serve the simulator on 127.0.0.1 too (default: the SDK calls simulator.fetch in-process)
  --default-backlog     listen with Node's default backlog (511) as serve() does: a burst overflows the accept queue
                        and waits in SYN retransmits (default: a backlog as deep as the burst)
  --max-rss-mib N       fail above this peak RSS (default 512)
  --max-heap-growth-mib N  fail when the heap after GC grows more than this from the first round to the last (default 16)
  --compare-proxy       instead: the handler against a plain fetch proxy, side by side on loopback; prints the ratios
                        of time to first byte, requests per second and streams per second, and memory per waiting
                        request (exits 1 on a missed target). With it, --rounds N alternating rounds (default 8)
  --in-process          instead: CPU per request of the handler and of a plain fetch proxy in one process, no sockets
                        (run under node --cpu-prof to see where the time goes). With it, --rounds N batches (default 12)`;

const MIB = 1024 * 1024;
// The whole run, whatever happens: a hang is a FAIL, not a stuck terminal.
const DEADLINE_MS = 50_000;

interface Limits {
  maxRss: number;
  maxHeapGrowth: number;
}

function number(name: string, raw: string | undefined, fallback: number, max = Infinity): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max) {
    console.error(`--${name} wants a number from 0 to ${max}, got "${raw}"\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

type Parsed = { mode: 'load'; options: LoadOptions; limits: Limits } | { mode: 'compare'; rounds: number } | { mode: 'in-process'; rounds: number };

function parse(): Parsed {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string' }, rounds: { type: 'string' }, 'stream-share': { type: 'string' },
      capacity: { type: 'string' }, 'service-ms': { type: 'string' }, 'latency-ms': { type: 'string' }, 'max-concurrency': { type: 'string' },
      'max-queue': { type: 'string' }, 'over-http': { type: 'boolean' }, 'default-backlog': { type: 'boolean' },
      'max-rss-mib': { type: 'string' }, 'max-heap-growth-mib': { type: 'string' }, help: { type: 'boolean' },
      'compare-proxy': { type: 'boolean' }, 'in-process': { type: 'boolean' },
    },
  });
  if (values['in-process']) return { mode: 'in-process', rounds: Math.max(1, Math.floor(number('rounds', values.rounds, 12, 100))) };
  if (values['compare-proxy']) {
    const rounds = Math.max(1, Math.floor(number('rounds', values.rounds, 8, 20)));
    return { mode: 'compare', rounds };
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const options: LoadOptions = {
    requests: Math.floor(number('requests', values.requests, 2000, 10_000)),
    rounds: Math.max(1, Math.floor(number('rounds', values.rounds, 2, 10))),
    streamShare: number('stream-share', values['stream-share'], 0.5, 1),
    capacity: number('capacity', values.capacity, 20),
    serviceTimeMs: number('service-ms', values['service-ms'], 300, 5_000),
    latencyMs: number('latency-ms', values['latency-ms'], 50, 5_000),
    maxConcurrency: Math.max(1, number('max-concurrency', values['max-concurrency'], 32)),
    maxQueue: number('max-queue', values['max-queue'], 64),
    requestTimeoutMs: 20_000,
    upstreamOverHttp: values['over-http'] ?? false,
    defaultBacklog: values['default-backlog'] ?? false,
  };
  const maxRss = number('max-rss-mib', values['max-rss-mib'], 512) * MIB;
  const maxHeapGrowth = number('max-heap-growth-mib', values['max-heap-growth-mib'], 16) * MIB;
  return { mode: 'load', options, limits: { maxRss, maxHeapGrowth } };
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const signedMib = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / MIB).toFixed(1)} MiB`;
const ms = (x: number) => `${Math.round(x)} ms`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

interface Check {
  name: string;
  ok: boolean;
}

function report(result: LoadResult, { maxRss, maxHeapGrowth }: Limits): boolean {
  const all: Outcome[] = result.rounds.flatMap((round) => round.outcomes);
  const answers = all.filter((o): o is Extract<Outcome, { kind: 'answer' }> => o.kind === 'answer');
  const byStatus = new Map<number, number>();
  for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
  const ok200 = answers.filter((a) => a.status === 200);
  const streams200 = ok200.filter((a) => a.stream);
  const overloaded = answers.filter((a) => a.status === 529);
  const shedByHandler = overloaded.filter((a) => a.shedByHandler).length;
  const otherStatuses = answers.filter((a) => a.status !== 200 && a.status !== 529);
  const connectionErrors = all.filter((o) => o.kind === 'connection-error');
  const timeouts = all.filter((o) => o.kind === 'timeout').length;
  const malformed = answers.filter((a) => (a.status === 200 || a.status === 529) && !a.wellFormed).length;
  const streamsSent = all.filter((o) => o.stream).length;
  const latencies = all.map((o) => o.ms).sort((a, b) => a - b);
  const { options: o } = result;

  const first = result.rounds[0]?.heapAfterGc ?? null;
  const last = result.rounds.at(-1)?.heapAfterGc ?? null;
  const heapGrowth = first !== null && last !== null ? last - first : null;
  const baselineGrowth = result.baselineHeap !== null && last !== null ? last - result.baselineHeap : null;

  const rows: [string, string, string][] = [
    ['requests', `${all.length} (${o.rounds} × ${o.requests} at once, ${streamsSent} streamed)`, ''],
    ['answered 200', String(ok200.length), '> 0'],
    ['  streams ending message_stop', String(streams200.filter((a) => a.streamEnd === 'message_stop').length), ''],
    ['  streams ending event: error', String(streams200.filter((a) => a.streamEnd === 'error').length), ''],
    ['answered 529 overloaded_error', String(overloaded.length), ''],
    ['  shed by the handler (queue full)', `${shedByHandler} (stats().shed ${result.settled.shed})`, ''],
    ['  relayed from the simulator', String(overloaded.length - shedByHandler), ''],
    ['other statuses', otherStatuses.length === 0 ? '0' : [...byStatus].filter(([s]) => s !== 200 && s !== 529).map(([s, n]) => `${s}×${n}`).join(' '), '0'],
    ['connection errors', String(connectionErrors.length), '0'],
    ['timeouts (20 s)', String(timeouts), '0'],
    ['malformed bodies / unended streams', String(malformed), '0'],
    ['max queued', String(result.maxQueued), `≤ ${o.maxQueue} (maxQueue)`],
    ['max active', String(result.maxActive), `≤ ${o.maxConcurrency} (maxConcurrency)`],
    ['simulator max in flight', String(result.upstreamMaxInFlight), `≤ ${o.maxConcurrency}`],
    ['active / queued after the run', `${result.settled.active} / ${result.settled.queued}`, '0 / 0'],
    ['latency p50 / p99 / max', `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))} / ${ms(latencies.at(-1) ?? 0)}`, ''],
    ['peak RSS (server + client worker)', `${mib(result.peakRss)} (start ${mib(result.startRss)}, ${signedMib(result.peakRss - result.startRss)}; ${result.samples} samples)`, `≤ ${mib(maxRss)}`],
    ['peak heapUsed (server thread)', mib(result.peakHeapUsed), ''],
    [
      'heap after GC, round 1 → last',
      heapGrowth === null ? 'n/a (run node with --expose-gc)' : `${mib(first ?? 0)} → ${mib(last ?? 0)} (${signedMib(heapGrowth)})`,
      o.rounds > 1 ? `≤ +${mib(maxHeapGrowth)}` : '',
    ],
    ['heap after GC, before → after', baselineGrowth === null ? 'n/a' : `${mib(result.baselineHeap ?? 0)} → ${mib(last ?? 0)} (${signedMib(baselineGrowth)})`, ''],
    ['wall time', `${(result.wallMs / 1000).toFixed(2)} s (rounds: ${result.rounds.map((r) => `${(r.wallMs / 1000).toFixed(2)} s`).join(', ')})`, ''],
  ];

  const checks: Check[] = [
    { name: 'every request answered', ok: answers.length === all.length && all.length === o.requests * o.rounds },
    { name: 'only 200 or 529', ok: otherStatuses.length === 0 },
    { name: 'no connection errors', ok: connectionErrors.length === 0 },
    { name: 'no timeouts', ok: timeouts === 0 },
    { name: 'bodies well formed, streams ended', ok: malformed === 0 },
    { name: 'some answers got through', ok: ok200.length > 0 },
    { name: 'queue bound held', ok: result.maxQueued <= o.maxQueue },
    { name: 'concurrency bound held', ok: result.maxActive <= o.maxConcurrency && result.upstreamMaxInFlight <= o.maxConcurrency },
    { name: 'handler idle after the run', ok: result.settled.active === 0 && result.settled.queued === 0 && result.settled.upstreamInFlight === 0 },
    { name: 'the handler counted its own 529s', ok: result.settled.shed === shedByHandler },
    { name: 'peak RSS bounded', ok: result.peakRss <= maxRss },
    { name: 'heap does not grow round to round', ok: heapGrowth === null || o.rounds < 2 || heapGrowth <= maxHeapGrowth },
  ];

  const upstream = o.upstreamOverHttp ? 'simulator on 127.0.0.1' : 'simulator in-process (SDK fetch)';
  console.log(
    `claude-overload-kit load check — handler maxConcurrency ${o.maxConcurrency}, maxQueue ${o.maxQueue}; ` +
      `${upstream}, capacity ${o.capacity}, service ${o.serviceTimeMs} ms, latency ${o.latencyMs} ms; Node ${process.version}\n`,
  );
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), ['figure', 'value', 'bound'][i]?.length ?? 0));
  const line = (r: readonly string[]) => r.map((cell, i) => cell.padEnd(width[i] ?? 0)).join('  ').trimEnd();
  console.log(line(['figure', 'value', 'bound']));
  console.log(line(width.map((w) => '─'.repeat(w))));
  for (const row of rows) console.log(line(row));
  if (connectionErrors.length > 0) {
    const kinds = new Map<string, number>();
    for (const e of connectionErrors) if (e.kind === 'connection-error') kinds.set(e.message, (kinds.get(e.message) ?? 0) + 1);
    console.log(`\nconnection errors: ${[...kinds].map(([m, n]) => `${m} ×${n}`).join(', ')}`);
  }
  const failed = checks.filter((c) => !c.ok);
  console.log(failed.length === 0 ? `\nPASS (${checks.length} checks)` : `\nFAIL: ${failed.map((c) => c.name).join('; ')}`);
  return failed.length === 0;
}

async function main(): Promise<void> {
  const parsed = parse();
  if (parsed.mode === 'in-process') {
    await runInProcess({ batches: parsed.rounds, concurrency: 8 });
    process.exit(0);
  }
  if (parsed.mode === 'compare') {
    setTimeout(() => {
      console.error('\nFAIL: the comparison did not finish within 300 s');
      process.exit(1);
    }, 300_000).unref();
    const ok = await runCompareProxy({
      rounds: parsed.rounds, ttfbRequests: 100, rpsConcurrency: 32, rpsMs: 2_000, streamConcurrency: 8, streamMs: 2_000, waiting: 4_000, warmMs: 8_000,
    });
    process.exit(ok ? 0 : 1);
  }
  const { options, limits } = parsed;
  const deadline = setTimeout(() => {
    console.error(`\nFAIL: the load check did not finish within ${DEADLINE_MS / 1000} s`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    const result = await runLoad(options);
    clearTimeout(deadline);
    process.exit(report(result, limits) ? 0 : 1);
  } catch (error) {
    console.error('\nFAIL: the load check crashed:', error);
    process.exit(1);
  }
}

// This same bundle is the client's worker (see load.ts), and the processes of --compare-proxy (compare-roles.ts).
const role = process.env.LOAD_ROLE;
if (role === 'helper') await runHelper();
else if (role === 'front') await runFront(process.env.LOAD_FRONT as FrontKind, process.env.LOAD_UPSTREAM!);
else if (isMainThread) await main();
else runClientWorker();
