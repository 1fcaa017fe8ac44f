// The server entry as a user installs it: the packed tarball in a fresh directory (no peers), imported by plain Node.
// A 5 MB image and a 20 MB PDF reach a fake Claude byte for byte at the default limits, and the opt-in models route is
// forwarded, through the built `claude-overload-kit/server`, not the sources.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packTarball, run } from './support.js';

let app: string;

beforeAll(async () => {
  const tarball = await packTarball();
  app = mkdtempSync(join(tmpdir(), 'cok-server-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'server-check', private: true, type: 'module' }));
  await run('npm', ['install', '--omit=peer', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: app });
}, 300_000);

const CHECK = String.raw`
import { createHash } from 'node:crypto';
import { createClaudeHandler } from 'claude-overload-kit/server';

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
function bytesOf(size, seed) {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i += 1) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  return out;
}
const image = bytesOf(5_000_000, 1);
const pdf = bytesOf(20_000_000, 2);
const received = [];
const fetch = async (url, init) => {
  received.push(new URL(url).pathname);
  if (url.endsWith('/v1/models')) return Response.json({ data: [{ type: 'model', id: 'claude-sonnet-5-5' }], has_more: false });
  const body = JSON.parse(init.body);
  for (const block of body.messages[0].content) if (block.source) received.push(sha(Buffer.from(block.source.data, 'base64')));
  return Response.json({ id: 'msg_1', type: 'message', role: 'assistant', content: [], model: body.model, stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } });
};
const handler = createClaudeHandler({ apiKey: 'sk-ant-tarball-check-key', fetch, allowRoutes: ['models'] });
const body = JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: [
  { type: 'image', source: { type: 'base64', media_type: 'image/png', data: image.toString('base64') } },
  { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') } },
] }] });
const message = await handler(new Request('http://app.test/api/claude', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body }));
const models = await handler(new Request('http://app.test/api/claude/v1/models'));
console.log(JSON.stringify({ message: message.status, bodyBytes: body.length, models: models.status, modelIds: (await models.json()).data.map((m) => m.id), received, expected: [sha(image), sha(pdf)] }));
`;

describe('the packed server entry', () => {
  it('forwards a 5 MB image and a 20 MB PDF byte for byte at its defaults, and models when allowed', async () => {
    writeFileSync(join(app, 'check.mjs'), CHECK);
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: app, maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      message: number; bodyBytes: number; models: number; modelIds: string[]; received: string[]; expected: string[];
    };
    expect(result.message).toBe(200);
    expect(result.bodyBytes).toBeGreaterThan(33_000_000);
    expect(result.received).toEqual(['/v1/messages', ...result.expected, '/v1/models']);
    expect(result.models).toBe(200);
    expect(result.modelIds).toEqual(['claude-sonnet-5-5']);
  }, 120_000);
});
