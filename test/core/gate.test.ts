import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGate, type GatePermit } from '../../src/core/gate.js';
import { overloaded, rateLimited } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A steady 1 s shortest window, for tests about something else than that window. */
const steady = { minClosedMs: 1_000, maxClosedMs: 1_000 };

/** Acquire and record when the permit arrives. */
function ask(gate: ReturnType<typeof createGate>, options?: Parameters<ReturnType<typeof createGate>['acquire']>[0]) {
  const entry: { permit?: GatePermit; at?: number; error?: unknown } = {};
  gate.acquire(options).then(
    (permit) => Object.assign(entry, { permit, at: Date.now() }),
    (error) => Object.assign(entry, { error }),
  );
  return entry;
}

describe('createGate', () => {
  it('lets requests through at once while open, up to the concurrency limit', async () => {
    const gate = createGate({ maxConcurrency: 2 });
    const [a, b, c] = [ask(gate), ask(gate), ask(gate)];
    await vi.advanceTimersByTimeAsync(0);
    expect([a.permit, b.permit, c.permit].map(Boolean)).toEqual([true, true, false]);
    a.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(c.permit).toBeDefined();
  });

  it('closes on an overload until the failed request’s retry time, holding everyone else', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    expect(gate.getSnapshot()).toMatchObject({ state: 'closed', reopenAt: 5_000 });
    const others = Array.from({ length: 5 }, () => ask(gate));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(others.filter((o) => o.permit)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    // One probe goes first; the rest wait for its answer.
    expect(others.filter((o) => o.permit)).toHaveLength(1);
    expect(gate.getSnapshot().state).toBe('probing');
  });

  it('drains the waiting requests with jitter once the probe succeeds', async () => {
    let draw = 0;
    const randoms = [0.1, 0.9, 0.5, 0.3];
    const gate = createGate({ ...steady, drainJitterMs: 1_000, clock: { ...systemLike(), random: () => randoms[draw++ % randoms.length]! } });
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    const waiting = Array.from({ length: 5 }, () => ask(gate));
    await vi.advanceTimersByTimeAsync(1_000);
    const probe = waiting.find((w) => w.permit)!;
    probe.permit!.release({ ok: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(gate.getSnapshot().state).toBe('open');
    const times = () => waiting.filter((w) => w !== probe && w.at !== undefined).map((w) => w.at!);
    expect(times().length).toBeLessThan(4);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(times()).toHaveLength(4);
    expect(new Set(times()).size).toBeGreaterThan(1);
  });

  it('closes again from the probe’s own retry time when the probe fails', async () => {
    const gate = createGate(steady);
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    const probe = ask(gate);
    await vi.advanceTimersByTimeAsync(1_000);
    probe.permit!.release({ ok: false, failure: overloaded(), retryAt: 9_000 });
    expect(gate.getSnapshot()).toMatchObject({ state: 'closed', reopenAt: 9_000 });
  });

  it('ignores the failures of attempts sent before it closed, so one wave does not stretch the window', async () => {
    const gate = createGate(steady);
    const wave = [ask(gate), ask(gate), ask(gate)];
    await vi.advanceTimersByTimeAsync(0);
    wave[0]!.permit!.release({ ok: false, failure: overloaded(), retryAt: 2_000 });
    wave[1]!.permit!.release({ ok: false, failure: overloaded(), retryAt: 30_000 });
    wave[2]!.permit!.release({ ok: false, failure: overloaded(), retryAt: 60_000 });
    expect(gate.getSnapshot().reopenAt).toBe(2_000);
  });

  it('honours retry-after as the shortest window', async () => {
    const gate = createGate();
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: rateLimited(20_000) });
    expect(gate.getSnapshot().reopenAt).toBe(20_000);
  });

  it('halves the concurrency limit on overload and grows it by one per success', async () => {
    const gate = createGate({ ...steady, maxConcurrency: 8 });
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 1_000 });
    expect(gate.getSnapshot().limit).toBe(4);
    const probe = ask(gate);
    await vi.advanceTimersByTimeAsync(1_000);
    probe.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    expect(gate.getSnapshot().limit).toBe(2);
    const next = ask(gate);
    await vi.advanceTimersByTimeAsync(4_000);
    next.permit!.release({ ok: true });
    expect(gate.getSnapshot().limit).toBe(3);
  });

  it('never shrinks below one', async () => {
    const gate = createGate({ maxConcurrency: 2 });
    for (let i = 0; i < 5; i++) {
      const entry = ask(gate, { force: true });
      await vi.advanceTimersByTimeAsync(0);
      entry.permit!.release({ ok: false, failure: overloaded() });
    }
    expect(gate.getSnapshot().limit).toBe(1);
  });

  it('does not close on failures that say nothing about load', async () => {
    const gate = createGate();
    const entry = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    entry.permit!.release({ ok: false, failure: new (await import('../../src/core/failure.js')).ClaudeError({ kind: 'server_error', message: 'x' }) });
    expect(gate.getSnapshot()).toMatchObject({ state: 'open', limit: 8 });
  });

  it('drops a waiter whose signal aborts and leaves no timer behind', async () => {
    const gate = createGate();
    const first = ask(gate);
    await vi.advanceTimersByTimeAsync(0);
    first.permit!.release({ ok: false, failure: overloaded(), retryAt: 5_000 });
    const controller = new AbortController();
    const waiter = ask(gate, { signal: controller.signal });
    controller.abort(new Error('gone'));
    await vi.advanceTimersByTimeAsync(0);
    expect(waiter.error).toEqual(new Error('gone'));
    expect(gate.getSnapshot().waiting).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stays closed at least 5 s after an overload, doubling with each failed probe up to 15 s, back to 5 s after a success', async () => {
    const gate = createGate();
    const windows: number[] = [];
    const failNext = async () => {
      const entry = ask(gate);
      await vi.advanceTimersByTimeAsync(Math.max(0, (gate.getSnapshot().reopenAt ?? Date.now()) - Date.now()));
      const start = Date.now();
      entry.permit!.release({ ok: false, failure: overloaded(), retryAt: start + 100 });
      windows.push(gate.getSnapshot().reopenAt! - start);
    };
    for (let i = 0; i < 4; i++) await failNext();
    expect(windows).toEqual([5_000, 10_000, 15_000, 15_000]);

    const probe = ask(gate);
    await vi.advanceTimersByTimeAsync(15_000);
    probe.permit!.release({ ok: true });
    await failNext();
    expect(windows.at(-1)).toBe(5_000);
  });
});

function systemLike() {
  return {
    now: () => Date.now(),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => 0.5,
  };
}
