// The relay's byte-split tests again, through the handler users install: the packed tarball's dist/server.js.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { createClaudeHandler as CreateHandler } from '../../src/server/index.js';
import { everyOffset, randomCuts, splitCases } from '../server/relay-splits.js';
import { ROOT, packTarball, run } from './support.js';

let createClaudeHandler: typeof CreateHandler;

beforeAll(async () => {
  const tarball = await packTarball();
  // Unpacked inside the project's node_modules, so the package's own dependencies (eventsource-parser) resolve.
  const into = join(ROOT, 'node_modules/.cache/cok-relay-tarball');
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', into]);
  ({ createClaudeHandler } = (await import(join(into, 'package/dist/server.js'))) as { createClaudeHandler: typeof CreateHandler });
}, 120_000);

describe("the packed tarball's handler relays a stream split anywhere", () => {
  for (const split of splitCases()) {
    it(`byte for byte, cut at every offset, in 1-3 byte pieces and 1-byte chunks: ${split.name}`, async () => {
      expect(await everyOffset(createClaudeHandler, split)).toBeGreaterThan(6000);
      await randomCuts(createClaudeHandler, split, 50);
    }, 120_000);
  }
});
