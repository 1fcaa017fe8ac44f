import { describe, expect, it } from 'vitest';
import { checkScale, fittedGrowth, type ScaleRow } from '../../bench/scale.js';

const row = (requests: number, cpuPerRequestMs: number): ScaleRow => ({
  requests,
  cpuMs: cpuPerRequestMs * requests,
  cpuPerRequestMs,
  virtualSeconds: 0,
  answered: requests,
  demandNotifications: 0,
  work: requests * 10,
});

describe('the scale benchmark’s flatness check', () => {
  it('is moved less than max / min by one size measured on a slow spell', () => {
    // Flat code, one size 55 % dearer (a neighbour on the machine): max / min reads 1.55×, the fit stays within 1.5×.
    for (const slow of [0, 1, 2, 3]) {
      const rows = [1_000, 4_000, 16_000, 64_000].map((n, i) => row(n, i === slow ? 0.0775 : 0.05));
      expect(fittedGrowth(rows)).toBeLessThan(1.5);
      expect(checkScale(rows).find((t) => t.target.startsWith('CPU per request'))?.holds).toBe(true);
    }
    expect(fittedGrowth([row(1_000, 0.05), row(4_000, 0.05), row(16_000, 0.05), row(64_000, 0.05)])).toBeCloseTo(1, 6);
  });

  it('fails a cost that grows with the number waiting', () => {
    // A scan of the waiting on every request: CPU per request proportional to N.
    const rows = [1_000, 4_000, 16_000, 64_000].map((n) => row(n, 0.05 + 0.00001 * n));
    expect(fittedGrowth(rows)).toBeGreaterThan(5);
    expect(checkScale(rows).find((t) => t.target.startsWith('CPU per request'))?.holds).toBe(false);
    // The same scan, counted: work per request that grows with N fails on any machine.
    const scanned = [1_000, 64_000].map((n) => ({ ...row(n, 0.05), work: n * (10 + n / 1_000) }));
    expect(checkScale(scanned).find((t) => t.target.startsWith('work per request'))?.holds).toBe(false);
    expect(checkScale([row(1_000, 0.05), row(64_000, 0.06)]).every((t) => t.holds)).toBe(true);
  });
});
