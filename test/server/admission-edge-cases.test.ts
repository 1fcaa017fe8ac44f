// Sequences of the admission line that once left a request waiting for nothing, a slot counted wrongly, or a bad
// number on the wire. Time is a hand-driven clock.
import { describe, expect, it } from 'vitest';
import { createAdmissionLine, type LinePermit, type LineRefusal } from '../../src/server/admission/line.js';
import { lineHintHeaders } from '../../src/server/admission/hints.js';
import { readLinePlace } from '../../src/core/line-ticket.js';
import { createMemoryStore } from '../../src/server/index.js';
import type { ClaudeStore, Permit, StoreAdmission } from '../../src/server/index.js';
import { createHandClock, type HandClock } from './hand-clock.js';

const A = 'claude-model-a';


/**
 * A wall clock over monotonic timers, as Date.now and setTimeout are: `step` moves the wall clock (an NTP step, a
 * VM restored from a snapshot) while timers keep counting real time.
 */
function steppingClock() {
  const timers = createHandClock();
  let offset = 0;
  return {
    now: () => timers.now() + offset,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    advance: timers.advance,
    step(ms: number) {
      offset += ms;
    },
  };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function storeOn(clock: HandClock, limits: { maxConcurrency?: number; ceiling?: number; maxQueue?: number } = {}): ClaudeStore {
  const store = createMemoryStore();
  store.attach({
    maxConcurrency: limits.maxConcurrency ?? 32, concurrencyCeiling: limits.ceiling, maxQueue: limits.maxQueue ?? 100,
    queueTimeoutMs: 60_000,
    clock, logger: { warn: () => {} }, run: () => Promise.reject(new Error('no queue')),
  });
  return store;
}

/** Admits and records when each request got its permit. */
function tracker(store: ClaudeStore, clock: HandClock) {
  const granted = new Map<string, { at: number; permit: Permit }>();
  const admit = (name: string, options: Parameters<ClaudeStore['admit']>[1] = {}) =>
    store.admit(new AbortController().signal, { model: A, ...options }).then((admission: StoreAdmission) => {
      if ('release' in admission) granted.set(name, { at: clock.now(), permit: admission });
      return admission;
    });
  return { granted, admit };
}

describe('background work', () => {
  it('goes on, one call at a time, after Claude showed room for fewer than three calls and no person is around', async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 4 });
    const { granted, admit } = tracker(store, clock);
    for (let i = 0; i < 6; i++) void admit(`bg${i}`, { priority: 'background' });
    await settle();
    // Limit 4, two slots left for people: two background calls go.
    expect([...granted.keys()]).toEqual(['bg0', 'bg1']);
    // Claude has room for one call: it refuses bg0 (blamed on background: the room seen is 1), which waits again at
    // its place, and answers bg1.
    const bg0 = granted.get('bg0')!.permit;
    bg0.release({ status: 529, pressure: true });
    void admit('bg0 again', { priority: 'background', order: bg0.order });
    await clock.advance(300);
    granted.get('bg1')!.permit.release({ status: 200 });
    await settle();
    // Nothing is on the wire and only background waits: one call goes (it left people none of a room of one before).
    await clock.advance(5_000);
    expect(granted.has('bg0 again')).toBe(true);
    expect(store.stats().active).toBe(1);
    await store.close();
  });
});

/** Claude takes `n` calls of the line, one after the other, each answered after `ms`. */
async function takeCalls(line: ReturnType<typeof createAdmissionLine>, clock: HandClock, n: number, ms: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const grant = (await line.admit()) as LinePermit;
    await clock.advance(ms);
    grant.release({ status: 200 });
  }
}

describe('the expected wait', () => {
  it('stays a plain number of milliseconds, an hour at most, after minutes in which Claude took no call', async () => {
    const clock = createHandClock();
    const line = createAdmissionLine({ clock, limit: { initial: 1 }, newTicket: () => 'ticket' });
    // Claude took calls at a good pace for a while, then one call hangs (an outage starts): nothing is taken for
    // minutes, and the recent rate of calls decays towards zero.
    await takeCalls(line, clock, 20, 500);
    const hung = (await line.admit()) as LinePermit;
    for (const minutes of [1, 3, 10, 60]) {
      await clock.advance(minutes * 60_000);
      const refusal = (await line.admit({ deadlineAt: clock.now() })) as LineRefusal;
      expect(refusal.refused).toBe('timeout');
      expect(Number.isFinite(refusal.expectedWaitMs)).toBe(true);
      expect(refusal.expectedWaitMs).toBeLessThanOrEqual(3_600_000);
      // What the kit's browser transport reads from the handler's 529: a wait it can show.
      const place = readLinePlace(new Headers(lineHintHeaders({ ...refusal, via: 'memory' }, true)));
      expect(place?.expectedWaitMs).toBe(refusal.expectedWaitMs);
    }
    hung.release({ status: 200 });
    line.dispose();
  });

  it('names the turn at the pace the line moved through an outage after traffic, not a wait growing tenfold every 23 s', async () => {
    const clock = createHandClock();
    const line = createAdmissionLine({ clock, limit: { initial: 1 }, newTicket: () => 'ticket' });
    // Claude took a call every half second, then refuses every call (an outage): one person's request probes it.
    await takeCalls(line, clock, 20, 500);
    let refused = 0;
    // The person's request, held in line: it goes whenever the line lets it, and Claude refuses it each time.
    const person = async () => {
      let order: number | undefined;
      for (;;) {
        const admission = await line.admit({ order, deadlineAt: clock.now() + 120_000 });
        if (!('release' in admission)) return;
        order = admission.order;
        refused += 1;
        admission.release({ status: 529, pressure: true });
      }
    };
    const held = person();
    const named: number[] = [];
    for (let second = 1; second <= 60; second++) {
      await clock.advance(1_000);
      // What the handler tells another person arriving now, one request ahead of them (when the line lets them go at
      // once instead, Claude refuses them too).
      const asked = await line.admit({ deadlineAt: clock.now() });
      if ('release' in asked) asked.release({ status: 529, pressure: true });
      else if (second >= 30) named.push(asked.expectedWaitMs);
    }
    expect(refused).toBeGreaterThanOrEqual(5);
    expect(named.length).toBeGreaterThanOrEqual(10);
    // The window's end, then a call's worth at the pace Claude took them (half a second): the same few seconds a
    // minute in as half a minute in. It named over 10 min by the minute's end when the outage decayed the rate.
    expect(Math.max(...named)).toBeLessThanOrEqual(4_000);
    line.dispose();
    await held;
  });
});

describe('the wall clock stepping back', () => {
  it("ends a closed window after its length, not after the clock's step as well", async () => {
    const clock = steppingClock();
    const line = createAdmissionLine({ clock, limit: { initial: 4 }, minClosedMs: 1000, newTicket: () => 'ticket' });
    const granted: string[] = [];
    const grants: LinePermit[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      void line.admit().then((x) => {
        if ('release' in x) {
          granted.push(name);
          grants.push(x);
        }
      });
    }
    await settle();
    // A wave of refusals (the third call sent comes back first: Claude took fewer than three) closes the window.
    const [a, b, c, d] = grants.splice(0);
    for (const grant of [c!, d!, b!, a!]) grant.release({ status: 529, pressure: true });
    expect(line.stats().state).toBe('closed');
    // The server's clock is set back an hour while the window is closed.
    clock.step(-3_600_000);
    await clock.advance(1000);
    // The probe goes when the second is over, not an hour later.
    expect(granted).toEqual(['a', 'b', 'c', 'd', 'e']);
    line.dispose();
  });

  it("ends background's hold after a 529 when its length is over, not after the clock's step as well", async () => {
    const clock = steppingClock();
    const line = createAdmissionLine({ clock, limit: { initial: 8 }, newTicket: () => 'ticket' });
    const grants: LinePermit[] = [];
    for (let i = 0; i < 10; i++) {
      void line.admit({ priority: 'background' }).then((x) => {
        if ('release' in x) grants.push(x);
      });
    }
    await settle();
    expect(grants).toHaveLength(6);
    // Claude refuses one with background on the wire and asks for 5 s: background is held that long. The others end
    // without an answer that proves room (500s), so only the hold keeps background back.
    grants[0]!.release({ status: 529, pressure: true, retryAfterMs: 5000 });
    for (const grant of grants.slice(1)) grant.release({ status: 500 });
    await settle();
    expect(line.stats().active).toBe(0);
    clock.step(-3_600_000);
    await clock.advance(5000);
    expect(line.stats().active).toBeGreaterThan(0);
    line.dispose();
  });

  it('names no wait of zero for an hour after the clock was set back an hour', async () => {
    const clock = steppingClock();
    const line = createAdmissionLine({ clock, limit: { initial: 1 }, newTicket: () => 'ticket' });
    // Claude takes a call every two seconds: ten people ahead are about 20 s.
    for (let i = 0; i < 10; i++) {
      const grant = (await line.admit()) as LinePermit;
      await clock.advance(2000);
      grant.release({ status: 200 });
    }
    const busy = (await line.admit()) as LinePermit;
    const waiting = Array.from({ length: 10 }, () => line.admit({ deadlineAt: clock.now() + 60_000 }));
    const before = (await line.admit({ deadlineAt: clock.now() })) as LineRefusal;
    clock.step(-3_600_000);
    const after = (await line.admit({ deadlineAt: clock.now() })) as LineRefusal;
    expect(before.expectedWaitMs).toBeGreaterThan(5_000);
    expect(after.expectedWaitMs).toBeGreaterThanOrEqual(before.expectedWaitMs * 0.5);
    busy.release({ status: 200 });
    line.dispose();
    await Promise.all(waiting);
  });
});

describe('closing the store', () => {
  it('leaves no timer behind, calls on the wire included, and starts none when they end afterwards', async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 4 });
    const { granted, admit } = tracker(store, clock);
    for (let i = 0; i < 3; i++) void admit(`bg${i}`, { priority: 'background' });
    void admit('person');
    await settle();
    expect(granted.size).toBe(3);
    await store.close();
    expect(clock.pending).toBe(0);
    // The calls end after the store closed (a server shutting down lets them finish): a 529 blamed on background,
    // then answers. Nothing may wake a closed store.
    granted.get('bg0')!.permit.release({ status: 529, pressure: true });
    granted.get('bg1')!.permit.release({ status: 200 });
    granted.get('person')!.permit.release({ status: 200 });
    expect(clock.pending).toBe(0);
  });
});

describe('lines per model', () => {
  it('forgets lines of models Claude refused once, after their window, so ever new model names cannot grow memory', async () => {
    const clock = createHandClock();
    const store = storeOn(clock);
    // In an Anthropic-wide overload, a client names a new model with every request and each is refused: each line
    // closes its window. Nobody comes back for those models.
    for (let i = 0; i < 500; i++) {
      const admission = await store.admit(new AbortController().signal, { model: `model-${i}` });
      if ('release' in admission) admission.release({ status: 529, pressure: true });
      await clock.advance(100);
    }
    expect(Object.keys(store.stats().models ?? {}).length).toBeLessThanOrEqual(64);
    await store.close();
  });
});
