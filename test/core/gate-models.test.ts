import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGate, type AcquireOptions, type GatePermit } from '../../src/core/gate.js';
import { overloaded } from './helpers.js';
import { priorityLanes } from '../../src/features/lanes.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

type TestGate = ReturnType<typeof createGate>;

function ask(gate: TestGate, options?: AcquireOptions) {
  const entry: { permit?: GatePermit; at?: number; error?: unknown } = {};
  gate.acquire(options).then(
    (permit) => Object.assign(entry, { permit, at: Date.now() }),
    (error) => Object.assign(entry, { error }),
  );
  return entry;
}

describe('a gate per model', () => {
  it('lets a request for model B through at once after a 529 on model A', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const a = ask(gate, { model: 'model-a' });
    await vi.advanceTimersByTimeAsync(0);
    a.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    expect(gate.snapshotOf('model-a')).toMatchObject({ state: 'closed', reopenAt: 5_000, troubledSince: 0 });

    const b = ask(gate, { model: 'model-b' });
    const a2 = ask(gate, { model: 'model-a' });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.at).toBe(0);
    expect(a2.permit).toBeUndefined();
    expect(gate.snapshotOf('model-b').state).toBe('open');
    expect(gate.getSnapshot()).toMatchObject({ state: 'closed', reopenAt: 5_000, inFlight: 1, waiting: 1 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(a2.at).toBe(5_000);
  });

  it('puts requests without a model in one shared window, the default model’s', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    const second = ask(gate);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(second.permit).toBeUndefined();
    expect(gate.snapshotOf().state).toBe('closed');
    expect(gate.getSnapshot().models['']).toMatchObject({ state: 'closed' });
  });

  it('still bounds every model together by the app-wide concurrency', async () => {
    const gate = createGate({ maxConcurrency: 2 });
    const [a, b, c] = [ask(gate, { model: 'a' }), ask(gate, { model: 'b' }), ask(gate, { model: 'c' })];
    await vi.advanceTimersByTimeAsync(0);
    expect([a, b, c].map((x) => Boolean(x.permit))).toEqual([true, true, false]);
    b.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(c.permit).toBeDefined();
  });

  it('halves only the overloaded model’s limit', async () => {
    const gate = createGate({ maxConcurrency: 8 });
    const a = ask(gate, { model: 'a' });
    await vi.advanceTimersByTimeAsync(0);
    a.permit!.release({ ok: false, failure: overloaded() });
    expect(gate.snapshotOf('a').limit).toBe(4);
    expect(gate.snapshotOf('b').limit).toBe(8);
  });
});

describe('priority lanes', () => {
  it('without priorityLanes, lets background work wait in line with the people, first come first served', async () => {
    const gate = createGate({ maxConcurrency: 1 });
    const running = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    const background = ask(gate, { priority: 'background' });
    const person = ask(gate);
    running.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(background.permit).toBeDefined();
    expect(person.permit).toBeUndefined();
    expect(gate.snapshotOf().backgroundReopenAt).toBeUndefined();
  });

  it('lets a waiting interactive request go before background requests that came first', async () => {
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 3 });
    const running = [ask(gate), ask(gate, { priority: 'background' }), ask(gate)];
    await vi.advanceTimersByTimeAsync(0);
    const background = [ask(gate, { priority: 'background' }), ask(gate, { priority: 'background' })];
    const person = ask(gate, { priority: 'interactive' });
    await vi.advanceTimersByTimeAsync(0);
    expect(running.every((r) => r.permit)).toBe(true);
    running[1]!.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(person.permit).toBeDefined();
    expect(background.filter((b) => b.permit)).toHaveLength(0);
  });

  it('keeps one slot free of background work, so a flood delays a person by at most one service time', async () => {
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 4 });
    const flood = Array.from({ length: 30 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(flood.filter((f) => f.permit)).toHaveLength(3);
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    expect(person.at).toBe(0);

    // Every slot busy now (3 background + 1 person): a second person gets the first slot that frees.
    const second = ask(gate);
    await vi.advanceTimersByTimeAsync(700);
    flood.find((f) => f.permit)!.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(second.at).toBe(700);
  });

  it('holds background requests back after one of them meets an overload, while people keep going', async () => {
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 4, drainJitterMs: 0 });
    const bg = ask(gate, { model: 'a', priority: 'background' });
    await vi.advanceTimersByTimeAsync(0);
    bg.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    expect(gate.snapshotOf('a')).toMatchObject({ state: 'open', backgroundReopenAt: 5_000 });
    const heldBackground = ask(gate, { model: 'a', priority: 'background' });
    const person = ask(gate, { model: 'a' });
    await vi.advanceTimersByTimeAsync(0);
    expect(person.at).toBe(0);
    expect(heldBackground.permit).toBeUndefined();
    person.permit!.release({ ok: true }); // the model answered a person: background may go again
    await vi.advanceTimersByTimeAsync(0);
    expect(heldBackground.at).toBe(0);
  });

  it('lets background requests wait out an interactive overload like everyone, and go last after it', async () => {
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 4, drainJitterMs: 0 });
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    const bg = ask(gate, { priority: 'background' });
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(5_000);
    // The probe is the person; the background request waits for its answer.
    expect(person.at).toBe(5_000);
    expect(bg.permit).toBeUndefined();
    person.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(bg.at).toBe(5_000);
  });
});

describe('priority lanes under overload', () => {
  it('blames an overload met while background work is on the wire on that work: the people’s window stays open', async () => {
    vi.useFakeTimers({ now: 0 });
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 4, drainJitterMs: 0 });
    const bg = ask(gate, { priority: 'background' });
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    person.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    expect(gate.snapshotOf()).toMatchObject({ state: 'open', backgroundReopenAt: 5_000 });
    const again = ask(gate);
    const moreBackground = ask(gate, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(0);
    // Claude was full with the one background request on the wire: the person waits for its slot, not for 5 s.
    expect(again.permit).toBeUndefined();
    await vi.advanceTimersByTimeAsync(300);
    bg.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(again.at).toBe(300);
    expect(moreBackground.permit).toBeUndefined();
  });
});

describe('background’s own limit', () => {
  it('halves what background had on the wire when an overload is blamed on it, and leaves the people’s limit whole', async () => {
    vi.useFakeTimers({ now: 0 });
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 16, drainJitterMs: 0 });
    const running = Array.from({ length: 8 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    // A person's request meets Claude full: 8 background requests on the wire, so Claude's room is about 8.
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    expect(gate.snapshotOf()).toMatchObject({ limit: 16, backgroundReopenAt: 5_000 });
    const more = Array.from({ length: 6 }, () => ask(gate, { priority: 'background' }));
    for (const r of running.slice(0, 5)) r.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(5_000);
    // Three of the first wave still on the wire; background's limit was halved to 8 / 2 = 4 and the five answers
    // grew it back to 5: two more may go, not six.
    expect(more.filter((m) => m.permit)).toHaveLength(2);
    // People are not held by background's limit.
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    expect(person.at).toBe(5_000);
  });

  it('keeps two of Claude’s seen slots free for people once background filled them, and looks for more room slowly', async () => {
    vi.useFakeTimers({ now: 0 });
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 16, drainJitterMs: 0 });
    const running = Array.from({ length: 8 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    person.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    // The person's retry waits for the next slot Claude frees, and gets it before any background request.
    const retry = ask(gate);
    const queued = Array.from({ length: 8 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(retry.permit).toBeUndefined();
    running[0]!.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(retry.permit).toBeDefined();
    expect(queued.filter((q) => q.permit)).toHaveLength(0);
    // Background refills Claude's seen room of 8 minus two: 6 on the wire with the person's, not 8.
    for (const r of running.slice(1)) r.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(gate.snapshotOf().inFlight).toBe(6);
    // Answers show more room: one slot per four rounds, so background creeps up instead of filling Claude again.
    let answered = 0;
    for (let round = 0; round < 4 * 8; round++) {
      const sent = queued.find((q) => q.permit && !('done' in q));
      if (!sent) queued.push(ask(gate, { priority: 'background' }));
      else {
        Object.assign(sent, { done: true });
        sent.permit!.release({ ok: true });
        answered += 1;
        queued.push(ask(gate, { priority: 'background' }));
      }
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(answered).toBeGreaterThanOrEqual(4 * 8 - 1);
    expect(gate.snapshotOf().inFlight).toBe(7);
  });

  it('holds a person under Claude’s seen room no longer than the retry time of the one who met the 529', async () => {
    vi.useFakeTimers({ now: 0 });
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 16, drainJitterMs: 0 });
    // Long background answers fill Claude; a person meets a 529 and would retry at 1.2 s.
    Array.from({ length: 4 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    person.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_200 });
    const retry = ask(gate);
    await vi.advanceTimersByTimeAsync(1_199);
    expect(retry.permit).toBeUndefined();
    // No background answer came back: the person goes at its own retry time, as a backoff would have sent it.
    await vi.advanceTimersByTimeAsync(1);
    expect(retry.at).toBe(1_200);
  });

  it('learns no room from a 529 at a level Claude answered a moment ago: that one was Anthropic-wide load', async () => {
    vi.useFakeTimers({ now: 0 });
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 16, drainJitterMs: 0 });
    const first = Array.from({ length: 6 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    first[5]!.permit!.release({ ok: true }); // answered with 6 on the wire
    const again = ask(gate, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(0);
    // Now one of them is refused with 6 on the wire again: not our level.
    again.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    expect(person.at).toBe(0);
    // Background is still halved, as for any 529 met while it is on the wire, but not capped by a seen room.
    expect(gate.snapshotOf()).toMatchObject({ backgroundReopenAt: 5_000, limit: 16 });
  });
});

describe('when a request that met a failure can really go (gate.retryAt)', () => {
  it('waits for a closed window, except a return the handler’s line paces', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    // The window holds everyone until 5 s, longer than this request's own 1 s.
    expect(gate.retryAt('', overloaded(), 1_000, false)).toBe(5_000);
    const paced = Object.assign(overloaded(), { line: { ahead: 3 } });
    expect(gate.retryAt('', paced, 1_000, false)).toBe(1_000);
    expect(gate.retryAt('another-model', overloaded(), 1_000, false)).toBe(1_000);
  });

  it('sends a person at once, for the next free slot, where lanes took the 529 for background’s; never background', async () => {
    const gate = createGate({ lanes: priorityLanes(), maxConcurrency: 16, drainJitterMs: 0 });
    Array.from({ length: 8 }, () => ask(gate, { priority: 'background' }));
    await vi.advanceTimersByTimeAsync(0);
    const person = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    person.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    expect(gate.retryAt('', overloaded(), 1_000, false)).toBe(0);
    expect(gate.retryAt('', overloaded(), 1_000, true)).toBe(1_000);
    // A retry-after is Claude's own word: it is kept.
    expect(gate.retryAt('', Object.assign(overloaded(), { retryAfterMs: 2_000 }), 2_000, false)).toBe(2_000);
    // Without lanes the same moment is a backoff.
    const plain = createGate({ maxConcurrency: 16, drainJitterMs: 0 });
    expect(plain.retryAt('', overloaded(), 1_000, false)).toBe(1_000);
  });
});
