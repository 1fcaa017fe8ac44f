// One chat answer's wait as the banner reads it: the turn the server's line names, shown as for the kit's own
// requests in the line (core's turnToShow), so an outage's "about 1 s" is not promised again every few seconds.
import { describe, expect, it } from 'vitest';
import { createStreamWait } from '../../src/ai-sdk/stream-wait.js';

describe("a chat answer waiting in the server's line", () => {
  it('shows the turn as named while turns hold, and no sooner than it has waited once two came and went', () => {
    let now = 0;
    const wait = createStreamWait({ now: () => now }, () => {});
    const shown = () => wait.getSnapshot().nextAttemptAt! - now;
    // An outage: every 3 s the route's data part names the line's next probe, a second away.
    const seen: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      wait.update({ state: 'waiting', ahead: 0, expectedWaitMs: 1_000, waitedMs: now });
      seen.push(shown());
      now += 3_000;
    }
    expect(seen).toEqual([1_000, 1_000, 6_000, 3_000, 12_000, 9_000]);
    wait.end();
  });

  it('shows a moving line its turns as named', () => {
    let now = 0;
    const wait = createStreamWait({ now: () => now }, () => {});
    for (const [at, expectedWaitMs] of [[0, 20_000], [8_000, 12_000], [16_000, 5_000]] as const) {
      now = at;
      wait.update({ state: 'waiting', ahead: 2, expectedWaitMs, waitedMs: at });
      expect(wait.getSnapshot().nextAttemptAt).toBe(at + expectedWaitMs);
    }
    wait.answered();
    expect(wait.getSnapshot().phase).toBe('succeeded');
  });
});
