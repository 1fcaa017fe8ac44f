// The key kept out of downloads relayed as bytes: wherever it falls across chunks, and without touching other bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/server/redact.js';
import { byteRedactor } from '../../src/server/redact-bytes.js';
import { API_KEY } from './helpers.js';

async function through(chunks: Uint8Array[], secret: string): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Uint8Array(await new Response(source.pipeThrough(byteRedactor(secret)!)).arrayBuffer());
}

const bytes = (text: string) => new TextEncoder().encode(text);

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, data.length]) {
    parts.push(data.slice(from, point));
    from = point;
  }
  return parts;
}

describe('byteRedactor', () => {
  it('replaces the key wherever the chunks split it, and passes any other bytes (binary included) unchanged', async () => {
    const piece = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(bytes(API_KEY)), fc.constant(bytes(API_KEY.slice(0, 20))));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), async (pieces, cuts) => {
        const whole = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of pieces) whole.set(p, (at += p.length) - p.length);
        // The expected output, found by a plain search over the whole: every occurrence of the key, left to right.
        const key = bytes(API_KEY);
        const expected: number[] = [];
        for (let i = 0; i < whole.length; ) {
          if (key.every((b, j) => whole[i + j] === b)) {
            expected.push(...bytes(REDACTED));
            i += key.length;
          } else expected.push(whole[i++]!);
        }
        expect([...(await through(split(whole, cuts), API_KEY))]).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('has nothing to do without a real key', () => {
    expect(byteRedactor(undefined)).toBeUndefined();
    expect(byteRedactor('x')).toBeUndefined();
  });
});
