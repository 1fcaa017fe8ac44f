/**
 * The key kept out of a relayed download (a file's content, a batch's results) as bytes, without decoding them: a
 * file may be binary, and a text decoder would change it. Only a tail that could still become the key is held back,
 * so a download flows as it comes.
 */
import { REDACTED, redactable } from './redact.js';

const encoder = new TextEncoder();

/** Where `key` first occurs in `data` at or after `from`, or -1. */
function indexOfBytes(data: Uint8Array, key: Uint8Array, from: number): number {
  const last = data.length - key.length;
  for (let at = data.indexOf(key[0]!, from); at >= 0 && at <= last; at = data.indexOf(key[0]!, at + 1)) {
    let i = 1;
    while (i < key.length && data[at + i] === key[i]) i += 1;
    if (i === key.length) return at;
  }
  return -1;
}

/** How many bytes at the end of `data` (from `from` on) are the start of `key`. */
function partialAtEnd(data: Uint8Array, key: Uint8Array, from: number): number {
  for (let length = Math.min(key.length - 1, data.length - from); length > 0; length -= 1) {
    const start = data.length - length;
    let i = 0;
    while (i < length && data[start + i] === key[i]) i += 1;
    if (i === length) return length;
  }
  return 0;
}

/** A stream that passes bytes through with every occurrence of `secret` replaced; undefined when there is none to hide. */
export function byteRedactor(secret: string | null | undefined): TransformStream<Uint8Array, Uint8Array> | undefined {
  if (!redactable(secret)) return undefined;
  const key = encoder.encode(secret);
  const replacement = encoder.encode(REDACTED);
  let held: Uint8Array | undefined;
  return new TransformStream({
    transform(chunk, controller) {
      let data = chunk;
      if (held) {
        data = new Uint8Array(held.length + chunk.length);
        data.set(held);
        data.set(chunk, held.length);
        held = undefined;
      }
      let from = 0;
      for (let at = indexOfBytes(data, key, 0); at >= 0; at = indexOfBytes(data, key, from)) {
        if (at > from) controller.enqueue(data.subarray(from, at));
        controller.enqueue(replacement);
        from = at + key.length;
      }
      const keep = partialAtEnd(data, key, from);
      if (data.length - keep > from) controller.enqueue(data.subarray(from, data.length - keep));
      if (keep > 0) held = data.slice(data.length - keep);
    },
    flush(controller) {
      if (held) controller.enqueue(held);
    },
  });
}
