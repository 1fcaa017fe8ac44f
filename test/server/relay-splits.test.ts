// A stream's bytes can be split anywhere by TCP: the relay must hand the browser exactly what Claude sent (the key
// replaced), ending in message_stop, whatever the cuts. It once stalled for good when a chunk held only the first
// bytes of a multi-byte character (é, 中, an emoji) or only the start of the key.
import { describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { cut, everyOffset, randomCuts, relayedBytes, relayPieces, splitCases, sseAnswer } from './relay-splits.js';

const encoder = new TextEncoder();

describe('a streamed answer split anywhere', () => {
  it('arrives whole when a chunk holds only the first byte of a multi-byte character (it used to stall)', async () => {
    const bytes = encoder.encode(sseAnswer());
    const e = bytes.indexOf(0xc3); // the first byte of "ü"
    const received = await relayPieces(createClaudeHandler, [bytes.slice(0, e), bytes.slice(e, e + 1), bytes.slice(e + 1)]);
    expect(received).toBe(sseAnswer());
    expect(received.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  it('passes malformed UTF-8 on as U+FFFD, the bytes a decoder makes of it, wherever it is cut', async () => {
    // A stray continuation byte and a lead byte without its continuation, inside a text delta.
    const [before, after] = sseAnswer('MALFORMED').split('MALFORMED').map((part) => encoder.encode(part)) as [Uint8Array, Uint8Array];
    const bytes = new Uint8Array([...before, 0x80, 0x41, 0xe4, 0xb8, 0x42, ...after]);
    const expected = encoder.encode(sseAnswer('\uFFFDA\uFFFDB'));
    for (let at = before.length - 2; at < before.length + 7; at += 1) {
      expect(await relayedBytes(createClaudeHandler, cut(bytes, [at]))).toEqual(expected);
    }
    expect(await relayedBytes(createClaudeHandler, [bytes])).toEqual(expected);
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
