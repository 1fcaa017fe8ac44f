// Users in the memory line (line.ts with `user`): one user flooding cannot fill the line for the others, who take
// turns with it; tickets keep a place for their own user only; a refusal tells a user its own place. Without users,
// the line is what it was: first come, first served.
import { describe, expect, it } from 'vitest';
import type { LineRefusal } from '../../src/server/admission/line.js';
import { createModelLines } from '../../src/server/admission/lines.js';
import { createHandClock } from './hand-clock.js';
import { isGrant, OVERLOADED, setupLine } from './line-harness.js';

const setup = setupLine;

/** One user's 1,100 requests while Claude refuses: the first goes and is refused, the line closes, the rest wait. */
async function flood(s: ReturnType<typeof setup>, user: string | undefined) {
  const outcomes = Array.from({ length: 1100 }, (_, i) => s.admit(`flood ${i}`, { user, deadlineAt: 60_000 }));
  await s.clock.advance(0);
  s.granted.shift()!.release(OVERLOADED);
  await s.clock.advance(0);
  return outcomes;
}

describe('the line with users', () => {
  it("gives another user's request a place while one user floods it with 1,100, and serves it within a turn", async () => {
    const s = setup({ limit: { initial: 1 }, maxQueue: 1000 });
    const outcomes = await flood(s, 'flood');
    // The flooder holds a tenth of the line; the rest of its requests are refused at once, as its own.
    const refused = (await Promise.all(outcomes.slice(101))) as LineRefusal[];
    expect(refused).toHaveLength(999);
    expect(new Set(refused.map((r) => r.refused))).toEqual(new Set(['user-full']));
    expect(s.line.stats().queued).toBe(100);

    const other = s.admit('other', { user: 'someone else', deadlineAt: 60_000 });
    await s.clock.advance(0);
    expect(s.line.stats().queued).toBe(101);
    // The window reopens after the refusal: the probe is the flooder's oldest waiter, then the other user's turn.
    await s.clock.advance(1000);
    expect(s.order.slice(1)).toEqual(['flood 1']);
    await s.answerOne();
    // The second grant after the flood's first refusal (the limit grows as Claude takes calls: the flooder's next
    // turn may go with it).
    expect(s.order.slice(1, 3)).toEqual(['flood 1', 'other']);
    expect(isGrant(await other)).toBe(true);
    s.line.dispose();
  });

  it('without users, is first come, first served: the same flood leaves the next request a 529 with 1,000 ahead', async () => {
    const s = setup({ limit: { initial: 1 }, maxQueue: 1000 });
    await flood(s, undefined);
    expect(s.line.stats().queued).toBe(1000);
    const other = await s.admit('other', { deadlineAt: 60_000 });
    expect(other).toMatchObject({ refused: 'full', ahead: 1000 });
    s.line.dispose();
  });

  it('serves users in turn, each in its own order of arrival', async () => {
    const s = setup({ limit: { initial: 1 }, maxQueue: 100 });
    void s.admit('a0', { user: 'a' });
    await s.clock.advance(0);
    for (const name of ['a1', 'a2', 'a3', 'b1', 'c1', 'b2', 'c2', 'c3']) void s.admit(name, { user: name[0] });
    await s.clock.advance(0);
    for (let i = 0; i < 8; i++) await s.answerOne();
    expect(s.order).toEqual(['a0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'c3']);
    s.line.dispose();
  });

  it("tells a user its own place in line, not the number waiting", async () => {
    const s = setup({ limit: { initial: 1 }, maxQueue: 1000 });
    await flood(s, 'flood');
    const mine = await s.admit('mine', { user: 'me', deadlineAt: 0 });
    const theirs = await s.admit('theirs', { user: 'flood', deadlineAt: 0 });
    // Mine goes after the flooder's next request; the flooder's own refusal counts its hundred places.
    expect(mine).toMatchObject({ refused: 'timeout', ahead: 1 });
    expect(theirs).toMatchObject({ refused: 'user-full', ahead: 100 });
    s.line.dispose();
  });

  it("keeps a ticket's place for its own user only: another user's key gets no place, and the owner still can", async () => {
    const s = setup({ limit: { initial: 1 }, maxQueue: 100 });
    void s.admit('busy', { user: 'x' });
    await s.clock.advance(0);
    const first = (await s.admit('early', { user: 'owner', deadlineAt: 0 })) as LineRefusal;
    void s.admit('later', { user: 'owner' });
    await s.clock.advance(0);
    // Presented by another user, the ticket gives that request no place: it takes its own turn.
    void s.admit('thief', { user: 'thief', ticket: first.ticket });
    void s.admit('back', { user: 'owner', ticket: first.ticket });
    await s.clock.advance(0);
    for (let i = 0; i < 3; i++) await s.answerOne();
    // Its owner's return takes the place of its first arrival, before the thief and the owner's later request (had
    // the thief taken it, the owner's return would have come last).
    expect(s.order).toEqual(['busy', 'back', 'thief', 'later']);
    s.line.dispose();
  });

  it("lets no flood of refusals push another user's ticket out (maxQueue 10: 45 refusals did it before)", async () => {
    const s = setup({ limit: { initial: 1 }, maxQueue: 10 });
    void s.admit('busy', { user: 'x' });
    await s.clock.advance(0);
    const mine = (await s.admit('mine', { user: 'owner', deadlineAt: 0 })) as LineRefusal;
    // 400 refusals for the flooder, each with a ticket (every one timed out at once: the most tickets a user can mint).
    for (let i = 0; i < 400; i++) await s.admit(`flood ${i}`, { user: 'flood', deadlineAt: 0 });
    void s.admit('late', { user: 'late' });
    await s.clock.advance(0);
    void s.admit('mine back', { user: 'owner', ticket: mine.ticket });
    await s.clock.advance(0);
    await s.answerOne();
    expect(s.order.slice(0, 2)).toEqual(['busy', 'mine back']);
    s.line.dispose();
  });

  it('counts a user’s places in every model’s line together', async () => {
    const clock = createHandClock();
    const lines = createModelLines({ clock, limit: { initial: 1 }, maxQueue: 20, maxPerUser: 3 });
    const outcomes = ['a', 'b', 'a', 'b', 'a', 'b'].map((model) => lines.admit(model, { user: 'u', deadlineAt: 10_000 }));
    await clock.advance(0);
    // One call goes per model; three wait, shared by both models; the sixth is refused.
    expect(await outcomes[5]).toMatchObject({ refused: 'user-full' });
    expect(Object.values(lines.stats()).reduce((n, l) => n + l.queued, 0)).toBe(3);
    lines.dispose();
  });
});
