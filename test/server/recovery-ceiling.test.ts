// Issue 26's "calls at once after 10,000 waited through an outage": the handler's line, in virtual time, carries an
// app's steady load (about 20 calls at once), then Claude refuses everything for two minutes while 10,000 requests
// pile up, then Claude comes back with room for every one of them. Without a ceiling the limit grew to thousands of
// calls at once within a minute of Claude's return (5,718 in the run): nothing Claude had shown. Now, while
// the line recovers, it stays under twice what Claude carried before, and goes past it only by calm stretches.
import { describe, expect, it } from 'vitest';
import { createVirtualClock } from '../../bench/virtual-clock.js';
import { LINE_TUNING } from '../../src/server/admission/defaults.js';
import { createAdmissionLine, type AdmissionLineOptions } from '../../src/server/admission/line.js';

const SERVICE_MS = 6_000;
const REFUSAL_MS = 100;
const OUTAGE_AT = 120_000;
const BACK_AT = 240_000;
const PILED = 10_000;

interface Run {
  /** The most calls at once Claude accepted before the outage. */
  carriedBefore: number;
  /** The most calls in flight during the first calm stretch after Claude's return, and until the line drained. */
  peakFirstCalm: number;
  peakDrain: number;
  /** Whether every request was answered. */
  answered: number;
}

/** Plays the outage; `line` tunes the handler's line (e.g. the app's own maxConcurrency as `limit.max`). */
async function playOutage(line: Partial<AdmissionLineOptions> = {}): Promise<Run> {
  const clock = createVirtualClock(1);
  const admission = createAdmissionLine({ maxQueue: PILED * 2, ...line, clock });
  const claudeRefuses = () => clock.now() >= OUTAGE_AT && clock.now() < BACK_AT;
  let inFlight = 0;
  let carriedBefore = 0;
  let peakFirstCalm = 0;
  let peakDrain = 0;
  let answered = 0;

  /** One request: waits its turn, calls Claude, and goes back to its place while Claude refuses. */
  async function request(): Promise<void> {
    let order: number | undefined;
    for (;;) {
      const grant = await admission.admit({ order });
      if (!('release' in grant)) throw new Error(`refused: ${grant.refused}`);
      order = grant.order;
      inFlight += 1;
      const level = inFlight;
      const now = clock.now();
      if (now >= BACK_AT) {
        peakDrain = Math.max(peakDrain, inFlight);
        if (now < BACK_AT + LINE_TUNING.calmMs) peakFirstCalm = Math.max(peakFirstCalm, inFlight);
      }
      const refused = claudeRefuses();
      await new Promise<void>((resolve) => clock.setTimeout(resolve, refused ? REFUSAL_MS : SERVICE_MS));
      inFlight -= 1;
      if (refused) {
        grant.release({ status: 529, pressure: true });
        continue;
      }
      if (clock.now() < OUTAGE_AT) carriedBefore = Math.max(carriedBefore, level);
      grant.release({ status: 200, pressure: false });
      answered += 1;
      return;
    }
  }

  const all: Array<Promise<void>> = [];
  // The app's steady load: one request every 300 ms, about 20 calls at once with 6 s answers, until the end.
  for (let at = 0; at < BACK_AT + 600_000; at += 300) clock.setTimeout(() => all.push(request()), at);
  // Into the outage, 10,000 requests at once.
  clock.setTimeout(() => {
    for (let i = 0; i < PILED; i++) all.push(request());
  }, OUTAGE_AT + 5_000);
  await clock.run();
  await Promise.all(all);
  admission.dispose();
  return { carriedBefore, peakFirstCalm, peakDrain, answered };
}

describe("the handler's line after an outage", () => {
  it('keeps calls at once under twice what Claude carried before, after 10,000 requests waited through the outage', async () => {
    const run = await playOutage();
    console.log(`recovery: carried before ${run.carriedBefore}, first ${LINE_TUNING.calmMs / 1000} s after ` +
      `Claude's return ${run.peakFirstCalm} at once, ${run.peakDrain} at most until the line drained`);
    expect(run.answered).toBe(PILED + Math.ceil((BACK_AT + 600_000) / 300));
    expect(run.carriedBefore).toBeGreaterThanOrEqual(18);
    expect(run.carriedBefore).toBeLessThanOrEqual(24);
    // Claude had room for all 10,000, and had shown about 20: the line went to twice that, no further, until a calm
    // stretch showed Claude carrying it; then twice as far per calm stretch, not per round of answers.
    expect(run.peakFirstCalm).toBeLessThanOrEqual(2 * run.carriedBefore);
    expect(run.peakFirstCalm).toBeGreaterThanOrEqual(1.5 * run.carriedBefore);
  }, 60_000);

  it("meets no ceiling while Claude takes everything: a healthy app whose load grows twentyfold keeps up with it", async () => {
    const clock = createVirtualClock(2);
    const admission = createAdmissionLine({ clock });
    let inFlight = 0;
    let peak = 0;
    let longestWaitMs = 0;
    const all: Array<Promise<void>> = [];
    const request = async () => {
      const asked = clock.now();
      const grant = await admission.admit();
      if (!('release' in grant)) throw new Error(grant.refused);
      longestWaitMs = Math.max(longestWaitMs, clock.now() - asked);
      peak = Math.max(peak, (inFlight += 1));
      await new Promise<void>((resolve) => clock.setTimeout(resolve, SERVICE_MS));
      inFlight -= 1;
      grant.release({ status: 200, pressure: false });
    };
    // From 20 calls at once to 400 over ten minutes (one request every 300 ms, then every 15 ms).
    for (let at = 0, gap = 300; at < 600_000; at += gap, gap = Math.max(15, gap * 0.995)) clock.setTimeout(() => all.push(request()), at);
    await clock.run();
    await Promise.all(all);
    admission.dispose();
    expect(peak).toBeGreaterThan(380);
    // It grows as its load does: nobody waits more than a couple of answers.
    expect(longestWaitMs).toBeLessThan(2 * SERVICE_MS);
  }, 60_000);

  it('goes as high as the app allows when the app set its own maxConcurrency (no recovery ceiling)', async () => {
    const run = await playOutage({ limit: { max: 5_000 } });
    // The adaptive limit alone: thousands of calls at once as the line drains.
    console.log(`no recovery ceiling: first ${LINE_TUNING.calmMs / 1000} s ${run.peakFirstCalm}, until drained ${run.peakDrain}`);
    expect(run.peakDrain).toBeGreaterThan(2_000);
  }, 60_000);
});
