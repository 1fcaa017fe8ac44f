// The nesting scan that runs before JSON.parse: it skips strings with indexOf, so it must still see every bracket
// outside a string and none inside one, escapes included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../src/server/json-depth.js';

/** The depth JSON.parse would reach, counted on the parsed value. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === 'object' && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('jsonDepthExceeds', () => {
  it('agrees with the parsed depth for any JSON, brackets, quotes and backslashes inside strings included', () => {
    const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', '\\"', '\\\\') });
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(tricky, tie('value'), { maxKeys: 3 })),
    })).value;
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 6 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonDepthExceeds(text, max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 500 },
    );
  });

  it('counts a 28 MB string full of brackets as no nesting: a PDF in a document block nests 6 deep', () => {
    const text = JSON.stringify({ messages: [{ content: [{ source: { data: 'QU[{'.repeat(7_000_000) } }] }] });
    expect(jsonDepthExceeds(text, 6)).toBe(false);
    expect(jsonDepthExceeds(text, 5)).toBe(true);
  });
});
