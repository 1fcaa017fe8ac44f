// The handler's memory store keeps a line per model (Claude's capacity is per model) and two lanes in each
// (interactive before background), under the app's maxConcurrency ceiling when it set one. Time is a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler, createMemoryStore } from '../../src/server/index.js';
import type { ClaudeStore, Permit, StoreAdmission } from '../../src/server/index.js';
import { anthropic, until } from '../testing/helpers.js';
import { API_KEY, post, recordingUpstream } from './helpers.js';
import { createHandClock, type HandClock } from './hand-clock.js';

const OVERLOADED = anthropic.errors.find((e) => e.name === 'overloaded')!;
const A = 'claude-model-a';
const B = 'claude-model-b';


function storeOn(
  clock: HandClock,
  limits: { maxConcurrency?: number; ceiling?: number; maxQueue?: number } = {},
): ClaudeStore {
  const store = createMemoryStore();
  store.attach({
    maxConcurrency: limits.maxConcurrency ?? 32, concurrencyCeiling: limits.ceiling, maxQueue: limits.maxQueue ?? 100,
    queueTimeoutMs: 60_000,
    clock, logger: { warn: () => {} }, run: () => Promise.reject(new Error('no queue')),
  });
  return store;
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Admits and records when each request got its permit. */
function tracker(store: ClaudeStore, clock: HandClock) {
  const granted = new Map<string, { at: number; permit: Permit }>();
  const admit = (name: string, model?: string, priority?: 'interactive' | 'background') =>
    store.admit(new AbortController().signal, { model, priority }).then((admission: StoreAdmission) => {
      if ('release' in admission) granted.set(name, { at: clock.now(), permit: admission });
      return admission;
    });
  return { granted, admit };
}

describe('the memory store keeps a line per model', () => {
  it('admits a request for model B at once while model A is held in its closed window', async () => {
    const clock = createHandClock();
    const store = storeOn(clock);
    const { granted, admit } = tracker(store, clock);
    void admit('a1', A);
    await settle();
    granted.get('a1')!.permit.release({ status: 529, pressure: true });
    // a1 waits again at its place, behind A's closed window.
    void store.admit(new AbortController().signal, { model: A, order: granted.get('a1')!.permit.order });
    void admit('b1', B);
    await settle();
    expect(granted.has('b1')).toBe(true);
    expect(store.stats().models?.[A]).toMatchObject({ state: 'closed', queued: 1 });
    expect(store.stats().models?.[B]).toMatchObject({ state: 'open', active: 1, limit: 32 });
    await store.close();
  });

  it("cuts only the overloaded model's limit", async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 8 });
    const { granted, admit } = tracker(store, clock);
    for (let i = 0; i < 8; i++) void admit(`a${i}`, A);
    void admit('b0', B);
    await settle();
    granted.get('a7')!.permit.release({ status: 529, pressure: true });
    await settle();
    expect(store.stats().models?.[A]!.limit).toBeLessThan(8);
    expect(store.stats().models?.[B]!.limit).toBe(8);
    await store.close();
  });

  it('requests that name no model share one line', async () => {
    const clock = createHandClock();
    const store = storeOn(clock);
    const { admit } = tracker(store, clock);
    void admit('x');
    void admit('y');
    await settle();
    expect(Object.keys(store.stats().models ?? {})).toEqual(['']);
    expect(store.stats().models?.['']!.active).toBe(2);
    await store.close();
  });

  it("bounds all models together by the app's ceiling, and gives a freed slot to the oldest waiter of any model", async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 2, ceiling: 2 });
    const { granted, admit } = tracker(store, clock);
    void admit('a1', A);
    void admit('b1', B);
    void admit('a2', A);
    void admit('b2', B);
    await settle();
    expect([...granted.keys()]).toEqual(['a1', 'b1']);
    expect(store.stats()).toMatchObject({ active: 2, queued: 2 });
    // b1's slot is freed: a2 waited longer than b2, so it goes although it is another model's.
    granted.get('b1')!.permit.release({ status: 200 });
    await settle();
    expect([...granted.keys()]).toEqual(['a1', 'b1', 'a2']);
    await store.close();
  });

  it('bounds the requests waiting for all models together by maxQueue', async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 1, ceiling: 1, maxQueue: 2 });
    const { admit } = tracker(store, clock);
    void admit('a1', A);
    void admit('a2', A);
    void admit('b1', B);
    const b2 = await admit('b2', B);
    expect(b2).toMatchObject({ refused: 'full' });
    expect(store.stats()).toMatchObject({ active: 1, queued: 2 });
    await store.close();
  });

  it('forgets idle lines, so a client naming ever new models cannot grow memory', async () => {
    const clock = createHandClock();
    const store = storeOn(clock);
    for (let i = 0; i < 500; i++) {
      const admission = await store.admit(new AbortController().signal, { model: `model-${i}` });
      if ('release' in admission) admission.release({ status: 200 });
    }
    expect(Object.keys(store.stats().models ?? {}).length).toBeLessThanOrEqual(64);
    await store.close();
  });
});

describe('the lanes of a line', () => {
  it('lets two people go at once while a background flood fills all but two slots', async () => {
    for (const limits of [{ maxConcurrency: 4, ceiling: 4 }, { maxConcurrency: 4 }]) {
      const clock = createHandClock();
      const store = storeOn(clock, limits);
      const { granted, admit } = tracker(store, clock);
      for (let i = 0; i < 20; i++) void admit(`bg${i}`, A, 'background');
      await settle();
      expect(granted.size).toBe(2);
      void admit('person', A);
      void admit('another', A);
      await settle();
      expect(granted.has('person') && granted.has('another')).toBe(true);
      await store.close();
    }
  });

  it("keeps the people's window open after a 529 met while background is on the wire: the person takes the next freed slot", async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 8 });
    const { granted, admit } = tracker(store, clock);
    for (let i = 0; i < 20; i++) void admit(`bg${i}`, A, 'background');
    void admit('person', A);
    void admit('friend', A);
    await settle();
    // 6 background calls and 2 people on the wire: Claude had room for only 7 and refuses the friend.
    expect(granted.size).toBe(8);
    const friend = granted.get('friend')!;
    granted.delete('friend');
    friend.permit.release({ status: 529, pressure: true });
    void store.admit(new AbortController().signal, { model: A, order: friend.permit.order }).then((x) => {
      if ('release' in x) granted.set('friend', { at: clock.now(), permit: x });
    });
    await settle();
    // Not a closed window for the people: the friend waits only for a slot under the room Claude showed (7).
    expect(store.stats().models?.[A]).toMatchObject({ state: 'open', limit: 8 });
    expect(granted.has('friend')).toBe(false);
    await clock.advance(300);
    granted.get('bg0')!.permit.release({ status: 200 });
    await settle();
    expect(granted.get('friend')?.at).toBe(300);
    // Background keeps two of those 7 slots free for people: no background call goes until it has 5 or fewer out.
    const active = () => store.stats().models?.[A]?.active;
    expect(active()).toBe(7);
    granted.get('bg1')!.permit.release({ status: 200 });
    await settle();
    expect(active()).toBe(6);
    granted.get('bg2')!.permit.release({ status: 200 });
    await settle();
    expect(active()).toBe(5);
    granted.get('bg3')!.permit.release({ status: 200 });
    await settle();
    expect(active()).toBe(5);
    expect(granted.has('bg6')).toBe(true);
    await store.close();
  });

  it('never delays an interactive request by more than one service time under a background flood at 3× capacity', async () => {
    const clock = createHandClock();
    const SERVICE_MS = 1000;
    const store = storeOn(clock, { maxConcurrency: 4, ceiling: 4 });
    const waits: number[] = [];
    let done = false;
    /** One request: waits its turn, holds its slot one service time, and comes back when it is refused. */
    const request = async (priority: 'interactive' | 'background') => {
      const start = clock.now();
      const admission = await store.admit(new AbortController().signal, { model: A, priority });
      if (!('release' in admission)) return;
      if (priority === 'interactive') waits.push(clock.now() - start);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, SERVICE_MS));
      admission.release({ status: 200 });
    };
    // Background arrives at 3× what the line lets through (4 slots × 1/s = 4/s): 12/s, for 30 s.
    const flood = async () => {
      while (!done) {
        for (let i = 0; i < 3; i++) void request('background');
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 250));
      }
    };
    const people = async () => {
      while (!done) {
        void request('interactive');
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 1300));
      }
    };
    void flood();
    void people();
    await clock.advance(30_000);
    done = true;
    expect(waits.length).toBeGreaterThan(15);
    expect(Math.max(...waits)).toBeLessThanOrEqual(SERVICE_MS);
    await store.close();
  });

  it('forgets the room a background flood showed once the flood is over: people, then the next flood, use the whole limit', async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 8 });
    const { granted, admit } = tracker(store, clock);
    for (let i = 0; i < 6; i++) void admit(`bg${i}`, A, 'background');
    void admit('p0', A);
    void admit('p1', A);
    await settle();
    // Claude refuses p1 with background on the wire: the room it shows is 7.
    granted.get('p1')!.permit.release({ status: 529, pressure: true });
    for (let i = 0; i < 6; i++) granted.get(`bg${i}`)!.permit.release({ status: 200 });
    granted.get('p0')!.permit.release({ status: 200 });
    await settle();
    // No background left: eight people may be on the wire together, as the line's limit says.
    for (let i = 2; i < 10; i++) void admit(`p${i}`, A);
    await settle();
    expect(store.stats().models?.[A]).toMatchObject({ state: 'open', active: 8, queued: 0 });
    for (let i = 2; i < 10; i++) granted.get(`p${i}`)!.permit.release({ status: 200 });
    // A later flood leaves two of the line's 8 slots free, not two of the 7 the first one showed.
    for (let i = 10; i < 20; i++) void admit(`bg${i}`, A, 'background');
    await settle();
    expect(store.stats().models?.[A]).toMatchObject({ active: 6 });
    await store.close();
  });

  it('after an overload, sends an interactive request as the probe before older background ones', async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 2 });
    const { granted, admit } = tracker(store, clock);
    void admit('i0', A);
    // Older than i1, but with one slot left it leaves it to people.
    void admit('bg1', A, 'background');
    void admit('i1', A);
    await settle();
    expect([...granted.keys()]).toEqual(['i0', 'i1']);
    const order = granted.get('i1')!.permit.order;
    // Claude says when to come back, with no background on the wire: the window closes for that long.
    granted.get('i0')!.permit.release({ status: 529, pressure: true, retryAfterMs: 1000 });
    granted.get('i1')!.permit.release({ status: 529, pressure: true, retryAfterMs: 1000 });
    granted.clear();
    // i1 waits again at its place: background's is older, but the probe is the interactive one.
    void store.admit(new AbortController().signal, { model: A, order }).then((x) => {
      if ('release' in x) granted.set('i1', { at: clock.now(), permit: x });
    });
    await settle();
    expect(granted.size).toBe(0);
    await clock.advance(1000);
    expect([...granted.keys()]).toEqual(['i1']);
    await store.close();
  });

  it('lets background requests through when the limit is 1 and nobody interactive waits', async () => {
    const clock = createHandClock();
    const store = storeOn(clock, { maxConcurrency: 1, ceiling: 1 });
    const { granted, admit } = tracker(store, clock);
    void admit('bg1', A, 'background');
    await settle();
    expect(granted.has('bg1')).toBe(true);
    await store.close();
  });
});

describe('createClaudeHandler with a line per model', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers a request for model B at once while model A's 529 holds A's request in line", async () => {
    const upstream = recordingUpstream(async (request) => {
      const { model } = (await request.json()) as { model: string };
      return model === A
        ? Response.json(OVERLOADED.body, { status: 529, headers: OVERLOADED.headers })
        : Response.json(anthropic.success.body, { headers: anthropic.success.headers });
    });
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, models: [A, B], holdMs: 10_000 });
    let aDone = false;
    const a = handler(post({ model: A })).then((r) => {
      aDone = true;
      return r;
    });
    await until(() => upstream.calls.length === 1);
    const b = await handler(post({ model: B }));
    expect(b.status).toBe(200);
    expect(aDone).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await a).status).toBe(529);
  });

  it('puts a request with `x-claude-kit-priority: background` behind interactive ones', async () => {
    const answers: Array<() => void> = [];
    const upstream = recordingUpstream(() => new Promise<Response>((resolve) => {
      answers.push(() => resolve(Response.json(anthropic.success.body, { headers: anthropic.success.headers })));
    }));
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://claude.test', fetch: upstream.fetch, maxConcurrency: 3 });
    const background = () => handler(post({}, { headers: { 'content-type': 'application/json', 'x-claude-kit-priority': 'background' } }));
    const pending = [background(), background(), background()];
    // Background leaves two of the three slots free for people.
    await until(() => upstream.calls.length === 1 && handler.stats().queued === 2);
    const person = handler(post());
    await until(() => upstream.calls.length === 2);
    expect(handler.stats().queued).toBe(2);
    for (let i = 0; i < 5 && answers.length > 0; i++) {
      for (const answer of answers.splice(0)) answer();
      await vi.advanceTimersByTimeAsync(0);
    }
    await until(() => answers.length > 0 || upstream.calls.length === 4);
    for (const answer of answers.splice(0)) answer();
    expect((await person).status).toBe(200);
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200, 200]);
  });
});
