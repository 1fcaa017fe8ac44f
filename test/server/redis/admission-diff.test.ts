// The Redis store's lines are a Lua port of the TypeScript reference (src/server/admission/control.ts, line.ts,
// lines.ts). This plays seeded scripts of events on both, on a real redis-server, and wants the same answer to every
// event and the same state after it: first the control alone (calls let through, taken, refused, finished, at
// scripted times), then whole admissions — two models, both lanes, with and without a ceiling for all models, and
// with users taking turns.
import { describe, expect, it } from 'vitest';
import { createLineControl, type ControlCall, type LineControlOptions } from '../../../src/server/admission/control.js';
import { createRedisLineControl, type RedisLineCall } from '../../../src/server/store/redis-admission.js';
import { LINE_TUNING } from '../../../src/server/admission/defaults.js';
import { mulberry32 } from '../../../src/testing/prng.js';
import { useRedisClient } from './redis-server.js';
import { MODELS, playLines } from './lines-driver.js';

const testbed = useRedisClient();

interface Open {
  ts: ControlCall;
  lua: RedisLineCall;
  accepted: boolean;
}

/**
 * Plays `steps` events on both and returns both traces, one line per event (`withLua` false: the reference alone, its
 * trace in both).
 */
async function play(seed: number, steps: number, options: LineControlOptions, bindingShare = 0.7, withLua = true) {
  const random = mulberry32(seed);
  const ts = createLineControl(options);
  const reference = createRedisLineControl(testbed.client, `diff-${seed}:`, options);
  // The reference alone: the Lua's answers stand in for nothing (its trace is the reference's).
  const lua: typeof reference = withLua ? reference : {
    turn: async () => 'wait', send: async () => ({ id: '', level: 0, epoch: 0, probe: false, probeId: 0 }),
    accepted: async () => {}, refused: async () => 'not-ours', finish: async () => {},
    snapshot: async () => ({ state: ts.state, reopenAt: ts.reopenAt, limit: ts.limit, inFlight: ts.inFlight, queued: 0, share: ts.share, ceiling: ts.ceiling }),
  };
  const traceTs: string[] = [];
  const traceLua: string[] = [];
  const open: Open[] = [];
  let now = 1_000_000;
  for (let step = 0; step < steps; step++) {
    now += Math.floor(random() * 900);
    // Claude's mood drifts: calm, busy, then refusing nearly everything, and back.
    const refuseRate = [0.05, 0.4, 0.95, 0.3][Math.floor(step / 100) % 4]!;
    const binding = random() < bindingShare;
    // How long someone has waited in line (below one call, the limit grows with it).
    const backlogMs = binding ? Math.floor(random() * 120_000) : 0;
    let tsOut: unknown;
    let luaOut: unknown;
    if (open.length > 0 && random() < 0.55) {
      const index = Math.floor(random() * open.length);
      const call = open[index]!;
      const roll = random();
      if (!call.accepted && roll < 0.2) {
        call.accepted = true;
        ts.accepted(call.ts, binding, now, backlogMs);
        await lua.accepted(call.lua, binding, now, backlogMs);
        tsOut = luaOut = 'accepted';
      } else {
        open.splice(index, 1);
        ts.finish(call.ts, now);
        await lua.finish(call.lua, now);
        if (random() < refuseRate) {
          const retryAfterMs = random() < 0.2 ? Math.floor(random() * 20_000) : undefined;
          tsOut = ts.refused(call.ts, now, retryAfterMs, backlogMs);
          luaOut = await lua.refused(call.lua, now, retryAfterMs, backlogMs);
        } else if (random() < 0.9) {
          if (!call.accepted) {
            ts.accepted(call.ts, binding, now, backlogMs);
            await lua.accepted(call.lua, binding, now, backlogMs);
          }
          tsOut = luaOut = 'ok';
        } else tsOut = luaOut = 'neutral';
      }
    } else {
      tsOut = ts.turn(now);
      luaOut = await lua.turn(now);
      if (tsOut !== 'wait') {
        const probe = tsOut === 'probe';
        const call = { ts: ts.send(probe, now), lua: await lua.send(probe, now), accepted: false };
        open.push(call);
        tsOut = `${tsOut} ${call.ts.level}/${call.ts.epoch}/${call.ts.probeId}`;
        luaOut = `${luaOut} ${call.lua.level}/${call.lua.epoch}/${call.lua.probeId}`;
      }
    }
    if (!withLua) luaOut = tsOut;
    const snap = await lua.snapshot();
    traceTs.push(`${step} ${String(tsOut)} ${ts.state} ${ts.reopenAt} ${ts.limit} ${ts.share} ${ts.ceiling} ${ts.inFlight}`);
    traceLua.push(`${step} ${String(luaOut)} ${snap.state} ${snap.reopenAt} ${snap.limit} ${snap.share} ${snap.ceiling} ${snap.inFlight}`);
  }
  return { traceTs, traceLua };
}

describe('the Lua port of the line control', () => {
  it.each([1, 2, 6])('answers a scripted run of 800 events exactly as the TypeScript reference (seed %i)', async (seed) => {
    // A floor below one call (opt-in), so floods take the line below one and it paces.
    const { traceTs, traceLua } = await play(seed, 800, { limit: { initial: 8, min: 0.05 }, minClosedMs: 1000, maxClosedMs: 15_000 });
    expect(traceLua).toEqual(traceTs);
    // The script reached every kind of decision, so the comparison means something.
    const all = traceTs.join('\n');
    for (const word of ['cut', 'same-wave', 'not-ours', 'probe', 'closed', 'wait']) expect(all).toContain(word);
    // A flood took the limit below one call, and the line paced: a wait while open with nothing in flight.
    const fields = traceTs.map((line) => line.split(' '));
    expect(fields.some((f) => Number(f[f.length - 3]) < 1)).toBe(true);
    expect(fields.some((f) => f[1] === 'wait' && f[2] === 'open' && f[f.length - 1] === '0')).toBe(true);
    // Recoveries happened (a ceiling of twice what Claude carried).
    expect(fields.some((f) => f[f.length - 2] !== 'Infinity')).toBe(true);
  }, 60_000);

  it('agrees where the line stops excusing refusals whose resends were nearly all refused (seed 3)', async () => {
    // limit.ts's resendOutcomes: in this run the rule decides (the reference without it answers otherwise), and the
    // Lua decides the same.
    const options: LineControlOptions = { limit: { initial: 8, min: 0.05 }, minClosedMs: 1000, maxClosedMs: 15_000 };
    const { traceTs, traceLua } = await play(3, 800, options);
    expect(traceLua).toEqual(traceTs);
    const { resendOutcomes } = LINE_TUNING;
    let without: string[];
    try {
      Object.assign(LINE_TUNING, { resendOutcomes: 0 });
      without = (await play(3, 800, options, 0.7, false)).traceTs;
    } finally {
      Object.assign(LINE_TUNING, { resendOutcomes });
    }
    expect(without).not.toEqual(traceTs);
  }, 60_000);

  it.each([4, 5])('agrees through recoveries whose ceiling (twice what Claude carried) holds the limit back (seed %i)', async (seed) => {
    // Someone always waits, so a recovery lasts until a calm stretch re-bases it.
    const { traceTs, traceLua } = await play(seed, 800, { limit: { initial: 8 }, minClosedMs: 1000, maxClosedMs: 4000 }, 1);
    expect(traceLua).toEqual(traceTs);
    const fields = traceTs.map((line) => line.split(' '));
    const bound = fields.filter((f) => f[f.length - 2] !== 'Infinity' && Number(f[f.length - 3]) === Number(f[f.length - 2]));
    expect(bound.length).toBeGreaterThan(0);
  }, 60_000);

  it('agrees with a ceiling, a gentler cut and the default floor of one call too', async () => {
    const { traceTs, traceLua } = await play(9, 400, { limit: { initial: 3, max: 6, decrease: 0.7, evidenceMs: 3000 }, minClosedMs: 250 });
    expect(traceLua).toEqual(traceTs);
  }, 60_000);
});

describe('the Lua port of the lines per model, their lanes and their room', () => {
  it.each([11, 13])('lets the same requests through as createModelLines, two models and both lanes, no ceiling (seed %i)', async (seed) => {
    const run = await playLines(testbed.client, `lines-${seed}:`, seed, 320, { limit: { initial: 3 }, minClosedMs: 1000, maxClosedMs: 8000 });
    expect(run.lua).toEqual(run.ts);
    // Both models' windows closed at some point, refusals were blamed on background, and each lane of each model got
    // through.
    for (const model of MODELS) {
      expect(run.seen.closed[model]).toBeGreaterThan(0);
      expect(run.seen.blamed[model]).toBeGreaterThan(0);
      for (const lane of ['interactive', 'background']) expect(run.seen.grants[`${model} ${lane}`]).toBeGreaterThan(0);
    }
  }, 60_000);

  it('lets the same requests through when lines pace below one call (a floor below one)', async () => {
    const run = await playLines(testbed.client, 'lines-paced:', 4, 320, { limit: { initial: 3, min: 0.05 }, minClosedMs: 1000, maxClosedMs: 8000 });
    expect(run.lua).toEqual(run.ts);
  }, 60_000);

  // Seed 21 became 24 when model B's third phase went from 0.6 to 0.9 refused (lines-driver.ts): both stores still
  // agree on 21, but its run has 2 overtakings, not the 3 this wants to see.
  it.each([23, 24])('lets the same requests through when users take turns, one of them sending most (seed %i)', async (seed) => {
    const run = await playLines(testbed.client, `users-${seed}:`, seed, 320, { limit: { initial: 3 }, minClosedMs: 1000, maxClosedMs: 8000 },
      ['heavy', 'light-1', 'light-2', 'light-3']);
    expect(run.lua).toEqual(run.ts);
    // Turns changed the order: grants went before earlier arrivals of another user.
    expect(run.seen.overtook).toBeGreaterThanOrEqual(3);
  }, 60_000);
  // Under a ceiling with users: a freed slot of the room goes to the line whose first waiter (in turn) came first, and
  // within it to its first in turn (lines.ts gave()). The Lua once gave it to the oldest waiter any line let go,
  // which with users is often not a line's first in turn (a heavy user's early arrival went before a light user's
  // turn): 3 of these 4 seeds parted ways; 10 of 10 tried agree now.
  it.each([8, 12, 21, 23])('lets the same requests through when users take turns under a ceiling for all models (seed %i)', async (seed) => {
    const run = await playLines(testbed.client, `users-room-${seed}:`, seed, 320, {
      ceiling: 4, limit: { initial: 3, max: 4 }, minClosedMs: 500, maxClosedMs: 4000,
    }, ['heavy', 'light-1', 'light-2', 'light-3']);
    expect(run.lua).toEqual(run.ts);
    expect(run.seen.ceilingFull).toBeGreaterThan(10);
    expect(run.seen.overtook).toBeGreaterThanOrEqual(3);
  }, 60_000);

  // Seed 12 became 13 when the levelled outcomes stopped excusing refusals of a line with someone waiting 20 s
  // (levelBacklogMs): both stores still agree on 12, but one of its models never closes its window there.
  it.each([8, 13])('lets the same requests through under a ceiling for all models together (seed %i)', async (seed) => {
    const run = await playLines(testbed.client, `room-${seed}:`, seed, 320, {
      ceiling: 4, limit: { initial: 3, max: 4 }, minClosedMs: 500, maxClosedMs: 4000,
    });
    expect(run.lua).toEqual(run.ts);
    // The ceiling bound with requests waiting, so the room's order was tested, not just its bound.
    expect(run.seen.ceilingFull).toBeGreaterThan(10);
    for (const model of MODELS) {
      expect(run.seen.closed[model]).toBeGreaterThan(0);
      expect(run.seen.blamed[model]).toBeGreaterThan(0);
      expect(run.seen.grants[`${model} background`]).toBeGreaterThan(0);
    }
  }, 60_000);
});
