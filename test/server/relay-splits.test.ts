// A stream's bytes can be split anywhere by TCP: the relay must hand the browser exactly what Claude sent (the key
// replaced), ending in message_stop, whatever the cuts. It once stalled for good when a chunk held only the first
// bytes of a multi-byte character (é, 中, an emoji) or only the start of the key.
import { describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { everyOffset, randomCuts, relayPieces, splitCases, sseAnswer } from './relay-splits.js';

const encoder = new TextEncoder();

describe('a streamed answer split anywhere', () => {
  it('arrives whole when a chunk holds only the first byte of a multi-byte character (it used to stall)', async () => {
    const bytes = encoder.encode(sseAnswer());
    const e = bytes.indexOf(0xc3); // the first byte of "ü"
    const received = await relayPieces(createClaudeHandler, [bytes.slice(0, e), bytes.slice(e, e + 1), bytes.slice(e + 1)]);
    expect(received).toBe(sseAnswer());
    expect(received.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  for (const split of splitCases()) {
    it(`is relayed byte for byte, cut at every offset and in 1-byte chunks: ${split.name}`, async () => {
      const runs = await everyOffset(createClaudeHandler, split);
      expect(runs).toBeGreaterThan(6000);
    }, 60_000);

    it(`is relayed byte for byte under random cuts: ${split.name}`, async () => {
      await randomCuts(createClaudeHandler, split, 100);
    }, 60_000);
  }
});
