// Issue 24's recovery: requests held in the handler's line through a full outage (Claude refuses every call) are all
// sent again within 2 s of Claude's return. Before, the limit crept back one call per round of answers after the
// outage's cuts, and the last of 20 held requests left 15 s after Claude answered again. Now the line tells an outage
// (Claude took none of its calls since the refusals began) from a smaller room: probes go every second, the probe
// taken is judged by how fast refusals came, and the line takes back the limit it ran before.
import { describe, expect, it } from 'vitest';
import { OK, OVERLOADED, isGrant, setupLine } from './line-harness.js';

const OUTAGE_MS = 5_000;
const HELD = 20;

async function playOutage(refusalMs: number) {
  const { clock, line } = setupLine();
  const back = OUTAGE_MS;
  // When each request was last sent, and whether Claude took it.
  const sentAt: number[] = [];
  const answered: boolean[] = [];
  let calls = 0;
  async function request(index: number) {
    let order: number | undefined;
    for (;;) {
      const grant = await line.admit({ order });
      if (!isGrant(grant)) throw new Error(`refused: ${grant.refused}`);
      order = grant.order;
      calls += 1;
      sentAt[index] = clock.now();
      if (clock.now() < back) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, refusalMs));
        grant.release(OVERLOADED);
        continue;
      }
      answered[index] = true;
      // A long answer: the call stays in flight well past the test's end.
      clock.setTimeout(() => grant.release(OK), 60_000);
      return;
    }
  }
  for (let i = 0; i < HELD; i += 1) void request(i);
  // Their calls leave before any timer runs.
  await clock.advance(0);
  await clock.advance(back + 10_000);
  return { sentAt, answered, calls };
}

describe('a full outage with requests held in line', () => {
  it.each([0, 100, 400])('sends all 20 again within 2 s of Claude answering again (refusals in %i ms)', async (refusalMs) => {
    const { sentAt, answered, calls } = await playOutage(refusalMs);
    expect(answered.filter(Boolean)).toHaveLength(HELD);
    expect(Math.max(...sentAt)).toBeLessThanOrEqual(OUTAGE_MS + 2_000);
    // While Claude refused, one probe a second or so, not a loop: the first 20 calls, then about five probes.
    expect(calls).toBeLessThanOrEqual(HELD + 8 + HELD);
  });
});
