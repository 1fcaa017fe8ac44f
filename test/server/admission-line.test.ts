import { describe, expect, it } from 'vitest';
import type { LineRefusal } from '../../src/server/admission/line.js';
import { OK, OVERLOADED, setupLine } from './line-harness.js';

const setup = setupLine;

describe('the admission line', () => {
  it('lets requests go in the order they arrived, as many at once as the limit allows', async () => {
    const { line, granted, order, admit } = setup({ limit: { initial: 2 } });
    for (const name of ['a', 'b', 'c', 'd']) void admit(name);
    await Promise.resolve();
    expect(order).toEqual(['a', 'b']);
    expect(line.stats()).toMatchObject({ active: 2, queued: 2 });
    granted[1]!.release(OK);
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('grows the limit while it binds and Claude takes every call, with no ceiling', async () => {
    const { line, granted, admit } = setup({ limit: { initial: 2 } });
    for (let i = 0; i < 40; i++) void admit(`r${i}`);
    await Promise.resolve();
    for (let round = 0; round < 6; round++) {
      for (const grant of granted.splice(0)) grant.release(OK);
      await Promise.resolve();
    }
    expect(line.stats().limit).toBeGreaterThan(8);
  });

  it('cuts the limit once for a wave of refusals, closes the window, then sends one probe alone', async () => {
    const { clock, line, granted, order, admit } = setup({ limit: { initial: 4 }, minClosedMs: 1000 });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) void admit(name);
    await Promise.resolve();
    // The third one sent comes back first: Claude refused even a third call of ours, so the limit becomes 2 × 0.9.
    const [a, b, c, d] = granted.splice(0);
    for (const grant of [c!, d!, b!, a!]) grant.release(OVERLOADED);
    await Promise.resolve();
    // Four refusals of calls sent together: one cut, and nothing goes while the window is closed.
    expect(line.stats()).toMatchObject({ limit: 1, state: 'closed', active: 0 });
    await clock.advance(999);
    expect(order).toHaveLength(4);
    await clock.advance(1);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(line.stats().state).toBe('probing');
    // The probe is taken once Claude has not refused it for acceptAfterMs; then the line flows again.
    await clock.advance(1500);
    expect(line.stats().state).toBe('open');
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('only cuts the limit, without closing the window, when a lone refusal comes at the top of the limit', async () => {
    const { line, granted, order, admit } = setup({ limit: { initial: 4 } });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) void admit(name);
    await Promise.resolve();
    granted[3]!.release(OVERLOADED);
    await Promise.resolve();
    // The limit was growing into Claude's edge: 3 × 0.9 now, and the line keeps flowing under it.
    expect(line.stats()).toMatchObject({ limit: 2, state: 'open', active: 3 });
    granted[0]!.release(OK);
    granted[1]!.release(OK);
    await Promise.resolve();
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('opens the line as soon as the probe is answered, before acceptAfterMs', async () => {
    const { clock, line, granted, order, admit } = setup({ limit: { initial: 2 }, minClosedMs: 1000 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) void admit(name);
    await Promise.resolve();
    for (const grant of granted.splice(0).reverse()) grant.release(OVERLOADED);
    await clock.advance(1000);
    expect(order).toEqual(['a', 'b', 'c']);
    granted.shift()!.release(OK);
    await Promise.resolve();
    expect(line.stats().state).toBe('open');
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('probes every second in an outage, for fastProbesMs, then doubles the closed window each time the probe is refused', async () => {
    // Claude has taken none of the line's calls since it began refusing: probes are cheap, one a second, so a short
    // outage ends for the line within about a second; past fastProbesMs the windows double (1 s, then 2 s).
    const { clock: c2, granted: g2, admit: j2 } = setup({ limit: { initial: 1 }, minClosedMs: 1000 });
    for (let i = 0; i < 16; i++) void j2(`r${i}`);
    await Promise.resolve();
    const probes: number[] = [];
    while (probes.length < 13) {
      const grant = g2.shift();
      if (!grant) {
        await c2.advance(100);
        continue;
      }
      probes.push(c2.now());
      grant.release(OVERLOADED);
    }
    expect(probes).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 12_000, 14_000]);
  });

  it('doubles the closed window when Claude took some of its calls since it began refusing (a smaller room)', async () => {
    // evidenceMs 1: the call taken is no evidence that later refusals are not ours.
    const { clock: c2, granted: g2, admit: j2 } = setup({ limit: { initial: 1, evidenceMs: 1 }, minClosedMs: 1000 });
    for (let i = 0; i < 8; i++) void j2(`r${i}`);
    await Promise.resolve();
    g2.shift()!.release(OVERLOADED);
    await c2.advance(1000);
    // The probe is taken (answered): Claude has room for some of the line's calls.
    g2.shift()!.release(OK);
    await c2.advance(0);
    const probes: number[] = [];
    const start = c2.now();
    while (probes.length < 3) {
      const grant = g2.shift();
      if (!grant) {
        await c2.advance(100);
        continue;
      }
      probes.push(c2.now() - start);
      // Refused 100 ms after it left.
      await c2.advance(100);
      grant.release(OVERLOADED);
    }
    // Windows of 1 s, then 2 s, from each refusal.
    expect(probes).toEqual([0, 1100, 3200]);
  });

  it('keeps the line flowing when Claude refuses at random at a level it just accepted (not our load)', async () => {
    const { clock, line, granted, admit } = setup({ limit: { initial: 4 } });
    for (let i = 0; i < 12; i++) void admit(`r${i}`);
    await Promise.resolve();
    await clock.advance(1500); // four calls taken: evidence that Claude accepts four of ours at once
    for (const grant of granted.splice(0, 4)) grant.release(OK);
    await Promise.resolve();
    granted.shift()!.release(OVERLOADED);
    await Promise.resolve();
    expect(line.stats().state).toBe('open');
    expect(line.stats().active).toBe(4);
  });

  it('cuts anyway after six refusals in a row, whatever it accepted a moment ago', async () => {
    const { clock, line, granted, admit } = setup({ limit: { initial: 4 } });
    for (let i = 0; i < 20; i++) void admit(`r${i}`);
    await Promise.resolve();
    await clock.advance(1500);
    for (const grant of granted.splice(0, 4)) grant.release(OK);
    await Promise.resolve();
    await Promise.resolve();
    const states: string[] = [];
    for (let i = 0; i < 6; i++) {
      granted.shift()!.release(OVERLOADED);
      await Promise.resolve();
      states.push(line.stats().state);
    }
    expect(states).toEqual(['open', 'open', 'open', 'open', 'open', 'closed']);
  });

  it('sends a request that waited its budget away with its expected wait and a ticket that keeps its place', async () => {
    // acceptAfterMs 60 s: the first call is not known to be taken yet, so the limit does not grow meanwhile.
    const { clock, line, granted, order, admit } = setup({ limit: { initial: 1 }, acceptAfterMs: 60_000 });
    void admit('first');
    await Promise.resolve();
    const waiting = admit('waiting', { deadlineAt: 5000 });
    void admit('later');
    await clock.advance(5000);
    const refusal = (await waiting) as LineRefusal;
    expect(refusal).toMatchObject({ refused: 'timeout', ahead: 0, ticket: 't1' });
    expect(refusal.retryAfterMs).toBeGreaterThanOrEqual(1000);
    // It comes back with its ticket behind 'later' in time, but ahead of it in line.
    void admit('back', { ticket: 't1' });
    expect(line.stats().queued).toBe(2);
    granted[0]!.release(OK);
    await Promise.resolve();
    expect(order).toEqual(['first', 'back', 'later']);
  });

  it('takes each ticket once, and sends an unknown ticket to the back', async () => {
    const { line, admit } = setup({ limit: { initial: 1 }, maxQueue: 1 });
    void admit('first');
    void admit('second');
    await Promise.resolve();
    const full = (await admit('third')) as LineRefusal;
    expect(full).toMatchObject({ refused: 'full', ahead: 1, ticket: 't1' });
    void admit('forged', { ticket: 'made-up' });
    expect(((await admit('again')) as LineRefusal).refused).toBe('full');
    expect(line.stats().queued).toBe(1);
  });

  it('lets a request whose client left go without ever sending it, and stops every timer on dispose', async () => {
    const { clock, line, granted, order, admit } = setup({ limit: { initial: 1 } });
    void admit('first');
    await Promise.resolve();
    const client = new AbortController();
    const leaving = admit('leaving', { signal: client.signal, deadlineAt: 60_000 });
    void admit('next');
    client.abort();
    expect(((await leaving) as LineRefusal).refused).toBe('aborted');
    granted[0]!.release(OK);
    await Promise.resolve();
    expect(order).toEqual(['first', 'next']);
    granted[1]!.release(OVERLOADED);
    line.dispose();
    expect(clock.pending).toBe(0);
  });
});

describe('the line control', () => {
  it("sends the next window's probe even while an earlier probe is still answering (a long call)", async () => {
    const { createLineControl } = await import('../../src/server/admission/control.js');
    const control = createLineControl({ limit: { initial: 10, min: 3, decrease: 0.99, evidenceMs: 1 }, minClosedMs: 1000 });
    const calls = [1, 2, 3, 4, 5].map(() => control.send(false, 0));
    control.finish(calls[4]!, 0);
    expect(control.refused(calls[4]!, 0)).toBe('cut');
    control.finish(calls[0]!, 0);
    control.finish(calls[1]!, 0);
    expect(control.turn(1000)).toBe('probe');
    const probe = control.send(true, 1000);
    control.accepted(probe, false, 2500);
    expect(control.state).toBe('open');
    // The probe's answer goes on streaming; another call is refused and the window closes again.
    control.finish(calls[2]!, 2600);
    expect(control.turn(2600)).toBe('go');
    const next = control.send(false, 2600);
    control.finish(next, 2700);
    expect(control.refused(next, 2700)).toBe('cut');
    expect(control.turn(2800)).toBe('wait');
    expect(control.turn(3700)).toBe('probe');
  });
});
