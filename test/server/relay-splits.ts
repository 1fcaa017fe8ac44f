// The relay as the network treats it: real SSE answers cut at every byte offset, in 1-byte chunks and at random
// places, with and without the key in them (plain and JSON-escaped). Shared by the source test and the packed
// tarball's test, which pass their own createClaudeHandler.
import { expect } from 'vitest';
import fc from 'fast-check';
import type { createClaudeHandler as CreateHandler } from '../../src/server/index.js';
import { API_KEY, post } from './helpers.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** `\u` escapes for every character of `text`, in the given hex case: what a JSON body may carry. */
export const escapeAll = (text: string, upper = false) =>
  Array.from(text, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  }).join('');

/**
 * A streamed answer shaped as Claude sends one: thinking, text in several scripts with emoji (multi-byte UTF-8 of
 * 2, 3 and 4 bytes, a ZWJ sequence), a tool call's JSON in pieces, a ping. `inText` goes raw inside a text delta's JSON
 * string (so an escaped key can be placed as an upstream would write it).
 */
export function sseAnswer(inText = ''): string {
  const text = (t: string) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"${t}"}}\n\n`;
  return [
    event('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5', stop_reason: null, usage: { input_tokens: 9, output_tokens: 1 } } }),
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
    event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Überlegung: 思考中… 🤔' } }),
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('ping', { type: 'ping' }),
    event('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
    text(`Grüße, café! 中文回答。Привет. مرحبا. हिन्दी. 🎉👩‍👩‍👧 ${inText} done`),
    event('content_block_stop', { type: 'content_block_stop', index: 1 }),
    event('content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } }),
    event('content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": "Zürich' } }),
    event('content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: ' 東京 🗼"}' } }),
    event('content_block_stop', { type: 'content_block_stop', index: 2 }),
    event('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 42 } }),
    event('message_stop', { type: 'message_stop' }),
  ].join('');
}

/** Byte offsets at which to cut: every one (two pieces) or a list (several pieces). */
export function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...new Set(at)].filter((n) => n > 0 && n < bytes.length).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.slice(from, point));
    from = point;
  }
  pieces.push(bytes.slice(from));
  return pieces;
}

/** A handler whose upstream answers a stream in the given pieces, each its own read: what the browser got, decoded. */
export async function relayPieces(createClaudeHandler: typeof CreateHandler, pieces: Uint8Array[]): Promise<string> {
  return decoder.decode(await relayedBytes(createClaudeHandler, pieces));
}

/** The same, as the bytes the browser got. */
export async function relayedBytes(createClaudeHandler: typeof CreateHandler, pieces: Uint8Array[]): Promise<Uint8Array> {
  const handler = createClaudeHandler({
    apiKey: API_KEY,
    baseURL: 'http://claude.test',
    fetch: async () => {
      let i = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i < pieces.length) controller.enqueue(pieces[i++]!);
          else controller.close();
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    },
  });
  const response = await handler(post({ stream: true }));
  expect(response.status).toBe(200);
  // The whole body, or the test's timeout: a relay that stalls never ends this read.
  return new Uint8Array(await response.arrayBuffer());
}

export interface SplitCase {
  name: string;
  /** What the upstream sends. */
  upstream: string;
  /** What the browser must receive: the same bytes with the key replaced. */
  expected: string;
}

export function splitCases(): SplitCase[] {
  const plain = sseAnswer();
  return [
    { name: 'no key', upstream: plain, expected: plain },
    { name: 'the key as it is', upstream: sseAnswer(`key ${API_KEY} here`), expected: sseAnswer('key [redacted] here') },
    { name: 'the key \\u-escaped, lower-case hex', upstream: sseAnswer(`key ${escapeAll(API_KEY)} here`), expected: sseAnswer('key [redacted] here') },
    // Hex letters in upper case at the end of a chunk: what could still become the key is held back in either case.
    { name: 'the key \\u-escaped, upper-case hex', upstream: sseAnswer(`key ${escapeAll(API_KEY, true)} here`), expected: sseAnswer('key [redacted] here') },
    {
      name: 'the key with its first letter \\u-escaped, upper-case hex',
      upstream: sseAnswer(`key ${escapeAll(API_KEY.slice(0, 1), true)}${API_KEY.slice(1)} here`),
      expected: sseAnswer('key [redacted] here'),
    },
    // What could be the start of the key and is not: held back a moment, then relayed as it was.
    { name: 'a lone start of the key', upstream: sseAnswer(`s sk-an ${API_KEY.slice(0, 20)}!`), expected: sseAnswer(`s sk-an ${API_KEY.slice(0, 20)}!`) },
  ];
}

/**
 * At every byte offset, a cut there and a piece of 1, 2 and 3 bytes starting there (so every lead byte of a
 * multi-byte character, and every start of the key, arrives alone in a chunk once), then the whole answer in 1-byte
 * chunks: the number of relays run.
 */
export async function everyOffset(createClaudeHandler: typeof CreateHandler, split: SplitCase): Promise<number> {
  const bytes = encoder.encode(split.upstream);
  let runs = 0;
  for (let at = 1; at < bytes.length; at += 1) {
    for (const piece of [0, 1, 2, 3]) {
      const received = await relayPieces(createClaudeHandler, cut(bytes, piece === 0 ? [at] : [at, at + piece]));
      if (received !== split.expected) expect.fail(`${split.name}, cut at byte ${at} (+${piece}): the browser received other bytes`);
      runs += 1;
    }
  }
  const ones = Array.from({ length: bytes.length }, (_, i) => i + 1);
  expect(await relayPieces(createClaudeHandler, cut(bytes, ones))).toBe(split.expected);
  return runs + 1;
}

/** Random cuts (fast-check shrinks a failure to the fewest cuts that show it). */
export async function randomCuts(createClaudeHandler: typeof CreateHandler, split: SplitCase, numRuns: number): Promise<void> {
  const bytes = encoder.encode(split.upstream);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), async (at) => {
      expect(await relayPieces(createClaudeHandler, cut(bytes, at))).toBe(split.expected);
    }),
    { numRuns },
  );
}
