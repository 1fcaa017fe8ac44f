// Plays one seeded script of arrivals (two models, both lanes) and Claude's answers on the TypeScript lines
// (createModelLines, the reference) and on the Lua lines in Redis, side by side, and traces after every step who
// has been let through and each line's state. The TypeScript runs on a hand-driven clock; Redis gets the same `now`
// with every command, and its waiters ask again until nothing changes (the store's polling, without its sleeps).
// Where the outcome in Redis depends on which waiter asks first (in a fleet, a race between polls), they ask in the
// order the reference serves them: the line an accepted call just grew first (line.ts pumps its own line before
// the room hands out the freed slot), then interactive before background, oldest first.
// With users, requests name one of a few users (one of them sends most) and take turns: ties within a turn go by
// arrival in both. Request ids are random as the store's are (a letter, then the step): an id's sort order says
// nothing of its arrival, so a Lua that broke ties by id would part ways here.
import { createAcceptGrace } from '../../../src/server/admission/accept-grace.js';
import type { Redis } from 'ioredis';
import { createModelLines, type ModelLinesOptions } from '../../../src/server/admission/lines.js';
import type { LinePermit } from '../../../src/server/admission/line.js';
import { LINE_CONTROL, lineArgs, lineKeys, lineTag, type RedisLineOptions } from '../../../src/server/store/redis-admission.js';
import { mulberry32 } from '../../../src/testing/prng.js';

export const MODELS = ['claude-model-a', 'claude-model-b'] as const;
const ACCEPT_AFTER_MS = 1500;
/** Leases and waiters in Redis live by Redis's clock: long enough never to lapse during a run. */
const FOREVER_MS = 3_600_000;

/** A hand-driven clock: timers fire in time order (then creation order) only when `advance` reaches them. */
function handClock(start: number) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      timers.set(++seq, { at: now + Math.max(0, ms), fn });
      return seq;
    },
    clearTimeout(id: unknown) {
      timers.delete(id as number);
    },
    /** The next timer due by `end`, fired, with the time it fired at; undefined when none is left. */
    fireNext(end: number): number | undefined {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of timers) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next || next[1].at > end) return undefined;
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
      return now;
    },
    set: (to: number) => {
      now = to;
    },
  };
}

interface Request {
  id: string;
  model: string;
  background: boolean;
  order: string;
  /** Its user ('' for none) and its turn among users, as Redis last answered. */
  user: string;
  tag: string;
  tsGrant?: LinePermit;
  lua?: { level: number; epoch: number; probeId: number; at: number; accepted: boolean; graceMs: number; resend: string };
}

export interface Run {
  ts: string[];
  lua: string[];
  /** Grants per model and lane on the reference, and steps where the ceiling was full with someone waiting. */
  seen: {
    grants: Record<string, number>; closed: Record<string, number>; ceilingFull: number; blamed: Record<string, number>;
    /** Grants on the reference that went before an earlier arrival of another user in the same line and lane. */
    overtook: number;
  };
}

export async function playLines(
  redis: Redis, prefix: string, seed: number, steps: number, options: Omit<ModelLinesOptions, 'clock'>,
  users?: readonly string[],
): Promise<Run> {
  const random = mulberry32(seed);
  // Its own stream, so the ids leave the script of events as it was.
  const idRandom = mulberry32(seed + 7919);
  const clock = handClock(1_000_000);
  const lines = createModelLines({ ...options, acceptAfterMs: ACCEPT_AFTER_MS, maxQueue: 10_000, clock });
  const luaOptions: RedisLineOptions = { ...options, ttlMs: FOREVER_MS };
  const tags = Object.fromEntries(await Promise.all(MODELS.map(async (m) => [m, await lineTag(m)] as const)));
  const eval_ = (model: string, op: string, now: number, ...rest: Array<string | number>) => {
    const keys = lineKeys(prefix, { line: tags[model] });
    return redis.eval(LINE_CONTROL, keys.length, ...keys, ...lineArgs(luaOptions, op, now), ...rest);
  };
  // The grace each model's line learns from its refusals (accept-grace.ts), kept here for the Lua side as the
  // handler's Redis store keeps it in the instance.
  const graces = Object.fromEntries(MODELS.map((m) => [m, createAcceptGrace(ACCEPT_AFTER_MS)]));
  const requests: Request[] = [];
  const waitingLua = () => requests.filter((r) => !r.lua);
  const open = () => requests.filter((r) => r.tsGrant && r.lua);
  const run: Run = { ts: [], lua: [], seen: { grants: {}, closed: {}, ceilingFull: 0, blamed: {}, overtook: 0 } };

  /** Every waiter asks Redis again (see above for the order) until two rounds in a row let no one through. */
  async function poll(now: number, first?: string): Promise<void> {
    // Within the line that goes first, by arrival alone: a background waiter asking before an interactive one of its
    // line must still wait for it (line.ts serves interactive first), which this order puts to the test.
    const rank = (r: Request) => (r.model === first ? 0 : 2 + (r.background ? 1 : 0));
    const arrival = (r: Request) => Number(r.id.slice(2));
    for (let quiet = 0; quiet < 2;) {
      let moved = false;
      const asking = users ? inTurns(waitingLua(), first) : waitingLua().sort((x, y) => rank(x) - rank(y) || arrival(x) - arrival(y));
      for (const r of asking) {
        const answer = (await eval_(r.model, 'admit', now, r.id, r.order, FOREVER_MS, FOREVER_MS, '0', r.background ? '1' : '0', '0', r.tag, r.user)) as number[];
        if (r.user !== '') r.tag = String(answer[6]);
        if (answer[0] === 1) {
          // As redis.ts: a probe the script says went in an outage is judged by how fast refusals came.
          const graceMs = graces[r.model]!.ms(answer[3] !== 0 && answer[7] === 1);
          // The resend of an excused refusal (limit.ts): its outcome goes back with the call, as in redis-fleet.ts.
          r.lua = { level: answer[1]!, epoch: answer[2]!, probeId: answer[3]!, at: now, accepted: false, graceMs, resend: String(answer[8]) };
          moved = true;
        } else r.order = String(answer[3]);
      }
      quiet = moved ? 0 : quiet + 1;
    }
  }

  /**
   * With users, the reference serves each line in turns (interactive first, then by turn, then by arrival; a
   * request's first ask, which takes its turn, first: in the reference it joined and went at once if it could), and
   * a freed slot of the room goes to the lines by their first waiter (line.ts head(), lines.ts gave()): the line an
   * accepted call grew first, then interactive heads, then the oldest.
   */
  function inTurns(waiting: Request[], first?: string): Request[] {
    const turn = (r: Request) => (r.tag === '' ? -Infinity : Number(r.tag));
    const arrival = (r: Request) => Number(r.id.slice(2));
    const lines = MODELS.map((model) => waiting.filter((r) => r.model === model)
      .sort((x, y) => Number(x.background) - Number(y.background) || turn(x) - turn(y) || arrival(x) - arrival(y)))
      .filter((line) => line.length > 0);
    const head = (line: Request[]) => [line[0]!.model === first ? 0 : 1, Number(line[0]!.background), arrival(line[0]!)];
    lines.sort((a, b) => {
      const [x, y] = [head(a), head(b)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
    return lines.flat();
  }

  /** The reference's timers up to `end`: each grace period that ends is told to Redis too, in the same order. */
  async function advance(end: number): Promise<void> {
    for (let at = clock.fireNext(end); at !== undefined; at = clock.fireNext(end)) {
      await settleMicrotasks();
      for (const r of open()) {
        if (!r.lua!.accepted && r.lua!.at + r.lua!.graceMs <= at) {
          r.lua!.accepted = true;
          await eval_(r.model, 'accept', at, r.lua!.level, r.lua!.epoch, r.lua!.probeId, r.lua!.resend);
          await poll(at, r.model);
        }
      }
      await poll(at);
    }
    clock.set(end);
  }

  async function trace(step: number, what: string): Promise<void> {
    await settleMicrotasks();
    const now = clock.now();
    const granted = (pick: (r: Request) => unknown) => requests.filter(pick).map((r) => r.id).sort().join(',');
    const stats = lines.stats();
    const effective = (state: string, reopenAt: number) => (state === 'closed' && now >= reopenAt ? 'probing' : state);
    let ts = `${step} ${what} granted[${granted((r) => r.tsGrant)}]`;
    let lua = `${step} ${what} granted[${granted((r) => r.lua)}]`;
    let active = 0;
    for (const model of MODELS) {
      const line = stats[model];
      const [state, reopenAt, limit, inFlight, queued] = (await eval_(model, 'snapshot', now)) as [string, string, number, number, number];
      // The reference's reopen time is not in its stats: a closed line is compared by its state and limit.
      ts += ` | ${model} ${line ? `${effective(line.state, Number(reopenAt))} ${line.limit} ${line.active}/${line.queued}` : 'new'}`;
      lua += ` | ${model} ${line ? `${effective(state, Number(reopenAt))} ${limit} ${inFlight}/${queued}` : 'new'}`;
      if (line?.state === 'closed') run.seen.closed[model] = (run.seen.closed[model] ?? 0) + 1;
      active += line?.active ?? 0;
    }
    if (options.ceiling !== undefined && active >= options.ceiling && requests.some((r) => !r.tsGrant)) run.seen.ceilingFull += 1;
    run.ts.push(ts);
    run.lua.push(lua);
  }

  let now = clock.now();
  for (let step = 0; step < steps; step++) {
    now += Math.floor(random() * 700);
    await advance(now);
    // Claude's mood drifts, and model A has the worse of it: calm, busy, refusing nearly everything, and back. Both
    // refuse nearly everything in the third phase: refusals at a share under sparseShare at every level alike are
    // judged not the line's (limit.ts, levelOutcomes), and would close no window.
    const phase = Math.floor(step / 80) % 4;
    const roll = random();
    const calls = open();
    let what: string;
    let first: string | undefined;
    if (calls.length > 0 && roll < 0.5) {
      const r = calls[Math.floor(random() * calls.length)]!;
      const refuseRate = r.model === MODELS[0] ? [0.05, 0.4, 0.95, 0.3][phase]! : [0.02, 0.1, 0.9, 0.05][phase]!;
      const outcome = random() < refuseRate ? 'refused' : random() < 0.9 ? 'ok' : 'neutral';
      const retryAfterMs = outcome === 'refused' && random() < 0.2 ? 100 * Math.floor(random() * 100) : undefined;
      const status = outcome === 'refused' ? 529 : outcome === 'ok' ? 200 : 500;
      requests.splice(requests.indexOf(r), 1);
      // A refusal with background work of its model on the wire, its window open: blamed on background.
      if (outcome === 'refused' && lines.stats()[r.model]?.state === 'open'
        && (r.background || requests.some((o) => o.model === r.model && o.background && o.tsGrant))) {
        run.seen.blamed[r.model] = (run.seen.blamed[r.model] ?? 0) + 1;
      }
      r.tsGrant!.release({ status, retryAfterMs });
      if (outcome === 'refused') graces[r.model]!.refused(now - r.lua!.at);
      await eval_(r.model, 'settle', now, r.id, r.lua!.level, r.lua!.epoch, r.lua!.probeId, outcome, retryAfterMs ?? -1, r.lua!.accepted ? '1' : '0', r.lua!.resend);
      if (outcome === 'ok' && !r.lua!.accepted) first = r.model;
      what = `${r.id} ${outcome}`;
    } else if (requests.filter((r) => !r.tsGrant).length < 14 && roll < 0.9) {
      // Background work in the calm and busy phases only: a refusal with background on the wire is blamed on it
      // and keeps the window open (background-room.ts), so the other phases are where windows close.
      const r: Request = {
        id: `${'zyxwvutsrq'[Math.floor(idRandom() * 10)]}-${String(step).padStart(5, '0')}`, model: MODELS[random() < 0.6 ? 0 : 1], background: random() < 0.4 && phase < 2, order: '',
        // The first user sends most requests.
        user: users ? users[random() < 0.75 ? 0 : Math.floor(random() * users.length)]! : '', tag: '',
      };
      requests.push(r);
      void lines.admit(r.model, { priority: r.background ? 'background' : 'interactive', user: users ? r.user : undefined }).then((outcome) => {
        if ('release' in outcome) {
          r.tsGrant = outcome;
          if (requests.some((o) => !o.tsGrant && Number(o.id.slice(2)) < Number(r.id.slice(2)) && o.user !== r.user && o.model === r.model && o.background === r.background)) {
            run.seen.overtook += 1;
          }
          const key = `${r.model} ${r.background ? 'background' : 'interactive'}`;
          run.seen.grants[key] = (run.seen.grants[key] ?? 0) + 1;
        }
      });
      what = `${r.id} joins ${r.model} ${r.background ? 'background' : 'interactive'}`;
    } else {
      what = 'time passes';
    }
    await settleMicrotasks();
    await poll(now, first);
    await trace(step, what);
  }
  lines.dispose();
  return run;
}

/** The reference resolves joins through promises: let them land before reading who got through. */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
