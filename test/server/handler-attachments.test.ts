// Attachments as chat apps send them: a 5 MB screenshot and a 20 MB PDF, base64 in the Messages body, through the
// handler at its defaults, to a fake Claude that checks every byte arrived as sent. The limit is Claude's own (32 MB),
// so what Claude takes is never refused on the way.
import Anthropic from '@anthropic-ai/sdk';
import { createAdaptorServer } from '@hono/node-server';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { MODEL, anthropic } from '../testing/helpers.js';
import { API_KEY, errorOf, recordingUpstream } from './helpers.js';

const MB = 1_000_000;

/** Incompressible, reproducible bytes (xorshift32), as a real photo or scanned PDF would be. */
function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const image = bytesOf(5 * MB, 1);
const pdf = bytesOf(20 * MB, 2);
const content = [
  { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: image.toString('base64') } },
  { type: 'document' as const, source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: pdf.toString('base64') } },
  { type: 'text' as const, text: 'What is in these?' },
];

interface Block { source?: { data?: string } }

/** What Claude received: the decoded attachments' hashes, in order. */
function hashesOf(body: string): string[] {
  const sent = JSON.parse(body) as { messages: { content: Block[] }[] };
  return sent.messages[0]!.content.filter((block) => block.source?.data).map((block) => sha256(Buffer.from(block.source!.data!, 'base64')));
}

describe('createClaudeHandler takes attachments as large as Claude does', () => {
  const upstream = recordingUpstream();
  let app: ReturnType<typeof createAdaptorServer>;
  let mount = '';

  beforeAll(async () => {
    // Defaults only: no maxBodyBytes.
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, holdMs: 0 });
    app = createAdaptorServer({ fetch: handler, overrideGlobalObjects: false, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    mount = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/claude`;
  });
  afterAll(async () => {
    await new Promise((resolve) => {
      app.close(resolve);
      if ('closeAllConnections' in app) app.closeAllConnections();
    });
  });

  it('forwards a 5 MB image and a 20 MB PDF from the official SDK over HTTP, byte for byte', async () => {
    const sdk = new Anthropic({ apiKey: 'client-side-key', baseURL: mount, maxRetries: 0 });
    const message = await sdk.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content }] });
    expect(message.id).toBe((anthropic.success.body as { id: string }).id);
    const call = upstream.calls.at(-1)!;
    // 33.3 MB of JSON (base64 is 4/3 of the bytes): 32 times the old 1 MiB default, within 32 MiB (33.55 MB).
    expect(call.body.length).toBeGreaterThan(33 * MB);
    expect(hashesOf(call.body)).toEqual([sha256(image), sha256(pdf)]);
  }, 60_000);

  it('forwards the same body sent without a content-length, in 64 KiB chunks', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content }] }));
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.byteLength; at += 65_536) controller.enqueue(body.subarray(at, at + 65_536));
        controller.close();
      },
    });
    const response = await fetch(mount, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(hashesOf(upstream.calls.at(-1)!.body)).toEqual([sha256(image), sha256(pdf)]);
  }, 60_000);

  it('refuses a body one byte over 32 MiB with 413 request_too_large, before Claude is called', async () => {
    const calls = upstream.calls.length;
    const handler = createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch });
    const padding = 'x'.repeat(32 * 1024 * 1024 + 1 - JSON.stringify({ model: MODEL, messages: '' }).length);
    const response = await handler(new Request('http://app.test/api/claude', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, messages: padding }),
    }));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).type).toBe('request_too_large');
    expect(upstream.calls.length).toBe(calls);
  });
});
