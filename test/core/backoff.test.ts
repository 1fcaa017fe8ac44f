import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  clampUnit, decorrelatedJitter, equalJitter, exponentialDelay, fullJitter, MAX_TIMER_DELAY_MS,
  readHeader, type BackoffInput, type JitterStrategy,
} from '../../src/core/backoff.js';

const input = (attempt: number, extra: Partial<BackoffInput> = {}): BackoffInput =>
  ({ attempt, baseMs: 1000, capMs: 60_000, factor: 2, ...extra });

describe('exponentialDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 7, 8].map((a) => exponentialDelay(input(a)))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
  });
  it('stays finite for absurd attempts and caps', () => {
    expect(exponentialDelay(input(1e9, { capMs: Infinity }))).toBe(MAX_TIMER_DELAY_MS);
    expect(exponentialDelay(input(Number.NaN))).toBe(1000);
    expect(exponentialDelay(input(3, { baseMs: 0 }))).toBe(0);
    expect(exponentialDelay(input(3, { baseMs: Infinity, capMs: Number.NaN }))).toBe(0);
    expect(decorrelatedJitter(input(2, { baseMs: Infinity, capMs: 5000, previousDelayMs: 1e308 }), 0.5)).toBe(5000);
  });
});

describe('jitter formulas', () => {
  it('full jitter spans zero to the exponential delay', () => {
    expect(fullJitter(input(3), 0)).toBe(0);
    expect(fullJitter(input(3), 0.5)).toBe(2000);
  });
  it('equal jitter keeps at least half of the exponential delay', () => {
    expect(equalJitter(input(3), 0)).toBe(2000);
    expect(equalJitter(input(3), 0.999)).toBeCloseTo(3998);
  });
  it('decorrelated jitter grows from the previous delay and respects the cap', () => {
    expect(decorrelatedJitter(input(2), 0)).toBe(1000);
    expect(decorrelatedJitter(input(2, { previousDelayMs: 5000 }), 0.5)).toBe(8000);
    expect(decorrelatedJitter(input(9, { previousDelayMs: 50_000 }), 0.99)).toBe(59_410);
  });
  it('exponentialDelay is the plain capped exponential, like TanStack Query, whatever the draw', () => {
    expect((exponentialDelay as JitterStrategy)(input(2), 0.3)).toBe(2000);
  });
  it('treats a misbehaving random source as a draw in [0, 1)', () => {
    expect([Number.NaN, -1, 1, 7].map(clampUnit).every((u) => u >= 0 && u < 1)).toBe(true);
  });
  it('never leaves [0, cap] for any strategy and input', () => {
    const strategy = fc.constantFrom<JitterStrategy>(fullJitter, equalJitter, decorrelatedJitter, exponentialDelay);
    fc.assert(fc.property(strategy, fc.integer({ min: -5, max: 5000 }), fc.oneof(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.constant(Infinity)),
      fc.double({ min: 0, max: 1e8, noNaN: true }), fc.option(fc.double({ noNaN: false })), fc.double(),
      (s, attempt, baseMs, capMs, previous, u) => {
        const d = s({ attempt, baseMs, capMs, factor: 2, previousDelayMs: previous ?? undefined }, u);
        return d >= 0 && d <= Math.min(capMs, MAX_TIMER_DELAY_MS) && Number.isFinite(d);
      }), { numRuns: 2000 });
  });
});

describe('readHeader', () => {
  it('reads Headers and plain objects case-insensitively, and never throws', () => {
    expect(readHeader(new Headers({ 'Request-Id': 'a' }), 'request-id')).toBe('a');
    expect(readHeader({ 'Request-Id': 'b' }, 'request-id')).toBe('b');
    expect(readHeader({ 'request-id': ['c', 'd'] }, 'request-id')).toBe('c');
    expect(readHeader({ get() { throw new Error('no'); } }, 'request-id')).toBeUndefined();
    expect(readHeader(null, 'request-id')).toBeUndefined();
  });
});
