/**
 * A tiny seeded PRNG (mulberry32) and the ids the simulator derives from it. Ids come from the seed and the request
 * counter alone, never from the stream that draws outcomes, so adding a random draw elsewhere keeps ids stable.
 */

/** mulberry32: 32 bits of state, good enough for simulations, and the same numbers on every platform. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed with a counter and a salt into a new seed, so neighbouring counters give unrelated sequences. */
export function mixSeed(seed: number, counter: number, salt: number): number {
  let h = (seed ^ Math.imul(counter + 1, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

// Anthropic's ids use base58 (no 0, O, I, l).
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += BASE58[Math.floor(random() * BASE58.length)];
  return out;
}

const REQUEST_SALT = 1;
const MESSAGE_SALT = 2;

/** `req_011CT…`, 28 characters like Anthropic's, the same for the same seed and request number. */
export function requestIdFor(seed: number, counter: number): string {
  return `req_011CT${base58(mulberry32(mixSeed(seed, counter, REQUEST_SALT)), 19)}`;
}

/** `msg_01…`, 28 characters like Anthropic's. */
export function messageIdFor(seed: number, counter: number): string {
  return `msg_01${base58(mulberry32(mixSeed(seed, counter, MESSAGE_SALT)), 22)}`;
}
