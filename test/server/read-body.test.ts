// Reading a body whole within a limit: the announced size only decides how the bytes are held, never what is read.
import { describe, expect, it } from 'vitest';
import { readBody } from '../../src/server/read-body.js';

const streamOf = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });

describe('readBody', () => {
  it.each([
    ['no announced size', undefined],
    ['the right size', 13],
    ['a size too small (more arrives than announced)', 4],
    ['a size too large (less arrives)', 20],
  ])('reads every byte with %s', async (_, expectedBytes) => {
    const read = await readBody(streamOf('héllo', ' ', 'wö', 'rld'), { limit: 100, expectedBytes });
    expect(read).toEqual({ ok: true, text: 'héllo wörld' });
  });

  it.each([
    ['the right size', 150_000],
    ['a size too small', 70_000],
    ['a size too large', 200_000],
  ])('reads a 150 kB body in 3 chunks whole with %s announced (filled in one buffer from 64 KiB on)', async (_, expectedBytes) => {
    const parts = ['a', 'é', 'z'].map((c) => c.repeat(c === 'é' ? 25_000 : 50_000));
    const read = await readBody(streamOf(...parts), { limit: 1_000_000, expectedBytes });
    expect(read).toEqual({ ok: true, text: parts.join('') });
  });

  it('keeps a character split across chunks whole', async () => {
    const bytes = new TextEncoder().encode('é');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 1));
        controller.enqueue(bytes.subarray(1));
        controller.close();
      },
    });
    expect(await readBody(stream, { limit: 10, expectedBytes: 2 })).toEqual({ ok: true, text: 'é' });
  });

  it('stops at the limit whatever size was announced', async () => {
    expect(await readBody(streamOf('0123456789', 'x'), { limit: 10, expectedBytes: 10 })).toEqual({ ok: false, reason: 'too_large' });
    expect(await readBody(streamOf('0123456789', 'x'), { limit: 10 })).toEqual({ ok: false, reason: 'too_large' });
  });
});
